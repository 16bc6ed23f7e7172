// Travels with a message that no caller waits for (an alarm firing). If the message dies
// unhandled — its object's actor stopped in the instant the message reached it — the guard's
// last copy runs `on_bounce`, which sends the message again to a fresh activation. An accepted
// message is never resent.
#pragma once

#include <functional>
#include <utility>

namespace dort {

class delivery_guard {
 public:
  explicit delivery_guard(std::function<void()> on_bounce) : on_bounce_(std::move(on_bounce)) {}
  delivery_guard(const delivery_guard&) = delete;
  delivery_guard& operator=(const delivery_guard&) = delete;

  ~delivery_guard() {
    if (!accepted_ && on_bounce_) on_bounce_();
  }

  /// Marks the message as taken by a live object.
  void accept() noexcept { accepted_ = true; }

 private:
  std::function<void()> on_bounce_;
  bool accepted_ = false;
};

}  // namespace dort
