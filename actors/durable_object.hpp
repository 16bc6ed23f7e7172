// The base class of every durable object class. The runtime creates one instance per live
// activation and calls `handle` for each message, one at a time, never concurrently. A handler
// reaches its private storage through `storage()`; everything it writes commits atomically when
// it returns, and is dropped if it throws. Its reply is released only once those writes are
// durable. Throw `dort::error` to choose the error code the caller sees; any other exception
// reaches the caller as `handler_error`.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "alarms/alarm_index.hpp"
#include "alarms/clock.hpp"
#include "alarms/object_alarms.hpp"
#include "persistence/error.hpp"
#include "persistence/object_id.hpp"
#include "persistence/storage.hpp"

namespace dort {

/// What the runtime gives an object when it activates it.
struct object_context {
  dort::storage& storage;
  object_alarms& alarms;
  dort::clock& clock;
  object_id id;
  std::string class_name;
  std::string name;
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
  explicit durable_object(object_context& context) : context_(context) {}
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
  void set_alarm(std::string_view name, std::int64_t time_ms) {
    check_alarm_name(name);
    context_.alarms.set(name, time_ms);
  }
  std::optional<std::int64_t> get_alarm(std::string_view name) const {
    return context_.alarms.get(name);
  }
  bool delete_alarm(std::string_view name) {
    check_alarm_name(name);
    return context_.alarms.del(name);
  }

  /// Throws `errc::unknown_method` for `method`: the usual end of a `handle` dispatch.
  [[noreturn]] void unknown_method(std::string_view method) const {
    throw error{errc::unknown_method,
                "class '" + context_.class_name + "' has no method '" + std::string{method} + "'"};
  }

 private:
  static void check_alarm_name(std::string_view name) {
    if (name.starts_with(reserved_alarm_prefix))
      throw error{errc::invalid_field,
                  "alarm names beginning with 'dort.' are reserved for the runtime", "name"};
  }

  object_context& context_;
};

/// Makes an instance of one object class.
using object_factory = std::function<std::unique_ptr<durable_object>(object_context&)>;

}  // namespace dort
