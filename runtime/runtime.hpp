// The runtime: opens a data directory, runs the actor system and the group-commit writer, and
// hands out stubs to durable objects and fires their alarms. Guarantees: one live activation per
// object id; replies released only after the message's writes are durable; on destruction every
// live object finishes its pending commits before the storage closes. Register classes before
// sending to them: alarms start firing with the first `get` (or `start_alarms`).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "actors/durable_object.hpp"
#include "persistence/latency_histogram.hpp"
#include "runtime/object_stub.hpp"
#include "runtime/runtime_options.hpp"

namespace caf {
class actor_system;
}

namespace dort {

class runtime_core;

/// Longest object name in bytes (API.md's limit for names in paths).
constexpr std::size_t max_object_name_bytes = 256;

/// Longest class name; class names are made of A-Z a-z 0-9 _ - . only.
constexpr std::size_t max_class_name_bytes = 64;

/// A snapshot of the runtime's counters.
struct runtime_stats {
  std::uint64_t commits;
  std::uint64_t writes;
  std::uint64_t commit_ns;
  std::int64_t objects_active;
  std::uint64_t activations;
  std::uint64_t evictions;
  std::uint64_t messages;
  std::uint64_t map_growths;
  std::uint64_t alarm_runs;
  std::uint64_t alarm_failures;
  std::uint64_t alarms_dropped;
  /// Alarms set and not yet fired successfully (durable state).
  std::uint64_t alarms_pending;
  /// Durable sends written, applied by their receivers, turned away as redeliveries, and
  /// deliveries retried after a failure.
  std::uint64_t durable_sends;
  std::uint64_t durable_applied;
  std::uint64_t durable_duplicates;
  std::uint64_t durable_retries;
};

class runtime {
 public:
  /// Opens the data directory and starts. Throws `dort::error` (e.g. `data_dir_locked`).
  explicit runtime(runtime_options options);
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  /// Lets every live object finish its commits, then stops and closes the storage.
  ~runtime();

  /// Registers an object class with the methods it declares (empty: not declared, any name is
  /// sent to the object). Throws `invalid_field` if the name is taken, or is not 1..64
  /// characters of A-Z a-z 0-9 _ - .
  void register_class(std::string class_name, object_factory factory,
                      std::vector<std::string> methods = {});

  /// Registers class `T`, constructible from `object_context&`; its methods are those it
  /// declares (see declared_object.hpp), or `T::methods` (a static array of names) if it has one.
  template <class T>
  void register_class(std::string class_name) {
    std::vector<std::string> methods;
    if constexpr (requires { T::declare(); })
      methods = T::public_methods();
    else if constexpr (requires { std::begin(T::methods); })
      methods.assign(std::begin(T::methods), std::end(T::methods));
    register_class(std::move(class_name),
                   [](object_context& context) { return std::make_unique<T>(context); },
                   std::move(methods));
  }

  /// Starts firing alarms, overdue ones first. Alarms start with the first `get` by themselves;
  /// a program that only waits for alarms (after a restart) calls this once its classes are
  /// registered, since an alarm of a class not yet registered would wait a minute.
  void start_alarms();

  /// Returns whether `class_name` is registered.
  bool has_class(std::string_view class_name) const;

  /// Returns whether `class_name` is registered and has `method` (or declares no methods): lets
  /// a caller answer `unknown_method` before it reads a message's body.
  bool has_method(std::string_view class_name, std::string_view method) const;

  /// Returns a stub of the object `object_name` of class `class_name`. Throws `unknown_class`,
  /// or `invalid_field` (field "name") for a name that is empty or over 256 bytes.
  object_stub get(std::string_view class_name, std::string_view object_name);

  /// Returns a stub of the object with id `id` of class `class_name` (see `new_unique_id`).
  object_stub get(std::string_view class_name, const object_id& id);

  /// Calls `fn` with the name of every stored object of class `class_name`, in id order,
  /// reading the catalogue in short read transactions of `page_objects` entries (objects made
  /// meanwhile may or may not be seen). `fn` returns false to stop. Throws `dort::error`.
  void for_each_object(std::string_view class_name,
                       const std::function<bool(const std::string& name)>& fn,
                       std::size_t page_objects = 1024) const;

  /// Returns a new random object id.
  static object_id new_unique_id() { return object_id::random(); }

  /// Returns the runtime's counters.
  runtime_stats stats() const;

  /// Distributions for metrics: commit times (fsync included) and alarm lateness.
  latency_histogram::snapshot commit_times() const;
  latency_histogram::snapshot alarm_lateness() const;

  /// Returns the options the runtime runs with.
  const runtime_options& options() const noexcept;

  /// Returns the actor system, to spawn actors that call objects asynchronously.
  caf::actor_system& system() noexcept;

 private:
  std::unique_ptr<runtime_core> core_;
};

}  // namespace dort
