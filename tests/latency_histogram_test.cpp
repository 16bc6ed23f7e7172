// The fixed-bucket histogram behind dort_storage_commit_seconds and dort_alarm_lateness_seconds.
#include <doctest/doctest.h>

#include "persistence/latency_histogram.hpp"

using namespace dort;

TEST_SUITE_BEGIN("without_caf");

TEST_CASE("a latency histogram counts each observation in its bucket - cumulatively - with sum and count") {
  latency_histogram h;
  h.observe_ns(50'000);         // 50 µs: first bucket (≤ 100 µs)
  h.observe_ns(100'000);        // exactly on a bound: that bucket
  h.observe_ns(3'000'000);      // 3 ms: ≤ 5 ms
  h.observe_ns(60'000'000'000); // 60 s: only +Inf
  h.observe_ns(-5);             // a clock that went back counts as 0
  auto s = h.read();
  CHECK(s.count == 5);
  CHECK(s.cumulative[0] == 3);
  CHECK(s.cumulative[4] == 3);  // ≤ 2.5 ms
  CHECK(s.cumulative[5] == 4);  // ≤ 5 ms
  CHECK(s.cumulative[latency_histogram::bounds_s.size() - 1] == 4);  // ≤ 10 s
  CHECK(s.cumulative.back() == 5);
  CHECK(s.sum_s == doctest::Approx(60.00315));
}

TEST_SUITE_END();
