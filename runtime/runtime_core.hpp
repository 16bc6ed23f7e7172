// The parts of a runtime, in the order they start (and the reverse of the order they stop):
// storage, writer, directory, actor system. Internal to runtime/: users see `runtime`.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/durable_send_records.hpp"
#include "actors/object_stats.hpp"
#include "alarms/alarm_scheduler.hpp"
#include "persistence/environment.hpp"
#include "persistence/group_commit.hpp"
#include "runtime/class_registry.hpp"
#include "runtime/directory.hpp"
#include "runtime/idle_sweeper.hpp"
#include "runtime/runtime_link.hpp"
#include "runtime/runtime_options.hpp"

namespace dort {

class runtime_core {
 public:
  explicit runtime_core(runtime_options options);

  /// Returns the live actor of the object, activating it if needed. Throws `shutting_down` once
  /// the runtime closes, `unknown_class` for an unregistered class.
  caf::actor resolve(const object_id& id, const std::string& class_name, const std::string& name);

  /// Asks every live object to finish its commits and stop, and waits until all have.
  void stop_objects();

  /// Starts firing alarms and wakes the objects with undelivered durable sends (once).
  void start_alarms();

  /// Activates every stored object with undelivered durable sends, so that it delivers them
  /// although no request touches it; stops early once the runtime closes.
  void wake_senders();

  /// Sends a due alarm to its object (activating it); resends it if the object was evicted at
  /// that instant.
  void deliver_alarm(const alarm_fire& fire);

  runtime_options options;
  environment env;
  alarm_dbs alarms;  // opened before the writer starts
  durable_send_dbs durable_sends;
  group_commit writer;
  class_registry classes;
  object_stats stats;
  directory objects;
  std::atomic<bool> closing{false};
  /// What stubs hold; cut when the runtime goes.
  std::shared_ptr<runtime_link> link = std::make_shared<runtime_link>(this);

 private:
  std::once_flag alarms_started_;

  /// CAF's configuration, filled from the options before the actor system starts.
  struct system_config : caf::actor_system_config {
    explicit system_config(const runtime_options& options);
  };
  system_config config_;

 public:
  std::shared_ptr<dort::clock> clock;
  /// Stopped before the objects, destroyed after the actor system (objects refresh it to the end).
  std::optional<alarm_scheduler> scheduler;
  caf::actor_system system;             // stops after the objects, while storage is still open
  std::optional<idle_sweeper> sweeper;  // stops before the objects
  std::thread sender_waker;             // joined before the objects stop
};

}  // namespace dort
