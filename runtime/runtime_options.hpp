// Everything a runtime can be told when it starts.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string_view>
#include <memory>
#include <thread>

#include "alarms/clock.hpp"
#include "alarms/retry_policy.hpp"
#include "persistence/commit_faults.hpp"
#include "persistence/slow_operations.hpp"
#include "persistence/durability.hpp"
#include "persistence/storage.hpp"

namespace dort {

struct runtime_options {
  /// The data directory (created if missing).
  std::filesystem::path data_dir = "dort-data";
  /// Whether a reply waits for the disk (strict) or only for the OS page cache (relaxed).
  durability mode = durability::strict;
  /// An object with no message for this long, and nothing waiting, is evicted from memory.
  std::chrono::milliseconds idle_timeout{30'000};
  /// CAF scheduler threads; 0 means one per core.
  std::size_t scheduler_threads = 0;
  /// Initial LMDB map size; it grows by itself.
  std::size_t initial_map_bytes = std::size_t{1} << 30;
  /// Largest database size; 0 means no limit but the disk. Past it, writes fail with
  /// `storage_full` while reads go on.
  std::size_t max_db_bytes = 0;
  /// Key, value and batch limits of object storage.
  storage_limits limits;
  /// The clock of alarms; null means real time. Tests give a `simulated_clock`.
  std::shared_ptr<dort::clock> clock;
  /// When failed alarm runs are retried, and how often.
  retry_policy alarm_retry;
  /// How long a call from one object to another waits for its reply, unless the call names its
  /// own timeout; past it, the caller's reply handler gets `timeout`.
  std::chrono::milliseconds call_timeout{30'000};
  /// Alarms the scheduler holds in memory at most; the rest wait in the durable index.
  std::size_t alarm_window = 100'000;
  /// Told of events an operator should see (an alarm dropped after its last retry), with the
  /// object's class and name and the alarm's name; null: counted only. Called on object threads.
  std::function<void(std::string_view event, std::string_view class_name,
                     std::string_view object_name, std::string_view alarm_name)>
      on_event;
  /// Tests only: asked by the group-commit writer before every commit and sync, so that a test
  /// can hold, delay or fail them (see commit_faults.hpp). Null in every program.
  std::shared_ptr<dort::commit_faults> commit_faults;
  /// Told of commits, syncs and map growths over 10 ms, on the thread that waited for them
  /// (persistence/slow_operations.hpp); `dort serve --log-level debug` logs them.
  slow_operation_sink on_slow_operation;
};

}  // namespace dort
