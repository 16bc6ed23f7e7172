// The rate limiter on object storage alone (no actors): exact sliding windows at any size, and
// the starts of every task of a name counted against each task's own limit.
#include <doctest/doctest.h>

#include "execution/rate_limiter.hpp"
#include "store_fixture.hpp"
#include "test_scale.hpp"

using namespace dort;
using dort::test::store_fixture;
using dort::test::test_store;

namespace {

environment_options relaxed() {
  environment_options options;
  options.mode = durability::relaxed;
  return options;
}

/// Returns the largest value the object stores.
std::size_t largest_value(storage& view) {
  std::size_t largest = 0;
  for (auto& [key, value] : view.list()) largest = std::max(largest, value.size());
  return largest;
}

}  // namespace

TEST_SUITE_BEGIN("without_caf");

TEST_CASE("a window of 1000000 starts is exact and each start writes a few small values") {
  store_fixture f{relaxed()};
  test_store store{f.env, f.writer, "limits"};
  const auto starts = static_cast<std::int64_t>(dort::test::at_scale(1'000'000));
  const rate_limit limit{starts, 86'400'000};
  const std::int64_t t0 = 1'000'000'000;
  {
    rate_limiter limiter{store.view()};
    limiter.admit("n", limit);
    for (std::int64_t i = 0; i < starts; ++i) {
      if (i == starts - 1) CHECK_FALSE(limiter.held_until("n", limit, t0 + i));
      limiter.record_start("n", limit, t0 + i);
      if (i % 20'000 == 19'999) store.commit();  // messages of bounded size, as in the execution
    }
    store.commit();
    CHECK(limiter.held_until("n", limit, t0 + starts) == t0 + 86'400'000);
  }
  // What storage holds decides the same after a restart of the limiter.
  rate_limiter reopened{store.view()};
  CHECK(reopened.held_until("n", limit, t0 + starts) == t0 + 86'400'000);
  CHECK_FALSE(reopened.held_until("n", limit, t0 + 86'400'000));
  CHECK(largest_value(store.view()) <= 64);
}

TEST_CASE("two limits on one name each count every start of the name") {
  store_fixture f{relaxed()};
  test_store store{f.env, f.writer, "two"};
  rate_limiter limiter{store.view()};
  const rate_limit wide{5, 10'000};
  const rate_limit narrow{2, 1'000};
  limiter.admit("n", wide);
  limiter.admit("n", narrow);
  for (int i = 0; i < 3; ++i) limiter.record_start("n", wide, 100 + i);
  // Three starts in the narrow window: the narrow task waits until the second-latest leaves it.
  CHECK(limiter.held_until("n", narrow, 103) == 101 + 1'000);
  CHECK_FALSE(limiter.held_until("n", wide, 103));
  // Later, the narrow window is empty and a narrow task starts; the wide window still counts all.
  CHECK_FALSE(limiter.held_until("n", narrow, 2'000));
  limiter.record_start("n", narrow, 2'000);
  limiter.record_start("n", wide, 2'001);
  CHECK(limiter.held_until("n", wide, 2'002) == 100 + 10'000);
  // Past the widest window every old start is gone from storage, a few per start.
  for (int i = 0; i < 10; ++i) limiter.record_start("n", narrow, 20'000 + i * 1'000);
  store.commit();
  // The state record and the five latest starts, which are all the widest limit can need.
  CHECK(store.view().list().size() == 1 + 5);
}

TEST_SUITE_END();
