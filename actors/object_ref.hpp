// A handler's handle to another durable object (what `durable_object::stub` returns). Nothing it
// does blocks: `call` sends once the running message's writes are durable and runs its reply
// handler later in this object's mailbox, as a message of its own, while the object goes on
// taking other messages; so A → B → A works. Use it only from this object's handlers (and work
// they post to the mailbox), like its storage.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "actors/object_messaging.hpp"

namespace dort {

class object_ref {
 public:
  /// Sends `method` with `payload`; `on_reply` gets the reply or the error (code `timeout` when
  /// no reply came within `timeout`, by default the runtime's call timeout). The message leaves
  /// only once the running message's writes are durable, and never if they are discarded.
  void call(std::string method, std::string payload, reply_handler on_reply,
            std::optional<std::chrono::milliseconds> timeout = std::nullopt) const {
    messaging_->call(to_, std::move(method), std::move(payload), std::move(on_reply),
                     timeout ? *timeout : messaging_->default_call_timeout());
  }

  /// Sends `method` with `payload` and forgets it (same output gate as `call`).
  void tell(std::string method, std::string payload = {}) const {
    messaging_->tell(to_, std::move(method), std::move(payload));
  }

  /// Sends `method` exactly once, through this object's durable outbox (see
  /// `durable_object::send_durable`).
  void send_durable(std::string method, std::string payload = {}) const {
    messaging_->send_durable(to_, std::move(method), std::move(payload));
  }

  const object_id& id() const noexcept { return to_.id; }
  const std::string& class_name() const noexcept { return to_.class_name; }
  const std::string& name() const noexcept { return to_.name; }

 private:
  friend class durable_object;
  object_ref(object_messaging* messaging, object_address to)
      : messaging_(messaging), to_(std::move(to)) {}

  object_messaging* messaging_;
  object_address to_;
};

/// A reply kept open by `durable_object::reply_later`: complete it once, from any later message
/// of the same object. It is released after that message's writes are durable. If the object
/// instance is rebuilt or evicted first, the caller gets an error instead.
class deferred_reply {
 public:
  deferred_reply(deferred_reply&& other) noexcept
      : messaging_(std::exchange(other.messaging_, nullptr)), number_(other.number_) {}
  deferred_reply& operator=(deferred_reply&& other) noexcept {
    messaging_ = std::exchange(other.messaging_, nullptr);
    number_ = other.number_;
    return *this;
  }

  /// Answers with `reply` (JSON).
  void deliver(std::string reply) { finish(std::move(reply)); }

  /// Answers with the error `e`.
  void fail(error e) { finish(std::move(e)); }

  /// Whether it still waits to be completed.
  bool open() const noexcept { return messaging_ != nullptr; }

 private:
  friend class durable_object;
  deferred_reply(object_messaging* messaging, std::uint64_t number)
      : messaging_(messaging), number_(number) {}

  void finish(expected<std::string> reply) {
    if (messaging_ == nullptr)
      throw error{errc::invalid_state, "this deferred reply was already completed"};
    auto* messaging = std::exchange(messaging_, nullptr);
    messaging->complete(number_, std::move(reply));
  }

  object_messaging* messaging_;
  std::uint64_t number_;
};

}  // namespace dort
