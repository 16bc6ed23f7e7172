// A schedule of an execution (API.md "Schedules (periodic tasks)"): its `PUT` body read and
// checked, its stored form, and its record as clients see it. The task body is kept as the
// client wrote it (checked like a submit, without `id` and `idempotencyKey`); each run submits
// it with the id `{name}@{runAt}`, so that a run is created once even across crashes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "actors/json_writer.hpp"
#include "execution/schedule_times.hpp"

namespace dort {

/// Longest schedule name (API.md: 1–128 bytes of A–Z a–z 0–9 _ - .).
inline constexpr std::size_t max_schedule_name_bytes = 128;

struct schedule_record {
  std::string name;
  /// `everyMs`, or the `cron` text as given (its parsed form is in `timing`).
  std::optional<std::int64_t> every_ms;
  std::optional<std::string> cron;
  schedule_timing timing;
  /// The submit body of each run (minified JSON, an object).
  std::string task;
  std::optional<std::int64_t> next_run_at;
  std::optional<std::int64_t> last_run_at;
  /// Runs skipped because the queue was full.
  std::int64_t skipped_runs = 0;
};

/// Throws `invalid_field` (field "name") unless `name` is a valid schedule name.
void check_schedule_name(std::string_view name);

/// Reads a `PUT .../schedules/{name}` body into a record created at `now_ms` (or replacing
/// `existing`, whose `createdAt`, `lastRunAt` and skipped runs it keeps); `nextRunAt` computed
/// anew. Throws `dort::error` naming the field at fault (`everyMs`, `cron`, `startAt`, `task`,
/// `task.<field>`). `check_task` checks the task body as a submit would (it throws with fields
/// named inside the task).
schedule_record read_schedule_put(std::string_view name, std::string_view payload,
                                  std::int64_t now_ms, const std::optional<schedule_record>& existing,
                                  const std::function<void(std::string_view task)>& check_task);

/// The id of the run of `name` at `run_at`.
std::string schedule_run_id(std::string_view name, std::int64_t run_at);

/// Writes API.md's schedule record.
void write_schedule(json_writer& out, const schedule_record& s);

/// The stored form, and back; `decode_schedule` throws `storage_failure` on a damaged record.
std::string encode_schedule(const schedule_record& s);
schedule_record decode_schedule(std::string_view stored);

}  // namespace dort
