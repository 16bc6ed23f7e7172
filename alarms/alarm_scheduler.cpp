#include "alarms/alarm_scheduler.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include "persistence/error.hpp"

namespace dort {

alarm_scheduler::alarm_scheduler(environment& env, alarm_dbs dbs, clock& clock, fire_function fire,
                                 std::size_t window_max, std::size_t max_undelivered)
    : env_(env),
      dbs_(dbs),
      clock_(clock),
      fire_(std::move(fire)),
      window_max_(window_max),
      max_undelivered_(std::max<std::size_t>(max_undelivered, 1)) {}

alarm_scheduler::~alarm_scheduler() {
  stop();
}

void alarm_scheduler::stop() {
  {
    std::lock_guard guard{mutex_};
    stopping_ = true;
  }
  clock_.wake();
  if (thread_.joinable()) thread_.join();
}

void alarm_scheduler::start() {
  {
    std::lock_guard guard{mutex_};
    refill(window_max_);
    loaded_ = true;
  }
  thread_ = std::thread{[this] { run(); }};
}

std::size_t alarm_scheduler::in_memory() const {
  std::lock_guard guard{mutex_};
  return window_.size() + in_flight_.size();
}

std::uint64_t alarm_scheduler::pending() const {
  auto txn = env_.begin_read();
  MDB_stat stat;
  if (mdb_stat(txn.handle(), dbs_.by_object, &stat) != 0)
    throw error{errc::storage_failure, "cannot read the alarm index"};
  return stat.ms_entries;
}

void alarm_scheduler::insert(const alarm_record& record, const object_id& id, std::string_view name,
                             std::int64_t fire_at_ms) {
  std::string by_object = by_object_key(id, name);
  std::string key = due_key(fire_at_ms, id, name);
  window_keys_.insert_or_assign(by_object, key);
  window_.insert_or_assign(
      std::move(key), entry{alarm_fire{id, std::string{name}, record.due_ms, record.retry_count,
                                       record.class_name, record.object_name},
                            std::move(by_object), fire_at_ms});
}

void alarm_scheduler::trim_window() {
  // Past the bound, the latest entry goes back to the index alone: the window's end moves down
  // to its key, so everything below the end is still in memory.
  while (window_.size() > window_max_) {
    auto last = std::prev(window_.end());
    window_end_ = last->first;
    window_keys_.erase(last->second.by_object);
    window_.erase(last);
  }
}

void alarm_scheduler::refill(std::size_t max_entries) {
  const std::size_t limit = std::min(max_entries, window_max_ - std::min(window_max_, window_.size()));
  if (limit == 0) return;
  auto txn = env_.begin_read();
  MDB_cursor* cursor = nullptr;
  if (mdb_cursor_open(txn.handle(), dbs_.due, &cursor) != 0)
    throw error{errc::storage_failure, "cannot read the alarm index"};
  std::string start = window_end_.value_or(std::string{});
  MDB_val k{start.size(), start.data()};
  MDB_val v;
  int rc = start.empty() ? mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
                         : mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
  std::size_t loaded = 0;
  window_end_.reset();  // everything is loaded, unless the window fills first
  for (; rc == 0; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    std::string_view key{static_cast<const char*>(k.mv_data), k.mv_size};
    if (loaded == limit) {
      window_end_ = std::string{key};
      break;
    }
    auto parts = parse_due_key(key);
    auto record = decode_alarm_record({static_cast<const char*>(v.mv_data), v.mv_size});
    if (!parts || !record) continue;  // never written by dort; ignored rather than fatal
    std::string by_object = by_object_key(parts->id, parts->name);
    if (in_flight_.contains(by_object) || window_keys_.contains(by_object)) continue;
    insert(*record, parts->id, parts->name, record->due_ms);
    ++loaded;
  }
  mdb_cursor_close(cursor);
}

void alarm_scheduler::refresh(const object_id& id, std::string_view name,
                              std::int64_t not_before_ms) {
  std::string by_object = by_object_key(id, name);
  {
    std::lock_guard guard{mutex_};
    in_flight_.erase(by_object);
    if (auto it = window_keys_.find(by_object); it != window_keys_.end()) {
      window_.erase(it->second);
      window_keys_.erase(it);
    }
    if (loaded_) {
      auto txn = env_.begin_read();
      auto stored = txn.get(dbs_.by_object, by_object);
      auto record = stored ? decode_alarm_record(*stored) : std::nullopt;
      // Only alarms inside the loaded range belong in memory; the others wait for a refill.
      if (record && (!window_end_ || due_key(record->due_ms, id, name) < *window_end_)) {
        insert(*record, id, name, std::max(record->due_ms, not_before_ms));
        trim_window();
      }
    }
  }
  clock_.wake();
}

void alarm_scheduler::delivered() {
  bool was_full;
  {
    std::lock_guard guard{mutex_};
    was_full = undelivered_ >= max_undelivered_;
    if (undelivered_ > 0) --undelivered_;
  }
  if (was_full) clock_.wake();
}

void alarm_scheduler::run() {
  std::unique_lock lock{mutex_};
  std::vector<alarm_fire> due;
  while (!stopping_) {
    // Refilled in bounded chunks while half the window is still there, so that the lock is
    // never held for a whole window's read (that stalled firing and refreshes for ~100 ms).
    if (window_end_ && window_.size() <= window_max_ / 2) refill(refill_chunk);
    auto ticket = clock_.wake_ticket();
    auto now = clock_.now_ms();
    while (!window_.empty() && due.size() < max_fires_per_round &&
           undelivered_ < max_undelivered_) {
      auto first = window_.begin();
      if (first->second.fire_at_ms > now) break;
      in_flight_.insert(first->second.by_object);
      ++undelivered_;
      window_keys_.erase(first->second.by_object);
      due.push_back(std::move(first->second.fire));
      window_.erase(first);
    }
    if (!due.empty()) {
      lock.unlock();
      for (auto& fire : due) fire_(std::move(fire));
      fired_.fetch_add(due.size(), std::memory_order_relaxed);
      due.clear();
      lock.lock();
      continue;
    }
    // At the bound, a delivery wakes the clock.
    auto deadline = window_.empty() || undelivered_ >= max_undelivered_
                        ? std::numeric_limits<std::int64_t>::max()
                        : window_.begin()->second.fire_at_ms;
    lock.unlock();
    clock_.wait_until(deadline, ticket);
    lock.lock();
  }
}

}  // namespace dort
