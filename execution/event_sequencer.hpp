// Puts a task's stored and live events into one ordered sequence, each event once. A follower
// subscribes to the event hub first and reads the stored events second, so that none falls
// between; live events that arrive before the stored ones are replayed wait, and an event seen
// both ways is delivered once (by its sequence number). Thread-safe; `deliver` runs under the
// sequencer's lock, so deliveries never overlap.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "execution/event_hub.hpp"

namespace dort {

class event_sequencer {
 public:
  /// Delivers events with sequence numbers above `after`.
  event_sequencer(std::uint32_t after, std::function<void(const task_event&)> deliver)
      : last_(after), deliver_(std::move(deliver)) {}

  /// A live event from the hub: delivered now, or held until `replay`.
  void live(const task_event& e) {
    std::lock_guard guard{mutex_};
    if (replaying_)
      held_.push_back(e);
    else
      deliver_once(e);
  }

  /// The stored events: delivered, then the live ones held meanwhile, in order.
  void replay(const std::vector<task_event>& stored) {
    std::lock_guard guard{mutex_};
    for (auto& e : stored) deliver_once(e);
    std::sort(held_.begin(), held_.end(),
              [](const task_event& a, const task_event& b) { return a.seq < b.seq; });
    for (auto& e : held_) deliver_once(e);
    held_.clear();
    replaying_ = false;
  }

 private:
  void deliver_once(const task_event& e) {
    if (e.seq <= last_) return;  // seen already: stored and live events overlap
    last_ = e.seq;
    deliver_(e);
  }

  std::mutex mutex_;
  std::uint32_t last_;
  bool replaying_ = true;
  std::vector<task_event> held_;
  std::function<void(const task_event&)> deliver_;
};

}  // namespace dort
