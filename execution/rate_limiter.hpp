// Exact sliding-window rate limits per task name (API.md, "Rate limit"): a task may start when
// fewer than its `maxExecutions` starts of tasks of its name — whatever their own limits — lie in
// the last `windowMs`. Each start is one small key (`r…n<number>` → time) plus the name's state
// record, so a start writes O(1) bytes whatever the limit; a decision reads O(log n) keys (a
// binary search for the first start inside the window, start times never decreasing). Starts
// that can no longer count for any task of the name (older than its largest window, or beyond its
// largest limit) are deleted a few per start. Not thread-safe: the execution's handlers drive it,
// and its writes are those of the running message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "execution/task_config.hpp"
#include "persistence/storage.hpp"

namespace dort {

class rate_limiter {
 public:
  /// Old starts deleted per start at most: more than the one a start adds, so the kept starts
  /// shrink to what can count without any one start doing unbounded work.
  static constexpr int max_trims_per_start = 2;

  /// `prefix` is the first byte of its keys: one limiter per kind of limit (names, groups).
  explicit rate_limiter(storage& store, char prefix = 'r') : store_(store), prefix_(prefix) {}

  /// Notes that tasks of `name` may start under `limit`, so that the starts that limit needs are
  /// kept. Called at submit and at each start.
  void admit(const std::string& name, const rate_limit& limit);

  /// Returns nothing if a task of `name` limited by `limit` may start at `now_ms`; else the
  /// time its window allows the next start.
  std::optional<std::int64_t> held_until(const std::string& name, const rate_limit& limit,
                                         std::int64_t now_ms);

  /// Records a start of a task of `name` at `now_ms` (limited by `limit`).
  void record_start(const std::string& name, const rate_limit& limit, std::int64_t now_ms);

  /// Forgets what memory holds (after a message whose writes were dropped).
  void forget() { names_.clear(); }

 private:
  /// What one name keeps, stored under `r…s`.
  struct name_state {
    std::uint64_t next = 0;    // number the next start takes
    std::uint64_t oldest = 0;  // oldest start still stored
    std::int64_t last_ms = 0;  // time of the latest start (times never decrease)
    std::int64_t max_window_ms = 0;
    std::int64_t max_executions = 0;
  };

  name_state& state_of(const std::string& name);
  std::string name_prefix(std::string_view name) const;
  std::string state_key(std::string_view name) const { return name_prefix(name) + "s"; }
  std::string start_key(std::string_view name, std::uint64_t number) const;
  void save(const std::string& name, const name_state& state);
  std::int64_t start_time(const std::string& name, std::uint64_t number);

  storage& store_;
  const char prefix_;
  std::unordered_map<std::string, name_state> names_;
};

}  // namespace dort
