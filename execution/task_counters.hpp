// An execution's counters, stored under one key and updated in the same transaction as every
// state change: tasks by status, the sums behind the averages of API.md's metrics, and the next
// submission number.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "actors/json_writer.hpp"
#include "execution/task_record.hpp"

namespace dort {

struct task_counters {
  std::uint64_t next_seq = 1;
  /// Starts so far (the turns of groups rank by it, group_queue.hpp), and the rank of the last
  /// start of a task without a group (0: none since these counts exist).
  std::uint64_t starts = 0;
  std::uint64_t ungrouped_last_start = 0;
  std::array<std::int64_t, 6> by_status{};
  /// Over completed and failed tasks: how many, and the sums of `duration` and `retries`.
  std::int64_t finished = 0;
  std::int64_t duration_sum = 0;
  std::int64_t retries_sum = 0;

  std::int64_t& of(task_status s) { return by_status[static_cast<std::size_t>(s)]; }
  std::int64_t of(task_status s) const { return by_status[static_cast<std::size_t>(s)]; }

  std::int64_t total() const {
    std::int64_t sum = 0;
    for (auto n : by_status) sum += n;
    return sum;
  }

  /// Tasks pending or rate_limited (the admission limit counts these).
  std::int64_t queued() const { return of(task_status::pending) + of(task_status::rate_limited); }

  /// Moves one task from `from` to `to`.
  void move(task_status from, task_status to) {
    --of(from);
    ++of(to);
  }

  /// Counts `t` into (or, with `sign` −1, out of) the averages, if it is completed or failed.
  void count_finished(const task_record& t, int sign) {
    if (t.status != task_status::completed && t.status != task_status::failed) return;
    finished += sign;
    duration_sum += sign * t.duration.value_or(0);
    retries_sum += sign * t.retries;
  }

  /// API.md's metrics object.
  std::string metrics_json() const;

  std::string encode() const;
  static task_counters decode(std::string_view stored);
};

}  // namespace dort
