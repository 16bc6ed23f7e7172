// Where attempts leave their reports for their execution. Attempts end on other threads (the
// worker pool, the curl loop), often many at once; rather than one message of the execution per
// report, each with its own pump, counters write and commit, the reports wait here and one
// message takes all that arrived (`push` says when that message must be posted: the first
// report since the last `take`). Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "execution/task_handler.hpp"

namespace dort {

class report_inbox {
 public:
  struct entry {
    std::string task_id;
    /// The attempt's token in the attempt table: reports of attempts given up on are ignored.
    std::uint64_t token;
    attempt_report report;
  };

  /// Leaves a report; returns true if the inbox was empty (post a message to take it).
  bool push(entry e) {
    std::lock_guard guard{mutex_};
    entries_.push_back(std::move(e));
    return entries_.size() == 1;
  }

  /// Takes every report left so far, in the order they came.
  std::vector<entry> take() {
    std::lock_guard guard{mutex_};
    return std::exchange(entries_, {});
  }

 private:
  std::mutex mutex_;
  std::vector<entry> entries_;
};

}  // namespace dort
