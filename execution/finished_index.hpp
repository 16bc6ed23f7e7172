// The finished tasks of one execution by the time they ended (`f` keys, task_keys.hpp), one
// index per retention class, so that retention (API.md "Retention and purge") finds the tasks
// due for deletion from the front, in bounded steps, and the alarm knows when the next is due:
// a changed `retention` applies to every finished task at once, since the index holds end
// times, not deletion times. The first end time of each class is kept in memory (read once
// after `forget`); tasks end in time order, so adding rarely moves it.
// Not thread-safe: the execution's handlers drive it, and its writes are the running message's.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "execution/execution_settings.hpp"
#include "execution/task_record.hpp"
#include "persistence/storage.hpp"

namespace dort {

class finished_index {
 public:
  explicit finished_index(storage& store) : store_(store) {}

  /// Adds a task that has just reached a final status (its `completed_at` set).
  void add(const task_record& task);

  /// Removes a final task's entry (deleted, or retried out of its final status).
  void remove(const task_record& task);

  /// When the first finished task is due for deletion under `policy`, or nothing if none is
  /// stored.
  std::optional<std::int64_t> next_due(const retention_policy& policy);

  /// The ids of at most `limit` tasks due for deletion at `now`, earliest first in each class.
  std::vector<std::string> due(std::int64_t now, const retention_policy& policy, std::size_t limit);

  /// Forgets the first end times (after a message whose writes were dropped).
  void forget() { first_known_ = {false, false}; }

 private:
  /// The first end time of class `c` (0: C, 1: F), or nothing if the class is empty.
  std::optional<std::int64_t> first(std::size_t c);

  storage& store_;
  std::array<std::optional<std::int64_t>, 2> first_{};
  std::array<bool, 2> first_known_{false, false};
};

}  // namespace dort
