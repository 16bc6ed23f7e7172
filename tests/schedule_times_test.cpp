#include <doctest/doctest.h>

#include "execution/schedule_times.hpp"
#include "utc_time.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

using namespace dort;
using dort::test::utc;

namespace {

constexpr std::int64_t minute_ms = 60'000;
constexpr std::int64_t hour_ms = 60 * minute_ms;

schedule_timing every(std::int64_t every_ms, std::int64_t created_at_ms,
                      std::optional<std::int64_t> start_at_ms = std::nullopt) {
  return {fixed_interval{every_ms}, start_at_ms, created_at_ms};
}

schedule_timing cron(std::string_view text, std::int64_t created_at_ms,
                     std::optional<std::int64_t> start_at_ms = std::nullopt) {
  auto expression = cron_expression::parse(text);
  REQUIRE(expression.has_value());
  return {*expression, start_at_ms, created_at_ms};
}

}  // namespace

TEST_SUITE_BEGIN("without_caf");

TEST_CASE("an every-ms schedule without startAt first runs one period after its creation") {
  auto created = utc(2024, 5, 17, 10, 0, 0, 123);
  auto timing = every(minute_ms, created);
  CHECK(first_run_at_or_after(timing, INT64_MIN) == created + minute_ms);
  CHECK(first_run_at_or_after(timing, created) == created + minute_ms);
  CHECK(first_run_at_or_after(timing, created + minute_ms) == created + minute_ms);
  CHECK(first_run_at_or_after(timing, created + minute_ms + 1) == created + 2 * minute_ms);
  CHECK_FALSE(latest_run_not_after(timing, created + minute_ms - 1).has_value());
  CHECK(latest_run_not_after(timing, created + 150'000) == created + 2 * minute_ms);
}

TEST_CASE("an every-ms schedule with startAt runs at startAt and every period after it") {
  auto created = utc(2024, 5, 17, 10);
  auto start = utc(2024, 6, 1, 0, 0, 0, 7);
  auto timing = every(hour_ms, created, start);
  CHECK(first_run_at_or_after(timing, created) == start);
  CHECK(first_run_at_or_after(timing, start) == start);
  CHECK(first_run_at_or_after(timing, start + 1) == start + hour_ms);
  CHECK(first_run_at_or_after(timing, start + 5 * hour_ms) == start + 5 * hour_ms);
  CHECK(latest_run_not_after(timing, start + 5 * hour_ms - 1) == start + 4 * hour_ms);
  CHECK_FALSE(latest_run_not_after(timing, start - 1).has_value());
}

TEST_CASE("a cron schedule without startAt runs strictly after its creation") {
  // Created on a matching minute: that minute is not a run, like the creation instant of an
  // every-ms schedule.
  auto on_the_hour = cron("0 * * * *", utc(2024, 5, 17, 10));
  CHECK(first_run_at_or_after(on_the_hour, INT64_MIN) == utc(2024, 5, 17, 11));
  CHECK_FALSE(latest_run_not_after(on_the_hour, utc(2024, 5, 17, 10, 59)).has_value());
  CHECK(first_run_at_or_after(cron("0 * * * *", utc(2024, 5, 17, 10, 0, 0, 1)), 0) ==
        utc(2024, 5, 17, 11));
  CHECK(first_run_at_or_after(cron("0 * * * *", utc(2024, 5, 17, 9, 59, 59, 999)), 0) ==
        utc(2024, 5, 17, 10));
}

TEST_CASE("a cron schedule with startAt runs from startAt on") {
  auto created = utc(2024, 5, 17, 9);
  CHECK(first_run_at_or_after(cron("0 * * * *", created, utc(2024, 5, 17, 10)), 0) ==
        utc(2024, 5, 17, 10));
  CHECK(first_run_at_or_after(cron("0 * * * *", created, utc(2024, 5, 17, 10, 0, 0, 1)), 0) ==
        utc(2024, 5, 17, 11));
  // A startAt before the creation time counts as it is.
  auto past = cron("0 * * * *", created, utc(2024, 5, 1));
  CHECK(first_run_at_or_after(past, 0) == utc(2024, 5, 1));
  CHECK(latest_run_not_after(past, created + 1) == created);
  CHECK_FALSE(latest_run_not_after(past, utc(2024, 4, 30, 23, 59)).has_value());
}

TEST_CASE("the first run is next when it has not come yet") {
  auto created = utc(2024, 5, 17, 10, 0, 0, 500);
  CHECK(next_run_at(every(minute_ms, created), std::nullopt, created) == created + minute_ms);
  CHECK(next_run_at(cron("*/5 * * * *", created), std::nullopt, created) ==
        utc(2024, 5, 17, 10, 5));
  auto future = utc(2024, 6, 1);
  CHECK(next_run_at(every(minute_ms, created, future), std::nullopt, created) == future);
}

TEST_CASE("a startAt in the past gives one run at once for the latest run time not after now") {
  auto now = utc(2024, 5, 17, 10, 7, 30);
  auto by_interval = every(hour_ms, now - 10, now - 5 * hour_ms / 2);
  CHECK(next_run_at(by_interval, std::nullopt, now) == now - hour_ms / 2);
  CHECK(next_run_at(by_interval, now - hour_ms / 2, now + 1) == now + hour_ms / 2);
  auto by_cron = cron("*/5 * * * *", now - 10, utc(2024, 5, 17, 9));
  CHECK(next_run_at(by_cron, std::nullopt, now) == utc(2024, 5, 17, 10, 5));
  CHECK(next_run_at(by_cron, utc(2024, 5, 17, 10, 5), now + 1) == utc(2024, 5, 17, 10, 10));
}

TEST_CASE("runs missed while down are not made up except the latest") {
  auto timing = every(hour_ms, utc(2024, 5, 17, 9));  // runs at 10:00, 11:00, ...
  auto back_up = utc(2024, 5, 17, 13, 30, 10);
  CHECK(next_run_at(timing, utc(2024, 5, 17, 10), back_up) == utc(2024, 5, 17, 13));
  CHECK(next_run_at(timing, utc(2024, 5, 17, 13), back_up + 1) == utc(2024, 5, 17, 14));
  auto daily = cron("0 3 * * *", utc(2024, 5, 1));
  CHECK(next_run_at(daily, utc(2024, 5, 2, 3), utc(2024, 5, 9, 12)) == utc(2024, 5, 9, 3));
}

TEST_CASE("a run due exactly now is the latest run and is next") {
  auto timing = every(hour_ms, utc(2024, 5, 17, 9));
  CHECK(next_run_at(timing, utc(2024, 5, 17, 10), utc(2024, 5, 17, 11)) == utc(2024, 5, 17, 11));
}

TEST_CASE("a clock that went back never repeats a run") {
  auto timing = every(hour_ms, utc(2024, 5, 17, 9));
  CHECK(next_run_at(timing, utc(2024, 5, 17, 13), utc(2024, 5, 17, 12, 30)) ==
        utc(2024, 5, 17, 14));
  auto hourly = cron("0 * * * *", utc(2024, 5, 17, 9));
  CHECK(next_run_at(hourly, utc(2024, 5, 17, 13), utc(2024, 5, 17, 12, 30)) ==
        utc(2024, 5, 17, 14));
}

TEST_CASE("a cron schedule that never matches has no next run") {
  auto timing = cron("0 0 31 2 *", utc(2024, 5, 17));
  CHECK_FALSE(first_run_at_or_after(timing, 0).has_value());
  CHECK_FALSE(latest_run_not_after(timing, INT64_MAX).has_value());
  CHECK_FALSE(next_run_at(timing, std::nullopt, utc(2024, 5, 17)).has_value());
}

TEST_CASE("run times end with year 9999 and never overflow") {
  CHECK(max_schedule_time_ms == utc(9999, 12, 31, 23, 59, 59, 999));
  auto last_start = max_schedule_time_ms - 1'000;
  auto timing = every(max_every_ms, 0, last_start);
  CHECK(first_run_at_or_after(timing, last_start) == last_start);
  CHECK_FALSE(first_run_at_or_after(timing, last_start + 1).has_value());
  CHECK_FALSE(first_run_at_or_after(timing, INT64_MAX).has_value());
  CHECK(latest_run_not_after(timing, INT64_MAX) == last_start);
  CHECK_FALSE(latest_run_not_after(timing, INT64_MIN).has_value());
  CHECK_FALSE(next_run_at(timing, last_start, INT64_MAX).has_value());
  CHECK_FALSE(next_run_at(timing, INT64_MAX, INT64_MAX).has_value());
  // created at the very end: the base, one period later, lies past it.
  auto too_late = every(max_every_ms, max_schedule_time_ms);
  CHECK_FALSE(first_run_at_or_after(too_late, 0).has_value());
  CHECK_FALSE(latest_run_not_after(too_late, INT64_MAX).has_value());
  auto seconds = every(1'000, 0, 0);
  CHECK(first_run_at_or_after(seconds, max_schedule_time_ms - 999) == max_schedule_time_ms - 999);
  CHECK_FALSE(first_run_at_or_after(seconds, max_schedule_time_ms - 998).has_value());
  auto new_year = cron("0 0 1 1 *", 0);
  CHECK(latest_run_not_after(new_year, INT64_MAX) == utc(9999, 1, 1));
  CHECK_FALSE(next_run_at(new_year, utc(9999, 1, 1), utc(9999, 1, 1, 0, 0, 1)).has_value());
}

TEST_CASE("a timing with a value out of its range has no runs") {
  auto now = utc(2024, 5, 17);
  for (auto timing : {every(min_every_ms - 1, now), every(max_every_ms + 1, now), every(0, now),
                      every(-1'000, now), every(1'000, -1), every(1'000, now, -1),
                      every(1'000, now, max_schedule_time_ms + 1), cron("* * * * *", -1),
                      cron("* * * * *", INT64_MAX), cron("* * * * *", now, INT64_MIN)}) {
    CHECK_FALSE(first_run_at_or_after(timing, now).has_value());
    CHECK_FALSE(latest_run_not_after(timing, now).has_value());
    CHECK_FALSE(next_run_at(timing, std::nullopt, now).has_value());
  }
  CHECK(first_run_at_or_after(every(min_every_ms, now), now) == now + min_every_ms);
  CHECK(first_run_at_or_after(every(max_every_ms, now), now) == now + max_every_ms);
}

TEST_SUITE_END();
