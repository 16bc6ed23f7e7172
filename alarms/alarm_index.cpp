#include "alarms/alarm_index.hpp"

#include <algorithm>

#include "persistence/error.hpp"

namespace dort {

namespace {

void append_be(std::string& out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::uint64_t read_be(std::string_view in, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

/// Times before the epoch sort as the epoch: they are all "due now".
std::uint64_t sortable_ms(std::int64_t ms) {
  return static_cast<std::uint64_t>(std::max<std::int64_t>(ms, 0));
}

}  // namespace

alarm_dbs alarm_dbs::open(environment& env) {
  return alarm_dbs{env.open_db("alarms_due"), env.open_db("alarms_by_object")};
}

std::string due_key(std::int64_t due_ms, const object_id& id, std::string_view name) {
  std::string key;
  key.reserve(8 + object_id::size_bytes + name.size());
  append_be(key, sortable_ms(due_ms), 8);
  key.append(id.bytes());
  key.append(name);
  return key;
}

std::string by_object_key(const object_id& id, std::string_view name) {
  std::string key{id.bytes()};
  key.append(name);
  return key;
}

std::optional<due_key_parts> parse_due_key(std::string_view key) {
  if (key.size() < 8 + object_id::size_bytes) return std::nullopt;
  return due_key_parts{static_cast<std::int64_t>(read_be(key, 8)),
                       object_id::from_bytes(key.substr(8, object_id::size_bytes)),
                       key.substr(8 + object_id::size_bytes)};
}

std::string encode_alarm_record(const alarm_record& record) {
  std::string out;
  append_be(out, sortable_ms(record.due_ms), 8);
  append_be(out, record.retry_count, 4);
  out.append(record.class_name);
  out.push_back('\0');
  out.append(record.object_name);
  return out;
}

std::optional<alarm_record> decode_alarm_record(std::string_view bytes) {
  if (bytes.size() < 13) return std::nullopt;
  auto names = bytes.substr(12);
  auto nul = names.find('\0');
  if (nul == std::string_view::npos) return std::nullopt;
  return alarm_record{static_cast<std::int64_t>(read_be(bytes, 8)),
                      static_cast<std::uint32_t>(read_be(bytes.substr(8), 4)),
                      std::string{names.substr(0, nul)}, std::string{names.substr(nul + 1)}};
}

std::vector<due_alarm> read_due_alarms(const read_txn& txn, MDB_dbi due_db, std::string_view after,
                                       std::size_t limit) {
  std::vector<due_alarm> out;
  if (limit == 0) return out;
  MDB_cursor* cursor = nullptr;
  if (mdb_cursor_open(txn.handle(), due_db, &cursor) != 0)
    throw error{errc::storage_failure, "cannot read the alarm index"};
  MDB_val k{after.size(), const_cast<char*>(after.data())};
  MDB_val v;
  int rc = mdb_cursor_get(cursor, &k, &v, after.empty() ? MDB_FIRST : MDB_SET_RANGE);
  for (; rc == 0 && out.size() < limit; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    std::string_view key{static_cast<const char*>(k.mv_data), k.mv_size};
    if (key == after) continue;
    auto parts = parse_due_key(key);
    auto record = decode_alarm_record({static_cast<const char*>(v.mv_data), v.mv_size});
    if (!parts || !record) continue;  // never written by dort
    out.push_back(due_alarm{std::string{key}, parts->id, std::string{parts->name}, *record});
  }
  mdb_cursor_close(cursor);
  if (rc != 0 && rc != MDB_NOTFOUND)
    throw error{errc::storage_failure,
                std::string{"cannot read the alarm index: "} + mdb_strerror(rc)};
  return out;
}

}  // namespace dort
