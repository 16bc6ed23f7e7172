// Where a workflow stands (API.md "The workflow record"): its status, its current step and each
// step's state, stored under the workflow's state key apart from its definition (written once),
// so that a step's end rewrites only this small record. Step outputs are not in it (they have
// keys of their own). `write_workflow` gives the record clients see, from definition and state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/json_writer.hpp"
#include "execution/workflow_definition.hpp"

namespace dort {

enum class workflow_status : std::uint8_t { running, waiting, completed, failed, cancelled, timed_out };
enum class step_status : std::uint8_t {
  pending, running, waiting, completed, failed, timed_out, cancelled
};
/// Where a parent step is: its own task (task form only), its children, its finalize task.
enum class parent_phase : std::uint8_t { parent_task, children, finalize };

std::string_view workflow_status_name(workflow_status s) noexcept;
std::optional<workflow_status> parse_workflow_status(std::string_view name) noexcept;
std::string_view step_status_name(step_status s) noexcept;

constexpr bool is_final(workflow_status s) noexcept {
  return s != workflow_status::running && s != workflow_status::waiting;
}

struct child_counts {
  std::int64_t total = 0;
  std::int64_t completed = 0;
  std::int64_t failed = 0;
  std::int64_t cancelled = 0;
  /// Children whose tasks exist: they are created in bounded chunks.
  std::int64_t created = 0;

  bool all_final() const noexcept { return completed + failed + cancelled == total; }
};

struct step_state {
  step_status status = step_status::pending;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> completed_at;
  /// A sleep's end, or an event step's timeout.
  std::optional<std::int64_t> wake_at;
  /// The attempts of the step's task when it ended.
  std::optional<std::int64_t> attempts;
  std::optional<std::string> error;
  /// Whether the step has a task of its own (`{workflowId}#{name}`).
  bool has_task = false;
  std::optional<child_counts> children;
  parent_phase phase = parent_phase::parent_task;
};

struct workflow_state {
  std::string id;
  workflow_status status = workflow_status::running;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> completed_at;
  std::size_t current = 0;
  /// Completed: the last step's output.
  std::optional<std::string> output;
  /// Failed or timed_out: the step current then, and why.
  std::optional<std::string> error_step;
  std::optional<std::string> error_message;
  /// When the workflow times out (its `timeout` from creation or the last retry).
  std::optional<std::int64_t> timeout_at;
  /// Creation number: list order and cursors.
  std::uint64_t seq = 0;
  /// Sequence number of the last event of its log.
  std::uint32_t events = 0;
  /// Events sent to it and not yet taken by a step, and the number of the next one queued.
  std::int64_t queued_events = 0;
  std::uint64_t next_event = 1;
  std::vector<step_state> steps;
};

/// How far the deletion of a workflow got: the step, and within it the task (0 its own, 1..n
/// its children, n + 1 its finalize task).
struct workflow_removal {
  std::size_t step = 0;
  std::int64_t task = 0;
};

std::string encode_workflow(const workflow_state& w);
/// Reads a stored state; throws `storage_failure` if it is not one.
workflow_state decode_workflow(std::string_view stored);

/// Writes the record of API.md: with `steps` false, without its steps (the list's form).
void write_workflow(json_writer& out, const workflow_definition& d, const workflow_state& w,
                    bool steps = true);

/// Writes step `i`'s entry of the record, its object left open for more fields.
void write_step_entry(json_writer& out, const workflow_definition& d, const workflow_state& w,
                      std::size_t i);

}  // namespace dort
