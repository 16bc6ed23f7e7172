// The attempts an execution instance has in progress, by task id: known only in memory (a
// restart, or a rebuilt instance, runs their tasks again). Each attempt goes through declared
// phases: `starting` from the message that made its task `running` until that change is durable
// (DESIGN.md's output gate: no handler runs ahead of the durable state), then `launched`.
// A token tells a live attempt from a report of one given up on. Abandoning an attempt (cancel,
// timeout, or the instance going away) runs its `on_abandon` hook. Not thread-safe: the
// execution's mailbox drives it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "execution/task_handler.hpp"

namespace dort {

class attempt_table {
 public:
  enum class phase { starting, launched };

  struct entry {
    std::uint64_t token;
    std::int64_t deadline_ms;
    std::shared_ptr<task_attempt> attempt;
    phase state = phase::starting;
    /// The task's latest event while the attempt runs: progress events are written without
    /// rewriting the task's record, whose count then lags behind.
    std::uint32_t last_event = 0;
    /// The task's group, if it has one (its `concurrency` counts the group's attempts).
    std::optional<std::string> group;
  };

  attempt_table() = default;
  attempt_table(const attempt_table&) = delete;
  attempt_table& operator=(const attempt_table&) = delete;

  /// Abandons every attempt still in the table.
  ~attempt_table() { abandon_all(); }

  /// Adds the attempt of task `id` (of `group`, if any), starting, and returns its token.
  std::uint64_t add(const std::string& id, std::int64_t deadline_ms,
                    std::shared_ptr<task_attempt> attempt,
                    std::optional<std::string> group = std::nullopt);

  /// Returns the starting attempt of `id` with `token` and marks it launched; null if it is no
  /// longer there (abandoned since) or already launched.
  std::shared_ptr<task_attempt> launch(const std::string& id, std::uint64_t token);

  /// Returns whether `token` is the live attempt of `id`.
  bool is_live(const std::string& id, std::uint64_t token) const;

  /// Returns whether task `id` has an attempt in the table.
  bool contains(const std::string& id) const { return entries_.contains(id); }

  /// Notes event `seq` of task `id`, if it has an attempt.
  void note_event(const std::string& id, std::uint32_t seq);

  /// Returns the latest event noted for task `id`'s attempt, or 0.
  std::uint32_t last_event(const std::string& id) const;

  /// Removes the attempt of `id` (it reported its end); returns whether it was there.
  bool remove(const std::string& id);

  /// Removes the attempt of `id`, if any, and abandons it: its reports are ignored from now on.
  void abandon(const std::string& id);

  /// Abandons every attempt (the instance is rebuilt or goes away).
  void abandon_all();

  /// Returns the ids of the attempts whose deadline is at or before `now_ms`.
  std::vector<std::string> expired(std::int64_t now_ms) const;

  /// Returns the earliest deadline, or nothing when no attempt runs.
  std::optional<std::int64_t> earliest_deadline() const;

  std::size_t size() const noexcept { return entries_.size(); }
  /// Attempts of tasks of `group` in the table.
  std::size_t running_in(const std::string& group) const;
  bool empty() const noexcept { return entries_.empty(); }

 private:
  /// Erases the entry at `it`, keeping the counts per group.
  void erase(std::unordered_map<std::string, entry>::iterator it);

  std::unordered_map<std::string, entry> entries_;
  std::unordered_map<std::string, std::size_t> by_group_;
  std::uint64_t next_token_ = 1;
};

}  // namespace dort
