// The durable alarm index: two LMDB databases written in the same transaction as the object's
// other writes (as raw writes of its message), so an alarm change is durable exactly when the
// message's writes are.
//   alarms_due:       due_ms (8 bytes big-endian) + object id (16) + alarm name → record
//   alarms_by_object: object id (16) + alarm name → record
// record = due_ms (8 bytes big-endian) + retry_count (4 bytes big-endian) + class NUL object name.
// `alarms_due` is ordered by due time, which is what lets the scheduler read only a near window
// of it; `alarms_by_object` finds an object's alarms by name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alarms/alarm_names.hpp"
#include "persistence/environment.hpp"
#include "persistence/object_id.hpp"

namespace dort {

/// One pending alarm, as stored.
struct alarm_record {
  std::int64_t due_ms = 0;
  std::uint32_t retry_count = 0;
  std::string class_name;
  std::string object_name;

  friend bool operator==(const alarm_record&, const alarm_record&) = default;
};

/// The two databases of the index, opened once per environment.
struct alarm_dbs {
  MDB_dbi due;
  MDB_dbi by_object;

  /// Opens (or creates) both databases in `env`.
  static alarm_dbs open(environment& env);
};

/// Returns the `alarms_due` key of alarm `name` of object `id` due at `due_ms`.
std::string due_key(std::int64_t due_ms, const object_id& id, std::string_view name);

/// Returns the `alarms_by_object` key of alarm `name` of object `id`.
std::string by_object_key(const object_id& id, std::string_view name);

/// Parts of a `due_key`.
struct due_key_parts {
  std::int64_t due_ms;
  object_id id;
  std::string_view name;
};

/// Splits a `due_key`; returns nothing for a malformed key.
std::optional<due_key_parts> parse_due_key(std::string_view key);

/// Returns `record` as stored.
std::string encode_alarm_record(const alarm_record& record);

/// Returns the stored `bytes` as a record; nothing if malformed.
std::optional<alarm_record> decode_alarm_record(std::string_view bytes);

/// One entry of `alarms_due`, as read back.
struct due_alarm {
  /// The entry's key: pass it as `after` to read the next page.
  std::string key;
  object_id id;
  std::string name;
  alarm_record record;
};

/// Returns up to `limit` entries of `alarms_due` in due order, beginning after the key `after`
/// (from the first when empty); malformed entries are skipped. For readers outside the scheduler
/// (inspection), in the caller's read transaction. Throws `dort::error` (storage_failure).
std::vector<due_alarm> read_due_alarms(const read_txn& txn, MDB_dbi due_db, std::string_view after,
                                       std::size_t limit);

}  // namespace dort
