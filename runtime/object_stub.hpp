// A handle to one durable object, cheap to copy. `call` blocks the calling thread until the
// reply is released (never call it from an actor); `request` is the asynchronous form for code
// running inside a CAF actor, whose callback runs in that actor. Both resend a message that was
// bounced by an object evicted at that moment, so eviction is invisible to callers; a message is
// never handled twice. A stub may outlive its runtime: its calls then fail with `shutting_down`.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "persistence/error.hpp"
#include "persistence/object_id.hpp"

namespace caf {
class event_based_actor;
}

namespace dort {

class runtime_link;

class object_stub {
 public:
  using reply_handler = std::function<void(expected<std::string>)>;

  /// Sends `method` with the JSON `payload` and waits for the reply; throws `dort::error`.
  std::string call(std::string_view method, std::string_view payload = {}) const;

  /// Like `call`, but returns the error instead of throwing it.
  expected<std::string> try_call(std::string_view method, std::string_view payload = {}) const;

  /// Sends from any thread without blocking it; `on_reply` runs once, on a thread of the runtime,
  /// with the reply or the error (for callers with an event loop of their own, e.g. the server).
  void send(std::string method, std::string payload, reply_handler on_reply) const;

  /// Sends from the actor `self`; `on_reply` runs in `self` with the reply or the error.
  void request(caf::event_based_actor* self, std::string method, std::string payload,
               reply_handler on_reply) const;

  const object_id& id() const noexcept { return id_; }
  const std::string& class_name() const noexcept { return class_name_; }
  const std::string& name() const noexcept { return name_; }

 private:
  friend class runtime;
  object_stub(std::shared_ptr<runtime_link> link, object_id id, std::string class_name,
              std::string name)
      : link_(std::move(link)), id_(id), class_name_(std::move(class_name)), name_(std::move(name)) {}

  void send(std::string method, std::string payload, reply_handler on_reply, int bounces) const;

  std::shared_ptr<runtime_link> link_;
  object_id id_;
  std::string class_name_;
  std::string name_;
};

}  // namespace dort
