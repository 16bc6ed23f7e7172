// How a plain thread waits for an object's reply without an actor of its own: the caller keeps a
// `reply_slot` and sends a `reply_token` with the message. The token answers the slot exactly once:
// with the reply, or — if the message dies unhandled because the object's actor had stopped —
// with "bounced", so that the caller resends to a fresh activation. A message the object accepted
// is never reported bounced, so no message is handled twice.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "persistence/error.hpp"

namespace dort {

class reply_slot {
 public:
  enum class state : int { waiting, delivered, bounced };

  /// Called instead of waking a waiter when the slot is answered (an asynchronous caller): with
  /// the reply, or with nothing for a bounce. Runs on the thread that answers.
  using callback = std::function<void(std::optional<expected<std::string>>)>;

  reply_slot() = default;
  explicit reply_slot(callback on_answer) : on_answer_(std::move(on_answer)) {}

  /// Stores the reply and wakes the waiting caller.
  void deliver(expected<std::string> reply) {
    if (on_answer_) {
      // Called once; what the callback holds (a connection, say) is released at once, not when
      // the message that carried the token is destroyed, which may be much later.
      auto on_answer = std::move(on_answer_);
      on_answer_ = nullptr;
      on_answer(std::move(reply));
      return;
    }
    reply_.emplace(std::move(reply));
    finish(state::delivered);
  }

  /// Tells the caller that the message was never handled.
  void bounce() {
    if (on_answer_) {
      auto on_answer = std::move(on_answer_);
      on_answer_ = nullptr;
      on_answer(std::nullopt);
      return;
    }
    finish(state::bounced);
  }

  /// Blocks until the slot is answered; returns how.
  state wait() const {
    int s;
    while ((s = state_.load(std::memory_order_acquire)) == static_cast<int>(state::waiting))
      state_.wait(s, std::memory_order_acquire);
    return static_cast<state>(s);
  }

  /// Returns the reply. Precondition: `wait()` returned `delivered`.
  expected<std::string> take() { return std::move(*reply_); }

 private:
  void finish(state s) {
    state_.store(static_cast<int>(s), std::memory_order_release);
    state_.notify_one();
  }

  callback on_answer_;
  std::optional<expected<std::string>> reply_;
  std::atomic<int> state_{static_cast<int>(state::waiting)};
};

class reply_token {
 public:
  explicit reply_token(std::shared_ptr<reply_slot> slot) : slot_(std::move(slot)) {}
  reply_token(const reply_token&) = delete;
  reply_token& operator=(const reply_token&) = delete;

  ~reply_token() {
    if (answered_) return;
    if (accepted_)
      slot_->deliver(error{errc::storage_failure, "the object stopped before it replied"});
    else
      slot_->bounce();
  }

  /// Marks the message as taken by a live object: from now on it is answered, never bounced.
  void accept() noexcept { accepted_ = true; }

  /// Answers the caller.
  void deliver(expected<std::string> reply) {
    answered_ = true;
    slot_->deliver(std::move(reply));
  }

 private:
  std::shared_ptr<reply_slot> slot_;
  bool accepted_ = false;
  bool answered_ = false;
};

}  // namespace dort
