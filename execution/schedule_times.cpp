// Schedule run times: `everyMs` runs are a grid found by division; cron runs are searched by
// cron_expression within a lower bound (startAt, or just after the creation time). Every input
// is checked against its range first, so each sum and product below stays within
// max_schedule_time_ms + max_every_ms, far from int64 overflow.
#include "execution/schedule_times.hpp"

#include <algorithm>

namespace dort {

namespace {

bool is_schedule_time(std::int64_t ms) {
  return ms >= 0 && ms <= max_schedule_time_ms;
}

bool is_valid(const schedule_timing& timing) {
  if (!is_schedule_time(timing.created_at_ms)) return false;
  if (timing.start_at_ms && !is_schedule_time(*timing.start_at_ms)) return false;
  auto* interval = std::get_if<fixed_interval>(&timing.rule);
  return !interval || (interval->every_ms >= min_every_ms && interval->every_ms <= max_every_ms);
}

/// The first run of an `everyMs` schedule, not checked against max_schedule_time_ms.
std::int64_t base_ms(const schedule_timing& timing, std::int64_t every_ms) {
  return timing.start_at_ms.value_or(timing.created_at_ms + every_ms);
}

/// No cron run is before it: `startAt`, or else the first ms after the creation time.
std::int64_t cron_earliest_ms(const schedule_timing& timing) {
  return timing.start_at_ms.value_or(timing.created_at_ms + 1);
}

}  // namespace

std::optional<std::int64_t> first_run_at_or_after(const schedule_timing& timing, std::int64_t ms) {
  if (!is_valid(timing) || ms > max_schedule_time_ms) return std::nullopt;
  if (auto* cron = std::get_if<cron_expression>(&timing.rule))
    return cron->next_at_or_after(std::max(ms, cron_earliest_ms(timing)));
  auto every_ms = std::get<fixed_interval>(timing.rule).every_ms;
  auto base = base_ms(timing, every_ms);
  auto run = base;
  if (ms > base) run = base + (ms - base + every_ms - 1) / every_ms * every_ms;
  if (run > max_schedule_time_ms) return std::nullopt;
  return run;
}

std::optional<std::int64_t> latest_run_not_after(const schedule_timing& timing,
                                                 std::int64_t now_ms) {
  if (!is_valid(timing) || now_ms < 0) return std::nullopt;
  now_ms = std::min(now_ms, max_schedule_time_ms);
  if (auto* cron = std::get_if<cron_expression>(&timing.rule)) {
    auto run = cron->previous_at_or_before(now_ms);
    if (!run || *run < cron_earliest_ms(timing)) return std::nullopt;
    return run;
  }
  auto every_ms = std::get<fixed_interval>(timing.rule).every_ms;
  auto base = base_ms(timing, every_ms);
  if (now_ms < base) return std::nullopt;
  return base + (now_ms - base) / every_ms * every_ms;
}

std::optional<std::int64_t> next_run_at(const schedule_timing& timing,
                                        std::optional<std::int64_t> last_run_at_ms,
                                        std::int64_t now_ms) {
  auto latest = latest_run_not_after(timing, now_ms);
  if (latest && (!last_run_at_ms || *latest > *last_run_at_ms)) return latest;
  auto after = std::max(now_ms, last_run_at_ms.value_or(now_ms));
  if (after >= max_schedule_time_ms) return std::nullopt;
  return first_run_at_or_after(timing, after + 1);
}

}  // namespace dort
