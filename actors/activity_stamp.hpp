// When a live object last handled a message, readable from another thread. The actor writes it;
// the runtime's idle sweeper reads it to ask only objects that have been quiet long enough
// whether they may leave memory, instead of sending a message to every live object each sweep.
#pragma once

#include <atomic>
#include <chrono>

namespace dort {

class activity_stamp {
 public:
  using clock = std::chrono::steady_clock;

  activity_stamp() { touch(); }

  /// Records activity now.
  void touch() noexcept { last_.store(clock::now().time_since_epoch().count(), std::memory_order_relaxed); }

  /// Returns the time of the last activity.
  clock::time_point last() const noexcept {
    return clock::time_point{clock::duration{last_.load(std::memory_order_relaxed)}};
  }

 private:
  std::atomic<clock::rep> last_;
};

}  // namespace dort
