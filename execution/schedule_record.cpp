#include "execution/schedule_record.hpp"

#include <functional>

#include "actors/json_reader.hpp"
#include "persistence/error.hpp"

namespace dort {

namespace {

bool is_name_byte(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

/// Sets the timing's rule from `every_ms` or `cron`; throws `invalid_field` for a bad value.
void set_rule(schedule_record& s) {
  if (s.every_ms) {
    if (*s.every_ms < min_every_ms || *s.every_ms > max_every_ms)
      throw error{errc::invalid_field, "'everyMs' must be in 1000 .. 31536000000", "everyMs"};
    s.timing.rule = fixed_interval{*s.every_ms};
    return;
  }
  std::string why;
  auto parsed = cron_expression::parse(*s.cron, why);
  if (!parsed) throw error{errc::invalid_field, "'cron' is not a cron expression: " + why, "cron"};
  s.timing.rule = *parsed;
}

}  // namespace

void check_schedule_name(std::string_view name) {
  bool valid = !name.empty() && name.size() <= max_schedule_name_bytes;
  for (char c : name) valid = valid && is_name_byte(c);
  if (!valid)
    throw error{errc::invalid_field,
                "a schedule name is 1 .. 128 bytes of A-Z a-z 0-9 _ - .", "name"};
}

schedule_record read_schedule_put(std::string_view name, std::string_view payload,
                                  std::int64_t now_ms, const std::optional<schedule_record>& existing,
                                  const std::function<void(std::string_view task)>& check_task) {
  check_schedule_name(name);
  json_object_reader in{payload};
  in.allow_only({"everyMs", "cron", "task", "startAt"});
  schedule_record s;
  s.name = std::string{name};
  const bool every = in.has("everyMs");
  const bool cron = in.has("cron");
  if (!every && !cron)
    throw error{errc::missing_field, "one of 'everyMs' and 'cron' is required", "everyMs"};
  if (every && cron)
    throw error{errc::invalid_field, "give 'everyMs' or 'cron', not both", "cron"};
  if (every) s.every_ms = in.int64("everyMs");
  if (cron) s.cron = in.string("cron");
  set_rule(s);
  if (auto start = in.int64("startAt"))
    s.timing.start_at_ms = in.in_range("startAt", *start, 0, max_schedule_time_ms);
  auto task = in.raw("task");
  if (!task) throw error{errc::missing_field, "'task' is required: the submit body of each run", "task"};
  {
    json_object_reader body{*task, "task"};  // an object, else invalid_field "task"
    if (body.has("id"))
      throw error{errc::invalid_field, "a schedule's task has no 'id': each run's is {name}@{runAt}",
                  "task.id"};
    if (body.has("idempotencyKey"))
      throw error{errc::invalid_field, "a schedule's task has no 'idempotencyKey'",
                  "task.idempotencyKey"};
  }
  try {
    check_task(*task);
  } catch (const error& e) {
    throw error{e.code(), e.what(), e.field().empty() ? "task" : "task." + e.field()};
  }
  s.task = *task;
  s.timing.created_at_ms = existing ? existing->timing.created_at_ms : now_ms;
  if (existing) {
    s.last_run_at = existing->last_run_at;
    s.skipped_runs = existing->skipped_runs;
  }
  s.next_run_at = next_run_at(s.timing, s.last_run_at, now_ms);
  if (!s.next_run_at)
    throw error{errc::invalid_field, "this schedule never runs (no run time up to year 9999)",
                s.cron ? "cron" : "startAt"};
  return s;
}

std::string schedule_run_id(std::string_view name, std::int64_t run_at) {
  return std::string{name} + "@" + std::to_string(run_at);
}

void write_schedule(json_writer& out, const schedule_record& s) {
  out.begin_object().key("name").value(s.name);
  if (s.every_ms) out.key("everyMs").value(*s.every_ms);
  if (s.cron) out.key("cron").value(*s.cron);
  out.key("task").raw(s.task);
  if (s.timing.start_at_ms) out.key("startAt").value(*s.timing.start_at_ms);
  if (s.next_run_at) out.key("nextRunAt").value(*s.next_run_at);
  if (s.last_run_at) out.key("lastRunAt").value(*s.last_run_at);
  out.key("createdAt").value(s.timing.created_at_ms);
  out.key("skippedRuns").value(s.skipped_runs);
  out.end_object();
}

std::string encode_schedule(const schedule_record& s) {
  // The stored form is the record: nothing of a schedule is private.
  json_writer out;
  write_schedule(out, s);
  return out.str();
}

schedule_record decode_schedule(std::string_view stored) {
  try {
    json_object_reader in{stored};
    schedule_record s;
    s.name = in.required_string("name");
    s.every_ms = in.int64("everyMs");
    s.cron = in.string("cron");
    if (s.every_ms.has_value() == s.cron.has_value())
      throw error{errc::storage_failure, "neither or both of everyMs and cron"};
    set_rule(s);
    s.timing.start_at_ms = in.int64("startAt");
    auto task = in.raw("task");
    if (!task) throw error{errc::storage_failure, "no task"};
    s.task = *task;
    s.next_run_at = in.int64("nextRunAt");
    s.last_run_at = in.int64("lastRunAt");
    s.timing.created_at_ms = in.required_int64("createdAt");
    s.skipped_runs = in.int64("skippedRuns").value_or(0);
    return s;
  } catch (const std::exception& e) {
    throw error{errc::storage_failure, std::string{"a stored schedule is damaged: "} + e.what()};
  }
}

}  // namespace dort
