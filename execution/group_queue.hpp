// The ready tasks that have a `group`, taking turns by group (API.md "Semantics"): among the
// ready tasks of the highest priority, the next to start is the oldest of the group whose last
// start is the oldest; a group that never started counts as oldest, ties going to the group whose
// oldest ready task was submitted first. Keys (task_keys.hpp):
//   g<len16><group><1e6−priority><seq> → id      a group's ready tasks, its best first
//   h<1e6−priority><rank><group>       → head id  one entry per group in the turns: its head's
//                                                 priority, then its rank
//   H<group>                           → the group's state (rank, head, whether in the turns),
//                                        while it has ready tasks
// A group's rank is its head's seq while it never started (below 2^62), else 2^62 + the number
// of the execution's start that was its last: ordering `h` by (priority, rank) is the rule, and
// each change of a group's head or rank moves its one entry, O(log n) whatever the backlogs.
// A group at its `concurrency` is parked: its entry leaves the turns until an attempt of it ends
// (in memory: a rebuilt or restarted instance has no attempts, and every task it queues again
// brings its group back). A group that ran empty keeps its rank in memory only (bounded; the
// rotation need not survive a restart), so that `H` keys exist only for groups with ready tasks.
// Tasks without a group stay in the execution's own ready queue and take turns as one group of
// their own there (execution_object::start_ready), at no cost to executions without groups.
// Not thread-safe: the execution's handlers drive it, and its writes are the running message's.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "execution/index_window.hpp"
#include "execution/task_record.hpp"
#include "persistence/storage.hpp"

namespace dort {

class group_queue {
 public:
  /// Ranks of groups that started are at least this; a never-started group's rank is a seq.
  static constexpr std::uint64_t started_rank_base = std::uint64_t{1} << 62;

  /// The head of a group in the turns.
  struct head {
    std::string group;
    std::string id;
    std::int64_t priority;
    std::uint64_t seq;
    std::uint64_t rank;
  };

  /// A group's place, as its `H` key holds it while the group has ready tasks.
  struct state {
    bool ready = false;            // has ready tasks (and then an `H` key)
    bool in_turns = false;         // has its `h` entry
    std::uint64_t last_start = 0;  // rank of its last start, 0 if none known
    std::int64_t head_priority = 0;
    std::uint64_t head_seq = 0;
    std::string head_id;

    std::uint64_t rank() const { return last_start != 0 ? last_start : head_seq; }
  };

  /// The `H` value of a ready group's state, and back (nothing if the value is malformed);
  /// `dort inspect check` reads it too.
  static std::string encode_state(const state& st);
  static std::optional<state> decode_state(std::string_view stored);

  explicit group_queue(storage& store) : store_(store), turns_(store, "h") {}

  /// Adds the ready task `task`, which has a group, to its group's queue.
  void add(const task_record& task);

  /// Takes `task` out of its group's queue, if it is there (it started, was cancelled, or is
  /// held by a rate limit): the group's next task becomes its head.
  void remove(const task_record& task) { remove(*task.group, task.priority, task.seq); }
  void remove(const std::string& group, std::int64_t priority, std::uint64_t seq);

  /// The head of the group whose turn comes first, or nothing.
  std::optional<head> front();

  /// Notes that a task of `group` started as the execution's start `rank` (≥ started_rank_base).
  void started(const std::string& group, std::uint64_t rank);

  /// Takes `group` out of the turns (its ready tasks stay queued) until `unpark`.
  void park(const std::string& group);
  void unpark(const std::string& group);
  const std::set<std::string>& parked() const noexcept { return parked_; }

  /// Writes the turns' entries the running message added and kept (index_window::flush).
  void flush() { turns_.flush(); }

  /// Forgets memory (after a message whose writes were dropped, or a rebuild).
  void forget();

 private:
  state& state_of(const std::string& group);
  void save(const std::string& group, const state& st);
  void leave_turns(const std::string& group, state& st);
  void enter_turns(const std::string& group, state& st);

  storage& store_;
  index_window turns_;
  std::unordered_map<std::string, state> states_;
  std::set<std::string> parked_;
};

}  // namespace dort
