// The base class of every durable object class. The runtime creates one instance per live
// activation and calls `handle` for each message, one at a time, never concurrently. A handler
// reaches its private storage through `storage()`; everything it writes commits atomically when
// it returns, and is dropped if it throws. Its reply is released only once those writes are
// durable. Throw `dort::error` to choose the error code the caller sees; any other exception
// reaches the caller as `handler_error`.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "actors/object_messaging.hpp"
#include "actors/object_ref.hpp"
#include "alarms/clock.hpp"
#include "persistence/error.hpp"
#include "persistence/object_id.hpp"
#include "persistence/storage.hpp"

namespace dort {

// Defined in alarms/object_alarms.hpp, which the host includes: a class's code reaches alarms only
// through the members below, so this header stays free of the alarm index and its LMDB types.
class object_alarms;

/// Runs work in an object's mailbox, from any thread: (instance, work).
using post_function = std::function<void(std::uint64_t, std::function<void()>)>;

/// What the runtime gives an object when it activates it.
struct object_context {
  dort::storage& storage;
  object_alarms& alarms;
  dort::clock& clock;
  object_id id;
  std::string class_name;
  std::string name;
  /// Posts work to the object's actor; see `durable_object::poster`.
  post_function post;
  /// Queues a function to run once the current message's writes are durable.
  std::function<void(std::function<void()>)> after_durable;
  /// Which instance of the object the runtime is building now: one per construction, so that
  /// work posted by an instance that has since been replaced is dropped.
  std::uint64_t instance = 0;
  /// Calls, tells, durable sends and deferred replies (the object's actor).
  object_messaging* messaging = nullptr;
};

/// What an alarm handler is told about the run.
struct alarm_info {
  /// The alarm's name ("" for the unnamed alarm).
  std::string name;
  /// The time the alarm was set for (ms since the epoch); the handler runs at or after it.
  std::int64_t scheduled_ms;
  /// Failed runs before this one.
  std::uint32_t retry_count;
  /// Whether this run is a retry of a failed one.
  bool is_retry;
};

class durable_object {
 public:
  /// Binds the object to its context; the object may read its storage in its constructor.
  explicit durable_object(object_context& context)
      : context_(context), instance_(context.instance) {}
  durable_object(const durable_object&) = delete;
  durable_object& operator=(const durable_object&) = delete;
  virtual ~durable_object() = default;

  /// Handles the message `method` with the JSON `payload` (possibly empty) and returns the JSON
  /// reply. Throw `dort::error{errc::unknown_method, ...}` for a method the class lacks.
  virtual std::string handle(std::string_view method, std::string_view payload) = 0;

  /// Runs when an alarm of this object is due: at or after its time, never before, through the
  /// object's mailbox. Returning clears the alarm (unless the handler set it again); throwing
  /// discards everything the run wrote and retries it later (see `retry_policy`).
  virtual void alarm(const alarm_info& info) { (void)info; }

  /// Whether the object still waits for work it started outside its mailbox (see `poster`); such
  /// an object is not evicted when idle. Shutdown does not wait for it.
  virtual bool has_background_work() const { return false; }

 protected:
  /// Returns the object's private storage.
  dort::storage& storage() noexcept { return context_.storage; }

  /// Returns the object's id.
  const object_id& id() const noexcept { return context_.id; }

  /// Returns the object's name (the hex id for objects made with a random id).
  const std::string& name() const noexcept { return context_.name; }

  /// Returns the name of the object's class.
  const std::string& class_name() const noexcept { return context_.class_name; }

  /// Returns the current time (ms since the epoch) of the runtime's clock.
  std::int64_t now_ms() const { return context_.clock.now_ms(); }

  /// Sets the object's (unnamed) alarm to `time_ms`, replacing an earlier one. Like a storage
  /// write, it takes effect when the message's writes commit. A time in the past fires at once.
  void set_alarm(std::int64_t time_ms) { set_alarm("", time_ms); }

  /// Returns the time of the object's alarm, or nothing if none is set.
  std::optional<std::int64_t> get_alarm() const { return get_alarm(""); }

  /// Deletes the object's alarm; returns whether one was set.
  bool delete_alarm() { return delete_alarm(""); }

  /// Named alarms: any number per object, each with the semantics of the unnamed one. Names
  /// that begin with "dort." are reserved and throw `invalid_field`.
  void set_alarm(std::string_view name, std::int64_t time_ms);
  std::optional<std::int64_t> get_alarm(std::string_view name) const;
  bool delete_alarm(std::string_view name);

  /// Returns a function that runs work in this object's mailbox like a message: one at a time
  /// with the handlers, its writes committed when it returns (dropped if it throws), no reply.
  /// Callable from any thread, also after this instance is gone: work posted by an instance that
  /// has been evicted or rebuilt is dropped, so it may safely capture `this`. Work that started
  /// outside the mailbox (an I/O call, a worker thread) reports its result this way.
  std::function<void(std::function<void()>)> poster() const {
    return [post = context_.post, instance = instance_](std::function<void()> work) {
      post(instance, std::move(work));
    };
  }

  /// Runs `fn` in the mailbox once everything this message wrote is durable; dropped if the
  /// message's writes are discarded or fail to commit. For telling others of a durable change.
  void after_durable(std::function<void()> fn) { context_.after_durable(std::move(fn)); }

  /// Alarms reserved for dort's own layers ("dort." names), e.g. the task layer's; user classes
  /// use the named alarms above.
  void set_reserved_alarm(std::string_view name, std::int64_t time_ms);
  bool delete_reserved_alarm(std::string_view name);

  /// Returns a handle to the object `object_name` of class `class_name`, for calls, tells and
  /// durable sends from this object's handlers. Throws `invalid_field` (field "name") for a name
  /// that is empty or over 256 bytes; an unregistered class is the error of the call.
  object_ref stub(std::string_view class_name, std::string_view object_name) const {
    if (object_name.empty() || object_name.size() > 256)
      throw error{errc::invalid_field, "an object name must be 1..256 bytes", "name"};
    return object_ref{context_.messaging,
                      object_address{object_id::from_name(class_name, object_name),
                                     std::string{class_name}, std::string{object_name}}};
  }

  /// Returns a handle to the object with id `id` of class `class_name` (objects made with a
  /// random id).
  object_ref stub(std::string_view class_name, const object_id& id) const {
    return object_ref{context_.messaging, object_address{id, std::string{class_name}, id.to_hex()}};
  }

  /// Sends `method` to the object `object_name` of class `class_name` exactly once: the message
  /// is written into this object's outbox with the running message's writes (so it is sent if and
  /// only if they commit) and delivered, again and again across crashes and restarts, until the
  /// receiver has committed its handling; the receiver runs it once. Sends to one receiver arrive
  /// in the order they were made. The receiver's handler sees `durable_sender()`.
  void send_durable(std::string_view class_name, std::string_view object_name, std::string method,
                    std::string payload = {}) {
    stub(class_name, object_name).send_durable(std::move(method), std::move(payload));
  }

  /// Keeps the reply of the running request open: what `handle` returns is then ignored, and a
  /// later message completes the reply (see `deferred_reply`). Throws `invalid_state` outside a
  /// request's handler.
  deferred_reply reply_later() {
    return deferred_reply{context_.messaging, context_.messaging->reply_later()};
  }

  /// While a durable send is handled: who sent it and its number; null for other messages.
  const durable_origin* durable_sender() const { return context_.messaging->current_origin(); }

  /// Throws `errc::unknown_method` for `method`: the usual end of a `handle` dispatch.
  [[noreturn]] void unknown_method(std::string_view method) const {
    throw error{errc::unknown_method,
                "class '" + context_.class_name + "' has no method '" + std::string{method} + "'"};
  }

 private:
  object_context& context_;
  const std::uint64_t instance_;
};

/// Makes an instance of one object class.
using object_factory = std::function<std::unique_ptr<durable_object>(object_context&)>;

}  // namespace dort
