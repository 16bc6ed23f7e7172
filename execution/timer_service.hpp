// Runs callbacks at a time of the runtime's clock, on one thread, for work that waits without
// holding a thread (the `sleep` task, progress ticks). Not durable: what must survive a restart
// goes through an object's alarm. Callbacks must be short; they usually post to an object.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "alarms/clock.hpp"

namespace dort {

class timer_service {
 public:
  using timer_id = std::uint64_t;

  explicit timer_service(dort::clock& clock);
  timer_service(const timer_service&) = delete;
  timer_service& operator=(const timer_service&) = delete;
  /// Stops; timers not yet due never run.
  ~timer_service();

  /// Runs `fn` at or after `when_ms` on the timer thread.
  timer_id schedule(std::int64_t when_ms, std::function<void()> fn);

  /// Cancels a timer that has not run; returns whether it was still waiting.
  bool cancel(timer_id id);

  /// Timers waiting now.
  std::size_t size() const;

 private:
  void run();

  dort::clock& clock_;
  mutable std::mutex mutex_;
  /// (due, id) → callback: ids keep equal due times in scheduling order.
  std::map<std::pair<std::int64_t, timer_id>, std::function<void()>> timers_;
  std::map<timer_id, std::int64_t> due_of_;
  timer_id next_id_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dort
