#include "execution/task_record.hpp"

#include "actors/json_reader.hpp"
#include "persistence/error.hpp"

namespace dort {

namespace {

constexpr std::string_view status_names[] = {"pending", "running",      "completed",
                                             "failed",  "rate_limited", "cancelled"};

void write_optional(json_writer& out, std::string_view key, const std::optional<std::int64_t>& v) {
  if (v) out.key(key).value(*v);
}

void write_raw(json_writer& out, std::string_view key, const std::optional<std::string>& v) {
  if (v) out.key(key).raw(*v);
}

}  // namespace

std::string_view status_name(task_status status) noexcept {
  return status_names[static_cast<std::size_t>(status)];
}

std::optional<task_status> parse_status(std::string_view name) noexcept {
  for (std::size_t i = 0; i < std::size(status_names); ++i)
    if (status_names[i] == name) return static_cast<task_status>(i);
  return std::nullopt;
}

void write_task(json_writer& out, const task_record& t, bool api_only) {
  out.begin_object().key("id").value(t.id).key("name").value(t.name);
  write_raw(out, "input", t.input);
  out.key("priority").value(t.priority);
  if (t.idempotency_key) out.key("idempotencyKey").value(*t.idempotency_key);
  write_raw(out, "metadata", t.metadata);
  out.key("config");
  write_config(out, t.config);
  out.key("status").value(status_name(t.status)).key("createdAt").value(t.created_at);
  if (t.has_result) {
    out.key("result").begin_object().key("taskId").value(t.id);
    out.key("status").value(status_name(t.status));
    write_raw(out, "output", t.output);
    if (t.error) out.key("error").value(*t.error);
    out.key("retries").value(t.retries).key("attempts").value(t.attempts);
    write_optional(out, "startedAt", t.started_at);
    write_optional(out, "completedAt", t.completed_at);
    write_optional(out, "duration", t.duration);
    out.key("wasRateLimited").value(t.was_rate_limited);
    write_optional(out, "nextRetryAt", t.next_retry_at);
    out.end_object();
  }
  if (!api_only) {
    out.key("_seq").value(t.seq).key("_events").value(static_cast<std::int64_t>(t.events));
    out.key("_attemptsSinceReset").value(t.attempts_since_reset);
    write_optional(out, "_attemptStartedAt", t.attempt_started_at);
    write_optional(out, "_wakeAt", t.wake_at);
    write_raw(out, "_outputAtWake", t.output_at_wake);
    if (!t.has_result) out.key("_wasRateLimited").value(t.was_rate_limited);
  }
  out.end_object();
}

std::string encode_task(const task_record& task) {
  json_writer out;
  write_task(out, task, false);
  return out.str();
}

task_record decode_task(std::string_view stored) {
  try {
    json_object_reader in{stored};
    task_record t;
    t.id = in.required_string("id");
    t.name = in.required_string("name");
    t.input = in.raw("input");
    t.priority = in.int64("priority").value_or(0);
    t.idempotency_key = in.string("idempotencyKey");
    t.metadata = in.raw("metadata");
    if (auto config = in.raw("config")) merge_config(t.config, *config);
    auto status = parse_status(in.required_string("status"));
    if (!status) throw error{errc::storage_failure, "unknown task status"};
    t.status = *status;
    t.created_at = in.required_int64("createdAt");
    if (auto raw = in.raw("result")) {
      json_object_reader r{*raw};
      t.has_result = true;
      t.output = r.raw("output");
      t.error = r.string("error");
      t.retries = r.int64("retries").value_or(0);
      t.attempts = r.int64("attempts").value_or(0);
      t.started_at = r.int64("startedAt");
      t.completed_at = r.int64("completedAt");
      t.duration = r.int64("duration");
      t.was_rate_limited = r.boolean("wasRateLimited").value_or(false);
      t.next_retry_at = r.int64("nextRetryAt");
    } else {
      t.was_rate_limited = in.boolean("_wasRateLimited").value_or(false);
    }
    // The API form (what clients read back) has none of the execution's own fields.
    t.seq = static_cast<std::uint64_t>(in.int64("_seq").value_or(0));
    t.events = static_cast<std::uint32_t>(in.int64("_events").value_or(0));
    t.attempts_since_reset = in.int64("_attemptsSinceReset").value_or(0);
    t.attempt_started_at = in.int64("_attemptStartedAt");
    t.wake_at = in.int64("_wakeAt");
    t.output_at_wake = in.raw("_outputAtWake");
    return t;
  } catch (const error& e) {
    throw error{errc::storage_failure, std::string{"a stored task is damaged: "} + e.what()};
  }
}

bool same_content(const task_record& a, const task_record& b) {
  return a.name == b.name && a.input == b.input && a.priority == b.priority &&
         a.metadata == b.metadata && a.idempotency_key == b.idempotency_key &&
         a.config == b.config;
}

}  // namespace dort
