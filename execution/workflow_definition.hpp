// What a workflow is made of (API.md "Workflows", "Create" and "Steps"): its input, settings and
// steps as the client gave them, read and checked whole before anything is created, every error
// naming its field path ("steps[2].input.a"). Stored once, at creation, in a canonical form
// (omitted fields with their defaults) that is also what "same content" compares. Templates
// (inputs and `set` values) stay minified JSON text holding their `{"$ref": ...}` references.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dort {

enum class step_kind : std::uint8_t { task, sleep, event, set, parent };

/// API.md's name of a step kind ("task", ...).
std::string_view step_kind_name(step_kind kind) noexcept;

/// A task a parent step runs: a child, or the finalize task (no input: the execution gives it).
struct step_task {
  std::string task;
  std::optional<std::string> input;
  /// The task config as given (a JSON object), over the workflow's.
  std::optional<std::string> config;
};

struct step_definition {
  std::string name;
  step_kind kind = step_kind::task;
  /// `task` and `parent` (task form): the handler, its input template and config.
  std::string task;
  std::optional<std::string> input;
  std::optional<std::string> config;
  /// `task`: onError; `event`: onTimeout. True for "continue".
  bool continue_on_failure = false;
  /// `sleep`: exactly one of them.
  std::optional<std::int64_t> ms;
  std::optional<std::int64_t> until;
  /// `event`: the type it waits for, and its timeout (ms).
  std::string event;
  std::optional<std::int64_t> timeout_ms;
  /// `set`: the value template ("null" when not given).
  std::string value = "null";
  /// `parent`: children given in the step (otherwise its task's output names them), finalize.
  std::optional<std::vector<step_task>> children;
  std::optional<step_task> finalize;
};

struct workflow_definition {
  std::optional<std::string> id;
  std::optional<std::string> input;
  std::optional<std::string> metadata;
  std::int64_t priority = 0;
  std::optional<std::string> group;
  std::optional<std::string> config;
  std::optional<std::int64_t> timeout_ms;
  std::vector<step_definition> steps;

  /// Index of the step named `name`, or nothing.
  std::optional<std::size_t> step_index(std::string_view name) const;
};

/// Most steps of a workflow, and children of a parent step (API.md).
inline constexpr std::size_t max_workflow_steps = 1'000;
inline constexpr std::size_t max_step_children = 1'000;
/// Longest workflow id and step name (bytes).
inline constexpr std::size_t max_workflow_id_bytes = 100;
inline constexpr std::size_t max_step_name_bytes = 128;
/// Longest event type (bytes).
inline constexpr std::size_t max_event_type_bytes = 128;
/// Longest sleep, workflow timeout and event timeout: a year.
inline constexpr std::int64_t max_workflow_ms = 31'536'000'000;

/// Checks that a task named `name` can run `input` (JSON text), naming `field` on error; throws
/// `invalid_field`.
using task_check = std::function<void(std::string_view name, std::string_view input,
                                      const std::string& field)>;

/// Reads a create body (API.md "Create"); throws `dort::error` naming the field at fault.
/// `check` is asked for each task name and for each input that holds no reference; without it
/// (reading a stored definition back) only the shape is checked.
workflow_definition read_workflow_definition(std::string_view payload, const task_check& check);

/// The canonical form of `d` (its id left out): what is stored, and what same content compares.
std::string encode_workflow_definition(const workflow_definition& d);

/// Throws `invalid_field` (field "id") unless `id` is 1..100 bytes without '#'.
void check_workflow_id(const std::string& id);

/// Whether `text` is a reference target as API.md writes it; sets the step ("" for the
/// workflow's input) and the JSON Pointer it names.
bool parse_reference(std::string_view target_json, std::string& step, std::string& pointer);

}  // namespace dort
