// Fires alarms at or after their time, never before. The durable index in LMDB is the truth;
// memory holds only a near window of it — the earliest `window_max` alarms — and refills from
// the index when the window runs dry, so a million pending alarms cost little memory and a start
// reads only the window. Every alarm with a due key below the window's end is in the window or
// in flight. A fired alarm stays in flight (never fired twice) until its object reports, with
// `refresh`, that the run's outcome is durable; `refresh` then reads the alarm's durable state
// again, so the scheduler never runs ahead of the disk. It fires through a callback the runtime
// gives it and knows nothing of actors. All time goes through a `clock`.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "alarms/alarm_index.hpp"
#include "alarms/clock.hpp"

namespace dort {

/// One firing: which alarm of which object, due when, after how many failed runs.
struct alarm_fire {
  object_id id;
  std::string alarm_name;
  std::int64_t due_ms;
  std::uint32_t retry_count;
  std::string class_name;
  std::string object_name;
};

class alarm_scheduler {
 public:
  using fire_function = std::function<void(alarm_fire)>;

  /// Alarms held in memory at most (the near window).
  static constexpr std::size_t default_window_max = 100'000;

  /// Most alarms read from the index per refill while the scheduler runs.
  static constexpr std::size_t refill_chunk = 4'096;

  /// Most alarms handed to `fire` in one go, so that `refresh` calls get the lock in between.
  static constexpr std::size_t max_fires_per_round = 4'096;

  /// Alarms handed to `fire` and not yet `delivered` to their objects, at most. When a million
  /// alarms fall due at once, firing them all would activate a million objects before the first
  /// commit; the bound keeps the run queues of CAF's workers short: CAF 0.17.6's work stealing
  /// takes from a victim's queue by walking it whole, so long queues made stealing quadratic
  /// (bench_alarms phase 1 on 200,000 objects: 8,192 alarms in flight gave 2,700 fired/s, 1,024
  /// gave 30,000/s). It counts deliveries, not durable outcomes, so that commit latency does not
  /// throttle alarms of live objects.
  static constexpr std::size_t default_max_undelivered = 1'024;

  alarm_scheduler(environment& env, alarm_dbs dbs, clock& clock, fire_function fire,
                  std::size_t window_max = default_window_max,
                  std::size_t max_undelivered = default_max_undelivered);
  alarm_scheduler(const alarm_scheduler&) = delete;
  alarm_scheduler& operator=(const alarm_scheduler&) = delete;

  /// Stops the thread.
  ~alarm_scheduler();

  /// Loads the window and starts firing.
  void start();

  /// Stops firing; `refresh` may still be called (objects finishing their last commits).
  void stop();

  /// Reads the durable state of alarm `name` of object `id` again: its run ended, or a message
  /// changed it. `not_before_ms` holds it back (an object that could not be activated).
  void refresh(const object_id& id, std::string_view name, std::int64_t not_before_ms = 0);

  /// Reports that a fired alarm reached its object (or could not be delivered and was refreshed).
  void delivered();

  /// Returns the number of alarms fired so far.
  std::uint64_t fired() const noexcept { return fired_.load(std::memory_order_relaxed); }

  /// Returns the number of alarms held in memory now (window and in flight).
  std::size_t in_memory() const;

  /// Returns the number of alarms set and not yet fired successfully, as durable in the index.
  std::uint64_t pending() const;

 private:
  struct entry {
    alarm_fire fire;
    std::string by_object;
    /// When to fire: the due time, or later if the alarm was held back.
    std::int64_t fire_at_ms;
  };

  void run();
  /// Loads up to `max_entries` more alarms from the index, from the window's end on.
  void refill(std::size_t max_entries);
  void trim_window();
  void insert(const alarm_record& record, const object_id& id, std::string_view name,
              std::int64_t fire_at_ms);

  environment& env_;
  const alarm_dbs dbs_;
  clock& clock_;
  const fire_function fire_;
  const std::size_t window_max_;
  const std::size_t max_undelivered_;
  /// Fired alarms not yet delivered.
  std::size_t undelivered_ = 0;
  mutable std::mutex mutex_;
  /// Window entries by the key they fire in order of: due key (due time, id, name).
  std::map<std::string, entry> window_;
  /// by-object key → window key, to find an alarm's window entry when it changes.
  std::unordered_map<std::string, std::string> window_keys_;
  std::unordered_set<std::string> in_flight_;
  /// Due keys at or above this are not loaded; nothing means everything is loaded.
  std::optional<std::string> window_end_;
  bool loaded_ = false;
  bool stopping_ = false;
  std::atomic<std::uint64_t> fired_{0};
  std::thread thread_;
};

}  // namespace dort
