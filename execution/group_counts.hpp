// How many tasks of each group are queued (`pending` or `rate_limited`): what a group's
// `maxQueued` (API.md "Semantics") is checked against at submit. One key per group with queued
// tasks (`G<group>` → count, task_keys.hpp), deleted at 0, so a count costs one small write per
// status change of a task with a group and nothing for tasks without one. Counts read are kept
// in memory (bounded: a full cache is emptied and read again as needed).
// Not thread-safe: the execution's handlers drive it, and its writes are the running message's.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "persistence/storage.hpp"

namespace dort {

class group_counts {
 public:
  explicit group_counts(storage& store) : store_(store) {}

  /// Tasks of `group` queued now.
  std::int64_t queued(const std::string& group);

  /// Moves the count of `group` by `delta` and writes it.
  void add(const std::string& group, std::int64_t delta);

  /// Forgets memory (after a message whose writes were dropped).
  void forget() { cache_.clear(); }

 private:
  storage& store_;
  std::unordered_map<std::string, std::int64_t> cache_;
};

}  // namespace dort
