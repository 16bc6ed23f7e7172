#include "alarms/object_alarms.hpp"

namespace dort {

object_alarms::object_alarms(environment& env, alarm_dbs dbs, object_id id, std::string class_name,
                             std::string object_name)
    : env_(env),
      dbs_(dbs),
      id_(id),
      class_name_(std::move(class_name)),
      object_name_(std::move(object_name)) {
  reload();
}

void object_alarms::reload() {
  committed_.clear();
  pending_.clear();
  running_.reset();
  auto txn = env_.begin_read();
  MDB_cursor* cursor = nullptr;
  if (mdb_cursor_open(txn.handle(), dbs_.by_object, &cursor) != 0)
    throw error{errc::storage_failure, "cannot read the alarm index"};
  std::string seek{id_.bytes()};
  MDB_val k{seek.size(), seek.data()};
  MDB_val v;
  for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE); rc == 0;
       rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    std::string_view key{static_cast<const char*>(k.mv_data), k.mv_size};
    if (key.substr(0, object_id::size_bytes) != id_.bytes()) break;
    auto record = decode_alarm_record({static_cast<const char*>(v.mv_data), v.mv_size});
    if (record) committed_.emplace(std::string{key.substr(object_id::size_bytes)}, *record);
  }
  mdb_cursor_close(cursor);
}

void object_alarms::check_name(std::string_view name) const {
  if (name.size() > max_alarm_name_bytes)
    throw error{errc::invalid_field,
                "an alarm name is at most " + std::to_string(max_alarm_name_bytes) + " bytes",
                "name"};
}

void object_alarms::set(std::string_view name, std::int64_t due_ms) {
  check_name(name);
  pending_.insert_or_assign(std::string{name}, alarm_record{due_ms, 0, class_name_, object_name_});
}

std::optional<std::int64_t> object_alarms::get(std::string_view name) const {
  if (auto it = pending_.find(name); it != pending_.end()) {
    if (!it->second) return std::nullopt;
    return it->second->due_ms;
  }
  if (running_ && *running_ == name) return std::nullopt;
  if (auto it = committed_.find(name); it != committed_.end()) return it->second.due_ms;
  return std::nullopt;
}

bool object_alarms::del(std::string_view name) {
  check_name(name);
  bool was_set = get(name).has_value();
  pending_.insert_or_assign(std::string{name}, std::nullopt);
  return was_set;
}

const alarm_record* object_alarms::committed(std::string_view name) const {
  auto it = committed_.find(name);
  return it == committed_.end() ? nullptr : &it->second;
}

void object_alarms::begin_run(std::string_view name) {
  running_ = std::string{name};
}

std::optional<std::int64_t> object_alarms::retry_or_drop(std::string_view name, std::int64_t now_ms,
                                                         const retry_policy& policy,
                                                         std::mt19937_64& random) {
  const alarm_record* current = committed(name);
  std::uint32_t retry = current ? current->retry_count + 1 : 1;
  auto delay = policy.delay_ms(retry, random);
  if (!delay) {
    pending_.insert_or_assign(std::string{name}, std::nullopt);
    return std::nullopt;
  }
  pending_.insert_or_assign(std::string{name},
                            alarm_record{now_ms + *delay, retry, class_name_, object_name_});
  return now_ms + *delay;
}

std::vector<std::string> object_alarms::finish(object_store& store) {
  // A run that succeeded without setting its alarm again clears it.
  if (running_ && !pending_.contains(*running_)) pending_.emplace(*running_, std::nullopt);
  running_.reset();
  std::vector<std::string> changed;
  for (auto& [name, change] : pending_) {
    auto old = committed_.find(name);
    if (old != committed_.end())
      store.add_raw_write(
          raw_write{dbs_.due, due_key(old->second.due_ms, id_, name), std::nullopt});
    if (change) {
      store.add_raw_write(
          raw_write{dbs_.due, due_key(change->due_ms, id_, name), encode_alarm_record(*change)});
      store.add_raw_write(
          raw_write{dbs_.by_object, by_object_key(id_, name), encode_alarm_record(*change)});
      committed_.insert_or_assign(name, *change);
    } else if (old != committed_.end()) {
      store.add_raw_write(raw_write{dbs_.by_object, by_object_key(id_, name), std::nullopt});
      committed_.erase(old);
    } else {
      continue;  // deleting an alarm that was never set changes nothing
    }
    changed.push_back(name);
  }
  pending_.clear();
  return changed;
}

void object_alarms::discard() {
  pending_.clear();
  running_.reset();
}

}  // namespace dort
