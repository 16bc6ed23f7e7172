// The tasks of one execution as its storage holds them: records (`t<id>`), the status index
// (`s<status><seq>`), the finished index (`f…`, finished_index.hpp), the counters (`m`) and each
// task's event log (`e<id><seq>`). A status
// change moves the task's index entry once per message, with its final state (`flush`), so a
// task submitted and started in one message never writes a pending entry. Writes are those of
// the running message; an error in a stored record is `storage_failure`, never a guess.
// The records of unfinished tasks that were used lately are kept decoded (a write-through
// cache, bounded in entries and bytes): a task in flight is read at each of its state changes,
// and parsing its JSON again each time cost more than the rest of the change. The cache holds
// only what the running message saved or read, and is emptied with the rest of memory when a
// message's writes are dropped (`load`); an instance whose commit fails is destroyed with it.
// Not thread-safe: the execution's handlers drive it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "actors/json_writer.hpp"
#include "execution/event_hub.hpp"
#include "execution/finished_index.hpp"
#include "execution/group_counts.hpp"
#include "execution/task_counters.hpp"
#include "execution/task_record.hpp"
#include "persistence/storage.hpp"

namespace dort {

class task_store {
 public:
  /// How the gauges of running and queued tasks move when a message's writes are durable.
  struct gauge_moves {
    std::int64_t running = 0;
    std::int64_t queued = 0;
  };

  explicit task_store(storage& store) : store_(store) {}

  /// Reads the counters (and forgets what the last message had not flushed, and every cached
  /// record).
  void load();

  /// Returns the task `id` as stored, or nothing.
  std::optional<task_record> find(std::string_view id);

  /// Writes `task`'s record.
  void save(const task_record& task);

  /// Writes a new task's submission index entry (`a<seq>`) and counts it as pending.
  void add(const task_record& task);

  /// Moves `task` to status `to`: its counters now, its index entry at `flush`. A task that
  /// becomes final (its `completed_at` set before) enters the finished index; one that leaves a
  /// final status (its `completed_at` still that of the end) leaves it.
  void set_status(task_record& task, task_status to);

  /// Deletes a final task: its record, index entries, idempotency key and events; it leaves the
  /// counters (its status's count, the averages). Its id and key are free again.
  void remove(const task_record& task);

  /// Appends an event of `type` (with `fields`) to `task`'s log, at `now_ms`; returns it.
  task_event append_event(task_record& task, std::string_view type, std::int64_t now_ms,
                          const std::function<void(json_writer&)>& fields = {});

  /// Returns the sequence number of task `id`'s last stored event (0 if none).
  std::uint32_t last_stored_event(const std::string& id);

  /// Writes the counters.
  void save_counters();

  /// Ends the message: writes the status index moves; returns how the gauges move.
  gauge_moves flush();

  /// Forgets the running message's moves (its writes were dropped).
  void discard() { moves_.clear(); }

  /// Queued tasks per group, for the groups' `maxQueued`.
  group_counts& groups() noexcept { return groups_; }

  /// Finished tasks by the time they ended, for retention.
  finished_index& finished() noexcept { return finished_; }

  task_counters& counters() noexcept { return counters_; }
  const task_counters& counters() const noexcept { return counters_; }

 private:
  /// Keeps `task` decoded if it is unfinished and there is room; forgets it when final.
  void remember(const task_record& task);
  void forget(const std::string& id);

  struct status_move {
    std::optional<task_status> from;
    task_status to;
    std::uint64_t seq;
  };

  storage& store_;
  task_counters counters_;
  finished_index finished_{store_};
  group_counts groups_{store_};
  /// Status changes of the running message, by task id.
  std::unordered_map<std::string, status_move> moves_;
  /// Decoded records of unfinished tasks (see the file comment), and the bytes of client JSON
  /// they hold.
  std::unordered_map<std::string, task_record> cache_;
  std::size_t cached_bytes_ = 0;
};

}  // namespace dort
