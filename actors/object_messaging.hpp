// What a handler uses to reach other objects and to keep its reply open, as the object's actor
// offers it (the actor implements it; handlers see it through `object_ref`, `deferred_reply` and
// `durable_object`). Every call is made from the object's own mailbox, never from another thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "persistence/error.hpp"
#include "persistence/object_id.hpp"

namespace dort {

/// Which object a message goes to.
struct object_address {
  object_id id;
  std::string class_name;
  std::string name;
};

/// Who sent the durable message being handled, and its number among that sender's sends.
struct durable_origin {
  object_id sender;
  std::uint64_t seq;
};

/// Runs in the caller's mailbox with the reply to a call, or the error that took its place.
using reply_handler = std::function<void(expected<std::string>)>;

class object_messaging {
 public:
  virtual ~object_messaging() = default;

  /// Sends `method` to `to` once the running message's writes are durable (dropped if they are
  /// discarded); `on_reply` later runs in this object's mailbox as a message of its own.
  virtual void call(const object_address& to, std::string method, std::string payload,
                    reply_handler on_reply, std::chrono::milliseconds timeout) = 0;

  /// Like `call`, without a reply.
  virtual void tell(const object_address& to, std::string method, std::string payload) = 0;

  /// Writes the message into this object's outbox with the running message's writes; once they
  /// are durable it is delivered until the receiver has committed its handling, exactly once.
  virtual void send_durable(const object_address& to, std::string method,
                            std::string payload) = 0;

  /// Keeps the reply of the running request open; returns its number for `complete`. Throws
  /// `invalid_state` outside a request (an alarm, a reply, a durable message).
  virtual std::uint64_t reply_later() = 0;

  /// Completes the open reply `number` once the running message's writes are durable.
  virtual void complete(std::uint64_t number, expected<std::string> reply) = 0;

  /// The timeout of calls that name none.
  virtual std::chrono::milliseconds default_call_timeout() const = 0;

  /// The origin of the durable message being handled, or null.
  virtual const durable_origin* current_origin() const = 0;
};

}  // namespace dort
