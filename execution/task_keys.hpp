// The keys of an execution object's storage. One byte says what a key is; numbers are
// big-endian so that byte order is numeric order:
//   t<id>                      → task record (task_record.hpp)
//   a<seq>                     → id: every task in submission order (list, cursors)
//   s<status><seq>             → id: tasks by status (list ?status=, dlq)
//   q<1e6−priority><seq>       → id: ready tasks, highest priority first, then oldest
//   w<time><seq>               → id: tasks waiting for a time (delayed start, retry, rate-limit
//                                window, a running `wait`); the execution's alarm follows the first
//   f<class><completedAt><seq> → id: finished tasks by the time they ended, per retention class
//                                (C: completed and cancelled, F: failed), for their deletion
//   k<idempotency key>         → id
//   S<name>                    → schedule record (schedule_record.hpp)
//   n<nextRunAt><name>         → name: schedules by their next run
//   G<group>                   → count of the group's queued tasks, 8 bytes (group_counts.hpp)
//   g<len16><group><1e6−priority><seq> → id: a group's ready tasks (group_queue.hpp)
//   h<1e6−priority><rank><group> → id: the head of each group in the turns (group_queue.hpp)
//   H<group>                   → a group's place in the turns, while it has ready tasks
//   e<len16><id><seq32>        → event JSON
//   r<name>                    → recent start times of rate-limited tasks of that name
//   R<group>                   → the same for the starts of a group (the groups' rateLimit)
//   m                          → counters (metrics, next submission number)
//   c                          → the execution's defaults and concurrency
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "execution/task_record.hpp"

namespace dort::task_keys {

inline void append_be(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline std::uint64_t read_be(std::string_view in) {
  std::uint64_t v = 0;
  for (unsigned char c : in) v = (v << 8) | c;
  return v;
}

/// One letter per status in the `s` index.
inline char status_letter(task_status s) {
  return "PRCFLX"[static_cast<int>(s)];
}

inline std::string task(std::string_view id) { return "t" + std::string{id}; }

inline std::string all(std::uint64_t seq) {
  std::string k = "a";
  append_be(k, seq, 8);
  return k;
}

inline std::string status_prefix(task_status s) { return std::string{'s', status_letter(s)}; }

/// The index that lists tasks in submission order: of one status, or all of them.
inline std::string listing_prefix(std::optional<task_status> s) {
  return s ? status_prefix(*s) : std::string{"a"};
}

inline std::string by_status(task_status s, std::uint64_t seq) {
  auto k = status_prefix(s);
  append_be(k, seq, 8);
  return k;
}

/// Priorities lie in −1e6 … 1e6 (API.md), so 1e6 − priority is 0 … 2e6 and never negative:
/// queue keys (`q`, `g`, `h`) hold it so that the highest priority comes first.
inline void append_priority(std::string& out, std::int64_t priority) {
  append_be(out, static_cast<std::uint64_t>(1'000'000 - priority), 8);
}

/// The priority a queue key holds at byte `at`.
inline std::int64_t priority_at(std::string_view key, std::size_t at) {
  return 1'000'000 - static_cast<std::int64_t>(read_be(key.substr(at, 8)));
}

/// Whether (priority, n) comes before (other_priority, other_n) in a queue's order: the higher
/// priority first, then the smaller number (a seq, or a group's rank).
inline bool queue_order_before(std::int64_t priority, std::uint64_t n, std::int64_t other_priority,
                               std::uint64_t other_n) {
  if (priority != other_priority) return priority > other_priority;
  return n < other_n;
}

inline std::string queue(std::int64_t priority, std::uint64_t seq) {
  std::string k = "q";
  append_priority(k, priority);
  append_be(k, seq, 8);
  return k;
}

inline std::string wake(std::int64_t at_ms, std::uint64_t seq) {
  std::string k = "w";
  append_be(k, static_cast<std::uint64_t>(at_ms < 0 ? 0 : at_ms), 8);
  append_be(k, seq, 8);
  return k;
}

/// The time in a `w` key.
inline std::int64_t wake_time(std::string_view key) {
  return static_cast<std::int64_t>(read_be(key.substr(1, 8)));
}

/// The retention class of a final status: `completedMs` keeps completed and cancelled tasks
/// (C), `failedMs` failed ones (F).
inline char retention_class(task_status s) { return s == task_status::failed ? 'F' : 'C'; }

inline std::string finished_prefix(char retention_class) { return {'f', retention_class}; }

inline std::string finished(task_status s, std::int64_t completed_at, std::uint64_t seq) {
  auto k = finished_prefix(retention_class(s));
  append_be(k, static_cast<std::uint64_t>(completed_at < 0 ? 0 : completed_at), 8);
  append_be(k, seq, 8);
  return k;
}

/// The time in an `f` key.
inline std::int64_t finished_time(std::string_view key) {
  return static_cast<std::int64_t>(read_be(key.substr(2, 8)));
}

inline std::string schedule(std::string_view name) { return "S" + std::string{name}; }

inline constexpr std::string_view schedules_prefix = "S";
inline constexpr std::string_view schedule_runs_prefix = "n";

inline std::string schedule_run(std::int64_t at_ms, std::string_view name) {
  std::string k{schedule_runs_prefix};
  append_be(k, static_cast<std::uint64_t>(at_ms < 0 ? 0 : at_ms), 8);
  return k + std::string{name};
}

/// The time in an `n` key.
inline std::int64_t schedule_run_time(std::string_view key) {
  return static_cast<std::int64_t>(read_be(key.substr(1, 8)));
}

inline std::string group_count(std::string_view group) { return "G" + std::string{group}; }

inline std::string group_ready_prefix(std::string_view group) {
  std::string k = "g";
  append_be(k, group.size(), 2);
  return k + std::string{group};
}

inline std::string group_ready(std::string_view group, std::int64_t priority, std::uint64_t seq) {
  auto k = group_ready_prefix(group);
  append_priority(k, priority);
  append_be(k, seq, 8);
  return k;
}

inline constexpr std::string_view turns_prefix = "h";

inline std::string turn(std::int64_t priority, std::uint64_t rank, std::string_view group) {
  std::string k{turns_prefix};
  append_priority(k, priority);
  append_be(k, rank, 8);
  return k + std::string{group};
}

/// The priority, rank and group in an `h` key.
inline std::int64_t turn_priority(std::string_view key) { return priority_at(key, 1); }
inline std::uint64_t turn_rank(std::string_view key) { return read_be(key.substr(9, 8)); }
inline std::string_view turn_group(std::string_view key) { return key.substr(17); }

inline std::string group_state(std::string_view group) { return "H" + std::string{group}; }

inline std::string idempotency(std::string_view key) { return "k" + std::string{key}; }

inline std::string events_prefix(std::string_view id) {
  std::string k = "e";
  append_be(k, id.size(), 2);
  k += id;
  return k;
}

inline std::string event(std::string_view id, std::uint32_t seq) {
  auto k = events_prefix(id);
  append_be(k, seq, 4);
  return k;
}

inline std::string rate(std::string_view name) { return "r" + std::string{name}; }

inline constexpr std::string_view counters = "m";
inline constexpr std::string_view defaults = "c";

}  // namespace dort::task_keys
