#include "execution/task_record.hpp"

#include <simdjson.h>

#include "actors/int64_range.hpp"
#include "actors/json_raw.hpp"
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
  if (t.group) out.key("group").value(*t.group);
  if (t.workflow_id) {
    out.key("workflow").begin_object().key("id").value(*t.workflow_id);
    out.key("step").value(t.workflow_step.value_or("")).end_object();
  }
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

namespace {

// Records are read on every state change, so decoding walks the stored text once with
// simdjson's On Demand API instead of going through json_object_reader. Values the client owns
// (input, metadata, output) are kept as written. Stored records were written by encode_task;
// records read back by clients come from write_task: both are trusted shapes, and any surprise
// is reported as a damaged record.

using simdjson::ondemand::value;

std::int64_t as_int(value v) {
  if (v.get_number_type().value() == simdjson::ondemand::number_type::floating_point_number) {
    // encode_task writes integers only: a number beyond int64 is damage, and converting it would
    // be undefined behaviour (found by fuzzing: "priority":1e300).
    double d = v.get_double().value();
    if (!within_int64(d)) throw error{errc::storage_failure, "a number beyond int64"};
    return static_cast<std::int64_t>(d);
  }
  return v.get_int64().value();
}

// Counters stored unsigned (`_seq`, `_events`): a negative or fractional one is damage. Casting
// it would give a record whose encoding no longer decodes (found by fuzzing: "_seq":-2 became
// 18446744073709551614, which as_int refuses).
std::uint64_t as_uint(value v, std::uint64_t max) {
  std::uint64_t n = v.get_uint64().value();
  if (n > max) throw error{errc::storage_failure, "a stored counter out of range"};
  return n;
}

std::string as_string(value v) { return std::string{v.get_string().value()}; }

bool as_bool(value v) { return v.get_bool().value(); }

std::string as_raw(value v) {
  auto text = raw_json_text(v);
  // JSON text never holds a NUL byte (in strings it is escaped): one here is damage, which On
  // Demand's raw text does not check, and RapidJSON's RawValue would assert on it when the record
  // is written again (found by fuzzing: "input":{"duration":\0\0\0"PT2S"}).
  if (text.find('\0') != std::string::npos)
    throw error{errc::storage_failure, "a NUL byte in a stored JSON value"};
  return text;
}

void read_config(value v, task_config& c) {
  for (auto field : v.get_object()) {
    auto key = field.unescaped_key().value();
    value f = field.value();
    if (key == "maxRetries") c.max_retries = as_int(f);
    else if (key == "initialRetryDelay") c.initial_retry_delay_ms = as_int(f);
    else if (key == "maxRetryDelay") c.max_retry_delay_ms = as_int(f);
    else if (key == "timeout") c.timeout_ms = as_int(f);
    else if (key == "backoffMultiplier") c.backoff_multiplier = f.get_double().value();
    else if (key == "rateLimit") {
      if (f.is_null().value()) continue;  // no limit
      rate_limit r{0, 0};
      for (auto limit_field : f.get_object()) {
        auto k = limit_field.unescaped_key().value();
        if (k == "maxExecutions") r.max_executions = as_int(limit_field.value());
        else if (k == "windowMs") r.window_ms = as_int(limit_field.value());
      }
      c.rate_limit = r;
    }
  }
}

void read_result(value v, task_record& t) {
  t.has_result = true;
  for (auto field : v.get_object()) {
    auto key = field.unescaped_key().value();
    value f = field.value();
    if (key == "output") t.output = as_raw(f);
    else if (key == "error") t.error = as_string(f);
    else if (key == "retries") t.retries = as_int(f);
    else if (key == "attempts") t.attempts = as_int(f);
    else if (key == "startedAt") t.started_at = as_int(f);
    else if (key == "completedAt") t.completed_at = as_int(f);
    else if (key == "duration") t.duration = as_int(f);
    else if (key == "wasRateLimited") t.was_rate_limited = as_bool(f);
    else if (key == "nextRetryAt") t.next_retry_at = as_int(f);
  }
}

task_record read_task(simdjson::ondemand::object object) {
  task_record t;
  bool has_status = false;
  for (auto field : object) {
    auto key = field.unescaped_key().value();
    value f = field.value();
    if (key == "id") t.id = as_string(f);
    else if (key == "name") t.name = as_string(f);
    else if (key == "input") t.input = as_raw(f);
    else if (key == "priority") t.priority = as_int(f);
    else if (key == "idempotencyKey") t.idempotency_key = as_string(f);
    else if (key == "metadata") t.metadata = as_raw(f);
    else if (key == "group") t.group = as_string(f);
    else if (key == "config") read_config(f, t.config);
    else if (key == "workflow") {
      for (auto w : f.get_object()) {
        auto k = w.unescaped_key().value();
        if (k == "id") t.workflow_id = as_string(w.value());
        else if (k == "step") t.workflow_step = as_string(w.value());
      }
    }
    else if (key == "status") {
      auto status = parse_status(as_string(f));
      if (!status) throw error{errc::storage_failure, "unknown task status"};
      t.status = *status;
      has_status = true;
    } else if (key == "createdAt") t.created_at = as_int(f);
    else if (key == "result") read_result(f, t);
    else if (key == "_seq") t.seq = as_uint(f, UINT64_MAX);
    else if (key == "_events") t.events = static_cast<std::uint32_t>(as_uint(f, UINT32_MAX));
    else if (key == "_attemptsSinceReset") t.attempts_since_reset = as_int(f);
    else if (key == "_attemptStartedAt") t.attempt_started_at = as_int(f);
    else if (key == "_wakeAt") t.wake_at = as_int(f);
    else if (key == "_outputAtWake") t.output_at_wake = as_raw(f);
    else if (key == "_wasRateLimited") t.was_rate_limited = as_bool(f);
  }
  if (t.id.empty() || t.name.empty() || !has_status)
    throw error{errc::storage_failure, "id, name or status missing"};
  return t;
}

}  // namespace

task_record decode_task(std::string_view stored) {
  thread_local simdjson::ondemand::parser parser;
  simdjson::padded_string padded{stored};
  try {
    simdjson::ondemand::document document = parser.iterate(padded);
    return read_task(document.get_object());
  } catch (const simdjson::simdjson_error& e) {
    throw error{errc::storage_failure, std::string{"a stored task is damaged: "} + e.what()};
  } catch (const error& e) {
    throw error{errc::storage_failure, std::string{"a stored task is damaged: "} + e.what()};
  }
}

bool same_content(const task_record& a, const task_record& b) {
  return a.name == b.name && a.input == b.input && a.priority == b.priority &&
         a.metadata == b.metadata && a.idempotency_key == b.idempotency_key &&
         a.group == b.group && a.config == b.config;
}

}  // namespace dort
