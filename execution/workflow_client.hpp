// C++ calls to the workflows of one execution (API.md "Workflows"): each is one message to the
// execution object (blocking, like object_stub::call) and throws `dort::error` with API.md's
// codes (workflow_not_found, step_not_found, workflow_exists, invalid_state, backpressure,
// invalid_field naming "steps[i]…"). A workflow is described in API.md's JSON; records come back
// as `workflow_view`, with the record's JSON text beside its fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/object_stub.hpp"

namespace dort {

class runtime;

struct workflow_step_view {
  std::string name;
  std::string kind;
  std::string status;
  std::optional<std::string> task_id;
  std::optional<std::string> error;
};

struct workflow_view {
  std::string id;
  std::string status;
  std::optional<std::string> current_step;
  /// Completed: the last step's output (JSON).
  std::optional<std::string> output_json;
  std::optional<std::string> error_step;
  std::optional<std::string> error_message;
  std::vector<workflow_step_view> steps;
  /// The record as the execution answered it.
  std::string json;
};

/// Reads a workflow record (API.md "The workflow record").
workflow_view read_workflow_view(std::string_view json);

class workflow_client {
 public:
  workflow_client(runtime& rt, std::string_view execution,
                  std::string_view class_name = "execution");

  /// Creates a workflow from API.md's create body; `created` is false for a repeat of an
  /// existing one (same id and content).
  workflow_view create(std::string_view body_json, bool* created = nullptr) const;
  /// The record; with `wait_ms` (≤ 60,000) it waits until the workflow is final or that long.
  workflow_view get(std::string_view id, std::int64_t wait_ms = 0) const;
  /// The step's entry with its `output` (and `childTasks` of a parent step), as JSON.
  std::string step(std::string_view id, std::string_view name) const;
  /// `{"workflows": [...], "nextCursor"}`: newest first, optionally of one status.
  std::string list(std::optional<std::string> status = {}, std::int64_t limit = 100,
                   std::optional<std::string> cursor = {}) const;
  /// Sends an event; returns whether a waiting step took it at once.
  bool send_event(std::string_view id, std::string_view type,
                  std::string_view payload_json = "null") const;
  workflow_view cancel(std::string_view id) const;
  workflow_view retry(std::string_view id) const;
  /// Deletes a finished workflow with its step tasks.
  void remove(std::string_view id) const;
  /// A page of its stored events after `after`, as the execution's `workflow_events` answers.
  std::string events(std::string_view id, std::uint32_t after = 0) const;

 private:
  object_stub stub_;
};

}  // namespace dort
