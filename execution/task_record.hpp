// A task as an execution stores it: API.md's task record, plus a few fields only the execution
// uses (submission number, event count, attempt bookkeeping). Stored as JSON under the task's
// key; `write_task` with `api_only` gives exactly the record clients see, with no null field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actors/json_writer.hpp"
#include "execution/task_config.hpp"

namespace dort {

enum class task_status : std::uint8_t { pending, running, completed, failed, rate_limited, cancelled };

/// API.md's name of `status` ("rate_limited", ...).
std::string_view status_name(task_status status) noexcept;

/// The status named `name`, or nothing.
std::optional<task_status> parse_status(std::string_view name) noexcept;

/// completed, failed and cancelled are final.
constexpr bool is_final(task_status s) noexcept {
  return s == task_status::completed || s == task_status::failed || s == task_status::cancelled;
}

struct task_record {
  std::string id;
  std::string name;
  /// Client-owned JSON, kept as text; absent when not given.
  std::optional<std::string> input;
  std::int64_t priority = 0;
  std::optional<std::string> idempotency_key;
  std::optional<std::string> metadata;
  /// The tenant or user the task belongs to (API.md `group`), when given.
  std::optional<std::string> group;
  task_config config;
  /// The workflow and step this task runs for (API.md `workflow`), when it is a step task: the
  /// step's own task, one of a parent step's children, or its finalize task.
  std::optional<std::string> workflow_id;
  std::optional<std::string> workflow_step;
  task_status status = task_status::pending;
  std::int64_t created_at = 0;

  // `result`, present once the task has started or been cancelled.
  bool has_result = false;
  std::optional<std::string> output;
  std::optional<std::string> error;
  /// Retries done since submission or the last manual retry (attempts − 1 in that span).
  std::int64_t retries = 0;
  /// Attempts over the task's whole life.
  std::int64_t attempts = 0;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> completed_at;
  std::optional<std::int64_t> duration;
  bool was_rate_limited = false;
  std::optional<std::int64_t> next_retry_at;

  // The execution's own bookkeeping, never shown to clients.
  /// Submission number: the order of equal priorities, list order and cursors.
  std::uint64_t seq = 0;
  /// Sequence number of the task's last event.
  std::uint32_t events = 0;
  /// Attempts since submission or the last manual retry.
  std::int64_t attempts_since_reset = 0;
  /// Start of the running attempt.
  std::optional<std::int64_t> attempt_started_at;
  /// When the task leaves its wait (delayed start, scheduled retry, rate-limit window, or a
  /// running `wait` completing); it sits in the execution's timed index until then.
  std::optional<std::int64_t> wake_at;
  /// Output of a running attempt that completes at `wake_at` (the built-in `wait`).
  std::optional<std::string> output_at_wake;
};

/// Writes `task` as JSON: the API record, or with `api_only` false the stored form.
void write_task(json_writer& out, const task_record& task, bool api_only = true);

/// Returns the stored form of `task`.
std::string encode_task(const task_record& task);

/// Reads a stored task; throws `dort::error` (storage_failure) if it is not one.
task_record decode_task(std::string_view stored);

/// Whether two submissions have the same content (API.md: name, input, priority, metadata,
/// idempotency key, group and effective config).
bool same_content(const task_record& a, const task_record& b);

}  // namespace dort
