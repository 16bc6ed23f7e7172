// The one source of time for alarms and tasks: it tells the time and it owns waiting for a time,
// so that nothing in alarms/ or execution/ reads the system clock or sleeps by itself.
// Times are milliseconds since the Unix epoch (API.md's unit). `system_clock` is real time;
// `simulated_clock` moves only when a test advances it, so hours of backoff run in an instant and
// the same way every time. Both are thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>

namespace dort {

class clock {
 public:
  virtual ~clock() = default;

  /// Returns the current time in ms since the epoch.
  virtual std::int64_t now_ms() const = 0;

  /// Returns a ticket for `wait_until`: the number of `wake()` calls so far.
  virtual std::uint64_t wake_ticket() const = 0;

  /// Blocks until `now_ms() >= deadline_ms` or until `wake()` has been called since `ticket`
  /// was taken — also before this call began, so that a waiter that takes its ticket while it
  /// decides what to wait for misses no wake. Returns whether the deadline was reached.
  virtual bool wait_until(std::int64_t deadline_ms, std::uint64_t ticket) = 0;

  /// Ends the waits in progress early (something changed that the waiter must look at).
  virtual void wake() = 0;
};

class system_clock final : public clock {
 public:
  std::int64_t now_ms() const override;
  std::uint64_t wake_ticket() const override;
  bool wait_until(std::int64_t deadline_ms, std::uint64_t ticket) override;
  void wake() override;

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t wakes_ = 0;
};

class simulated_clock final : public clock {
 public:
  /// Starts at `start_ms` (a fixed, recognisable time by default: 2026-01-01T00:00:00Z).
  explicit simulated_clock(std::int64_t start_ms = 1'767'225'600'000);

  std::int64_t now_ms() const override;
  std::uint64_t wake_ticket() const override;
  bool wait_until(std::int64_t deadline_ms, std::uint64_t ticket) override;
  void wake() override;

  /// Moves time forward by `ms` (never backward) and releases the waits it satisfies.
  void advance(std::int64_t ms);

  /// Returns the deadline of the wait in progress, or -1 if nobody waits: lets a test see
  /// what the code under test is waiting for.
  std::int64_t waiting_for() const;

  /// Returns how many threads wait on this clock for a time still to come, and not woken since
  /// they began: with the number of threads that wait on it, a test can tell that they are all
  /// idle (done with what the last `advance` or `wake` released), instead of sleeping a while.
  std::size_t idle_waiters() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::int64_t now_ms_;
  std::uint64_t wakes_ = 0;
  std::int64_t waiting_for_ = -1;
  /// Each wait in progress: its deadline and the wake ticket it began with.
  std::multimap<std::int64_t, std::uint64_t> waits_;
};

}  // namespace dort
