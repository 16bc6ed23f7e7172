#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "alarms/clock.hpp"

using namespace dort;

TEST_SUITE_BEGIN("without_caf");

TEST_CASE("the simulated clock moves only when advanced and never backward") {
  simulated_clock clock{1'000};
  CHECK(clock.now_ms() == 1'000);
  clock.advance(250);
  CHECK(clock.now_ms() == 1'250);
  clock.advance(-100);
  CHECK(clock.now_ms() == 1'250);
}

TEST_CASE("a wait on the simulated clock ends when time reaches its deadline and not before") {
  simulated_clock clock{0};
  std::atomic<bool> reached{false};
  std::thread waiter{[&] { reached = clock.wait_until(10'000, clock.wake_ticket()); }};
  while (clock.waiting_for() != 10'000) std::this_thread::yield();
  clock.advance(9'999);
  CHECK(clock.waiting_for() == 10'000);  // still waiting: one millisecond short
  clock.advance(1);
  waiter.join();
  CHECK(reached);
}

TEST_CASE("wake ends a wait early and says the deadline was not reached") {
  simulated_clock clock{0};
  std::atomic<int> result{-1};
  std::thread waiter{[&] { result = clock.wait_until(1'000, clock.wake_ticket()) ? 1 : 0; }};
  while (clock.waiting_for() != 1'000) std::this_thread::yield();
  clock.wake();
  waiter.join();
  CHECK(result == 0);
}

TEST_CASE("a wake between taking the ticket and waiting is not lost") {
  simulated_clock clock{0};
  auto ticket = clock.wake_ticket();
  clock.wake();
  CHECK_FALSE(clock.wait_until(1'000, ticket));  // returns at once instead of waiting forever
}

TEST_CASE("a deadline already past returns at once") {
  simulated_clock sim{5'000};
  CHECK(sim.wait_until(4'000, sim.wake_ticket()));
  system_clock real;
  CHECK(real.wait_until(real.now_ms() - 1, real.wake_ticket()));
}

TEST_CASE("the system clock waits at least until the deadline") {
  system_clock clock;
  auto start = clock.now_ms();
  CHECK(clock.wait_until(start + 20, clock.wake_ticket()));
  CHECK(clock.now_ms() >= start + 20);
}

TEST_SUITE_END();
