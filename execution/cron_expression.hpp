// A five-field cron expression of a schedule (API.md, "Schedules"), read in UTC: minute, hour,
// day of month, month, day of week (0 = Sunday). Guarantees that a parsed expression names at
// least one value in every field and that its searches end after a bounded number of steps (one
// per month of a 400-year Gregorian cycle at most). It does not accept names (MON, JAN), `?`, `L`,
// `W`, `#`, `@daily`-style macros, seconds or year fields, or 7 for Sunday; no time zones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dort {

/// The last minute a cron expression can name, 9999-12-31T23:59Z in ms since the epoch: later
/// times are out of the range the civil-date arithmetic is checked for (and of any sane plan).
inline constexpr std::int64_t max_cron_time_ms = 253'402'300'740'000;

/// Digits a number of an expression may have: every value and step fits in two, and the limit
/// keeps "0000000005" (more likely a mistake than intent) and any overflow out.
inline constexpr std::size_t max_cron_number_digits = 2;

/// A parsed expression: the set of values of each field and whether each day field starts with
/// `*`, which decides how the two day fields combine (Vixie cron's rule):
/// - neither day field starts with `*`: a day matches if its day of month or its day of week
///   matches (`0 0 1 * 1`: the 1st and every Monday);
/// - otherwise a day must match both (`0 0 */2 * 1`: odd days of month that are Mondays). With a
///   plain `*` that is "the other field alone decides".
///
/// Syntax of each field: a comma-separated list of items, each `*`, `n`, `a-b` (a ≤ b), `*/s` or
/// `a-b/s` (every s-th value from the first of the range, 1 ≤ s ≤ the field's number of values),
/// with numbers of 1 to `max_cron_number_digits` ASCII digits within the field's range. Fields
/// are separated by one or more spaces (' ' only, not tabs); nothing may come before the first
/// field or after the last.
class cron_expression {
 public:
  /// Returns the expression `text` spells, or nothing when it is not one.
  static std::optional<cron_expression> parse(std::string_view text);

  /// Returns the expression `text` spells, or nothing with `why` set to a message for the client
  /// that names the field and the problem ("day of week: 7 is out of range 0-6"). The message
  /// never quotes bytes of `text` other than digits, so it is safe to put in any JSON answer.
  static std::optional<cron_expression> parse(std::string_view text, std::string& why);

  /// Returns the first matching minute (ms since the epoch, a multiple of 60,000) at or after
  /// `ms`: a `ms` between minutes rounds up to the next one, a `ms` before 1970 counts as
  /// 1970-01-01T00:00Z. Returns nothing when no minute from there up to `max_cron_time_ms`
  /// matches; that is always known within 400 years of search, as the Gregorian calendar
  /// (dates with their weekdays) repeats every 400 years: an expression that finds nothing in
  /// one cycle never matches (`0 0 31 2 *`, or `0 0 30 2 *`).
  std::optional<std::int64_t> next_at_or_after(std::int64_t ms) const;

  /// Returns the last matching minute at or before `ms` (rounding down; a `ms` after
  /// `max_cron_time_ms` counts as that), not before 1970; nothing when there is none.
  std::optional<std::int64_t> previous_at_or_before(std::int64_t ms) const;

  bool operator==(const cron_expression&) const = default;

 private:
  cron_expression() = default;

  /// The days of month `month` of `year` that match, as bits 1 .. 31 (0 when the month does not).
  std::uint32_t matching_days(std::int64_t year, unsigned month) const;

  /// The first matching minute of a day at or after its `minute_of_day`, if any.
  std::optional<unsigned> first_minute_of_day(unsigned minute_of_day) const;

  /// The last matching minute of a day at or before its `minute_of_day`, if any.
  std::optional<unsigned> last_minute_of_day(unsigned minute_of_day) const;

  // One bit per value: bit n set when value n matches.
  std::uint64_t minutes_ = 0;
  std::uint32_t hours_ = 0;
  std::uint32_t days_of_month_ = 0;
  std::uint16_t months_ = 0;
  std::uint8_t days_of_week_ = 0;
  bool day_of_month_star_ = false;
  bool day_of_week_star_ = false;
};

}  // namespace dort
