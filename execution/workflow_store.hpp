// The workflows of one execution as its storage holds them (keys below, beside task_keys.hpp's):
//   D<id>                          → definition, written once (workflow_definition.hpp)
//   W<id>                          → state (workflow_record.hpp)
//   o<len16><id><step16>           → a completed step's output
//   b<seq>                         → id: every workflow in creation order (list, cursors)
//   B<status><seq>                 → id: workflows by status (list ?status=)
//   x<time><seq><what><step16>     → id: a workflow's timed work (what: S a sleep's end or an
//                                    event step's timeout, T the workflow's timeout, C the next
//                                    chunk of a parent's children); the execution's alarm follows
//   v<len16><id><len16><type><n64> → payload: events sent to it that wait for a step, oldest first
//   E<len16><id><seq32>            → its event log (API.md's workflow events)
//   X<class><completedAt><seq>     → id: finished workflows by end time, per retention class
//   M                              → counters: workflows by status, the next creation number
// Writes are those of the running message. Not thread-safe: the execution's handlers drive it.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "actors/json_writer.hpp"
#include "execution/event_hub.hpp"
#include "execution/execution_settings.hpp"
#include "execution/workflow_definition.hpp"
#include "execution/workflow_record.hpp"
#include "persistence/storage.hpp"

namespace dort {

namespace workflow_keys {

std::string definition(std::string_view id);
std::string state(std::string_view id);
std::string output(std::string_view id, std::size_t step);
std::string all(std::uint64_t seq);
std::string listing_prefix(std::optional<workflow_status> s);
std::string timed(std::int64_t at_ms, std::uint64_t seq, char what, std::size_t step);
std::int64_t timed_time(std::string_view key);
char timed_what(std::string_view key);
std::size_t timed_step(std::string_view key);
std::string events_prefix(std::string_view id);
std::string queued_prefix(std::string_view id, std::string_view type);
inline constexpr std::string_view timed_prefix = "x";
inline constexpr std::string_view counters = "M";

}  // namespace workflow_keys

/// A workflow read: its definition and state.
struct workflow {
  workflow_definition definition;
  workflow_state state;
};

class workflow_store {
 public:
  explicit workflow_store(storage& store) : store_(store) {}

  /// Reads the counters (and forgets cached definitions).
  void load();

  /// Returns workflow `id`, or nothing.
  std::optional<workflow> find(std::string_view id);

  /// Returns whether workflow `id` exists, and its stored definition text.
  std::optional<std::string> stored_definition(std::string_view id);

  /// Stores a new workflow: its definition, listing entries and counts (its number set here).
  void add(workflow& w, const std::string& definition_text);

  /// Writes `w`'s state.
  void save(const workflow_state& w);

  /// Moves `w` to status `to`: its counters, listing entry and, when it becomes final (its
  /// `completed_at` set before) or leaves a final status, the finished index.
  void set_status(workflow_state& w, workflow_status to);

  /// Deletes a final workflow's own keys: definition, state, outputs, listing, finished entry,
  /// queued events and events (its step tasks are the execution's to delete).
  void remove(const workflow& w);

  /// The output of step `step` of `w`, if it completed.
  std::optional<std::string> output(const workflow_state& w, std::size_t step);
  void put_output(const workflow_state& w, std::size_t step, std::string_view json);

  /// Queues an event of `type` for `w`; takes the oldest queued event of `type`, if any.
  void queue_event(workflow_state& w, std::string_view type, std::string_view payload);
  std::optional<std::string> take_event(workflow_state& w, std::string_view type);

  /// Appends an event of `type` to `w`'s log, at `now_ms`; returns it.
  task_event append_event(workflow_state& w, std::string_view type, std::int64_t now_ms,
                          const std::function<void(json_writer&)>& fields = {});

  /// The ids of at most `limit` finished workflows due for deletion at `now`.
  std::vector<std::string> due(std::int64_t now, const retention_policy& policy, std::size_t limit);
  /// When the first finished workflow is due for deletion, or nothing.
  std::optional<std::int64_t> next_due(const retention_policy& policy);

  /// Writes the counters if they changed since they were last written.
  void save_counters();

  /// API.md's `workflows` object of the execution's metrics.
  void write_metrics(json_writer& out) const;

  std::int64_t count(workflow_status s) const { return by_status_[static_cast<std::size_t>(s)]; }

 private:
  storage& store_;
  std::array<std::int64_t, 6> by_status_{};
  std::uint64_t next_seq_ = 1;
  /// Whether the counters changed since they were last written (or read).
  bool counters_changed_ = false;
  /// Decoded definitions of workflows read lately (they never change): bounded.
  std::unordered_map<std::string, workflow_definition> definitions_;
};

}  // namespace dort
