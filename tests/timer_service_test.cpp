// The timer thread on a simulated clock: callbacks run at their time, in order, and never before.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "execution/timer_service.hpp"

using namespace dort;

TEST_SUITE_BEGIN("without_caf");

TEST_CASE("timers run at their time in order and a cancelled one never runs") {
  simulated_clock clock{1'000};
  timer_service timers{clock};
  std::mutex mutex;
  std::vector<int> ran;
  auto record = [&](int n) {
    return [&, n] {
      std::lock_guard guard{mutex};
      ran.push_back(n);
    };
  };
  timers.schedule(1'300, record(3));
  timers.schedule(1'100, record(1));
  auto cancelled = timers.schedule(1'200, record(99));
  timers.schedule(1'200, record(2));
  CHECK(timers.cancel(cancelled));
  CHECK_FALSE(timers.cancel(cancelled));
  auto ran_now = [&] {
    std::lock_guard guard{mutex};
    return ran;
  };
  auto wait_for_count = [&](std::size_t n) {
    auto limit = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    while (ran_now().size() < n) {
      REQUIRE(std::chrono::steady_clock::now() < limit);
      std::this_thread::sleep_for(std::chrono::milliseconds{1});
    }
  };
  clock.advance(99);
  while (clock.waiting_for() != 1'100) std::this_thread::yield();  // looked, and waits again
  CHECK(ran_now().empty());
  clock.advance(1);
  wait_for_count(1);
  clock.advance(1'000);
  wait_for_count(3);
  CHECK(ran_now() == std::vector<int>{1, 2, 3});
  CHECK(timers.size() == 0);
}

TEST_SUITE_END();
