// The alarms of one object, as its handlers see them and as its host commits them: any number of
// named alarms (the unnamed alarm of Cloudflare's API is the one named ""), each at most once.
// Changes made by a message are pending until the message finishes; then they become raw writes
// of the message's commit (see alarm_index.hpp), so they are durable — and visible to the
// scheduler — exactly when the message's other writes are. A handler that throws leaves them
// unmade. While the alarm `name` runs, `get(name)` shows only what the run itself set.
// Not thread-safe: the object's thread drives it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "alarms/alarm_index.hpp"
#include "alarms/retry_policy.hpp"
#include "persistence/object_store.hpp"

namespace dort {

class object_alarms {
 public:
  /// Loads the alarms of object `id` from the index.
  object_alarms(environment& env, alarm_dbs dbs, object_id id, std::string class_name,
                std::string object_name);

  /// Sets alarm `name` to `due_ms`, replacing an earlier time. Throws `invalid_field` for a name
  /// over `max_alarm_name_bytes`.
  void set(std::string_view name, std::int64_t due_ms);

  /// Returns the time of alarm `name`, or nothing if it is not set.
  std::optional<std::int64_t> get(std::string_view name) const;

  /// Deletes alarm `name`; returns whether it was set.
  bool del(std::string_view name);

  /// Returns the stored record of alarm `name` as of the last finished message, or null.
  const alarm_record* committed(std::string_view name) const;

  // -- host side ------------------------------------------------------------------------------

  /// The alarm `name` starts running: it is hidden from `get` and, unless the run sets it again,
  /// cleared when the run succeeds.
  void begin_run(std::string_view name);

  /// After a failed run of `name`: schedules its next retry `policy` allows after `now_ms`, or
  /// drops it once retries are exhausted. Returns the retry time, or nothing if dropped.
  std::optional<std::int64_t> retry_or_drop(std::string_view name, std::int64_t now_ms,
                                            const retry_policy& policy, std::mt19937_64& random);

  /// Ends the message: hands its alarm changes to `store` as raw writes of the message and
  /// returns the names it changed.
  std::vector<std::string> finish(object_store& store);

  /// Returns a function that puts the running message's changes back as they are now (for
  /// `storage::transaction`; see object_store::add_savepoint_source).
  std::function<void()> savepoint() {
    return [this, saved = pending_]() mutable { pending_ = std::move(saved); };
  }

  /// Drops the running message's changes (its handler threw).
  void discard();

  /// Reloads every alarm from the index (after a failed commit).
  void reload();

  /// Returns the number of alarms set as of the last finished message.
  std::size_t size() const noexcept { return committed_.size(); }

 private:
  void check_name(std::string_view name) const;

  environment& env_;
  const alarm_dbs dbs_;
  const object_id id_;
  const std::string class_name_;
  const std::string object_name_;
  std::map<std::string, alarm_record, std::less<>> committed_;
  /// Changes of the running message: a new record, or nothing for a delete.
  std::map<std::string, std::optional<alarm_record>, std::less<>> pending_;
  std::optional<std::string> running_;
};

}  // namespace dort
