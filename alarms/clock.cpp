#include "alarms/clock.hpp"

#include <algorithm>
#include <chrono>

namespace dort {

// -- system_clock -----------------------------------------------------------------------------

std::int64_t system_clock::now_ms() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::uint64_t system_clock::wake_ticket() const {
  std::lock_guard guard{mutex_};
  return wakes_;
}

bool system_clock::wait_until(std::int64_t deadline_ms, std::uint64_t wakes) {
  // Waits of at most an hour at a time: "forever" (INT64_MAX) does not fit in the system clock's
  // nanoseconds. A caller that is woken early looks again anyway.
  constexpr std::int64_t longest_wait_ms = 3'600'000;
  std::unique_lock lock{mutex_};
  auto capped_ms = std::min(deadline_ms, now_ms() + longest_wait_ms);
  auto deadline = std::chrono::system_clock::time_point{std::chrono::milliseconds{capped_ms}};
  changed_.wait_until(lock, deadline, [&] { return wakes_ != wakes || now_ms() >= deadline_ms; });
  return now_ms() >= deadline_ms;
}

void system_clock::wake() {
  {
    std::lock_guard guard{mutex_};
    ++wakes_;
  }
  changed_.notify_all();
}

// -- simulated_clock --------------------------------------------------------------------------

simulated_clock::simulated_clock(std::int64_t start_ms) : now_ms_(start_ms) {}

std::int64_t simulated_clock::now_ms() const {
  std::lock_guard guard{mutex_};
  return now_ms_;
}

std::uint64_t simulated_clock::wake_ticket() const {
  std::lock_guard guard{mutex_};
  return wakes_;
}

bool simulated_clock::wait_until(std::int64_t deadline_ms, std::uint64_t wakes) {
  std::unique_lock lock{mutex_};
  waiting_for_ = deadline_ms;
  auto wait = waits_.emplace(deadline_ms, wakes);
  changed_.wait(lock, [&] { return wakes_ != wakes || now_ms_ >= deadline_ms; });
  waits_.erase(wait);
  waiting_for_ = -1;
  return now_ms_ >= deadline_ms;
}

void simulated_clock::wake() {
  {
    std::lock_guard guard{mutex_};
    ++wakes_;
  }
  changed_.notify_all();
}

void simulated_clock::advance(std::int64_t ms) {
  {
    std::lock_guard guard{mutex_};
    if (ms > 0) now_ms_ += ms;
  }
  changed_.notify_all();
}

std::size_t simulated_clock::idle_waiters() const {
  std::lock_guard guard{mutex_};
  std::size_t idle = 0;
  for (const auto& [deadline, ticket] : waits_)
    if (deadline > now_ms_ && ticket == wakes_) ++idle;
  return idle;
}

std::int64_t simulated_clock::waiting_for() const {
  std::lock_guard guard{mutex_};
  return waiting_for_;
}

}  // namespace dort
