// The run times of a schedule (API.md, "Schedules"), as pure functions of its timing and the
// instants given: with `everyMs`, base + k × everyMs (k = 0, 1, …), base = `startAt` or else
// the creation time + everyMs; with `cron`, the matching minutes at or after `startAt`, or else
// strictly after the creation time. Guarantees run times within 1970 … year 9999 and no overflow
// for any input; a timing with a value out of its range (see `schedule_timing`) has no runs.
// Does not know what has run: the caller passes the last run time.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>

#include "execution/cron_expression.hpp"

namespace dort {

/// The range of `everyMs` (API.md): a second to a year of 365 days.
inline constexpr std::int64_t min_every_ms = 1'000;
inline constexpr std::int64_t max_every_ms = 31'536'000'000;

/// The last instant a schedule may name, 9999-12-31T23:59:59.999Z (cron runs end a minute
/// earlier, at `max_cron_time_ms`): far from int64 overflow, so base + k × everyMs never wraps.
inline constexpr std::int64_t max_schedule_time_ms = 253'402'300'799'999;

/// `everyMs`: a run every `every_ms` ms from the base.
struct fixed_interval {
  std::int64_t every_ms;
  bool operator==(const fixed_interval&) const = default;
};

/// What decides a schedule's run times. Has runs only when `every_ms` is within
/// `min_every_ms` … `max_every_ms` and `start_at_ms` (when set) and `created_at_ms` are within
/// 0 … `max_schedule_time_ms`: the server refuses other values before they get here.
struct schedule_timing {
  std::variant<fixed_interval, cron_expression> rule;
  /// `startAt`: no run before it. With `everyMs` it is the first run itself.
  std::optional<std::int64_t> start_at_ms;
  /// When the schedule was first created (a replacing `PUT` keeps it).
  std::int64_t created_at_ms = 0;
  bool operator==(const schedule_timing&) const = default;
};

/// Returns the first run time at or after `ms` (the run after `lastRunAt` is the first at or
/// after lastRunAt + 1), or nothing when no run time up to year 9999 is at or after it. A cron
/// schedule without `startAt` has its first run at the first matching minute strictly after the
/// creation time, like an `everyMs` schedule, whose first run is one period after it: a schedule
/// created on a matching minute (at hh:mm:00.000) does not run at its creation instant.
std::optional<std::int64_t> first_run_at_or_after(const schedule_timing& timing, std::int64_t ms);

/// Returns the latest run time at or before `now_ms`, or nothing when the first run is later.
std::optional<std::int64_t> latest_run_not_after(const schedule_timing& timing,
                                                 std::int64_t now_ms);

/// Returns the run to do next (the record's `nextRunAt`), given the last run done (nothing
/// before the first) and now:
/// - the latest run time not after `now_ms`, when it is later than `last_run_at_ms`: it is due
///   at once. That is the one run a `startAt` in the past gives, and after a restart the only
///   one of the runs missed while the server was down that is made up;
/// - else the first run time after both `now_ms` and `last_run_at_ms` (so a clock that went
///   back never repeats a run);
/// - nothing when there is no such run time (a cron expression that never matches, or year
///   9999 passed).
std::optional<std::int64_t> next_run_at(const schedule_timing& timing,
                                        std::optional<std::int64_t> last_run_at_ms,
                                        std::int64_t now_ms);

}  // namespace dort
