// Cron expressions: each field is parsed into a bit set of its values; a search walks month by
// month (at most one 400-year cycle), takes the month's matching days from bit sets at once, and
// the first or last matching minute of a day from the hour and minute sets, so its cost does not
// depend on how far away the answer is in minutes. Civil dates are computed with Howard
// Hinnant's days_from_civil / civil_from_days method (proleptic Gregorian calendar, UTC).
#include "execution/cron_expression.hpp"

#include <array>
#include <bit>
#include <cassert>

namespace dort {

namespace {

constexpr std::int64_t ms_per_minute = 60'000;
constexpr std::int64_t minutes_per_day = 1'440;
constexpr std::int64_t first_year = 1970;
constexpr std::int64_t last_year = 9999;

/// Months a search looks at: a whole 400-year Gregorian cycle (146,097 days, a whole number of
/// weeks) after the first month, so every (month, day, weekday) that exists at all is seen. A
/// few years would not do: Feb 29 falls on a given weekday only every 28 years, or 40 across
/// 2100, which is no leap year.
constexpr int search_months = 400 * 12 + 1;

struct civil_date {
  std::int64_t year;
  unsigned month;  // 1 .. 12
  unsigned day;    // 1 .. 31
};

// Days since 1970-01-01 of a date; only called with years from 1970 on, so no negative eras.
constexpr std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  auto y = year - (month <= 2 ? 1 : 0);
  auto era = y / 400;
  auto year_of_era = y - era * 400;  // 0 .. 399
  auto month_from_march = static_cast<std::int64_t>(month > 2 ? month - 3 : month + 9);
  auto day_of_year = (153 * month_from_march + 2) / 5 + static_cast<std::int64_t>(day) - 1;
  auto day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146'097 + day_of_era - 719'468;
}

// The date of a day since 1970-01-01 (days ≥ 0).
constexpr civil_date civil_from_days(std::int64_t days) {
  auto z = days + 719'468;
  auto era = z / 146'097;
  auto day_of_era = z - era * 146'097;  // 0 .. 146096
  auto year_of_era =
      (day_of_era - day_of_era / 1'460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  auto day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  auto month_from_march = (5 * day_of_year + 2) / 153;  // 0 = March
  auto day = static_cast<unsigned>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  auto month =
      static_cast<unsigned>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11'017);
static_assert(civil_from_days(11'016).month == 2 && civil_from_days(11'016).day == 29);
static_assert((days_from_civil(last_year + 1, 1, 1) * minutes_per_day - 1) * ms_per_minute ==
              max_cron_time_ms);

constexpr bool is_leap(std::int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

constexpr unsigned days_in_month(std::int64_t year, unsigned month) {
  constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

// 1970-01-01 was a Thursday (4).
constexpr unsigned weekday_of(std::int64_t days) {
  return static_cast<unsigned>((days + 4) % 7);
}

// Bits from..to set (to ≤ 63).
constexpr std::uint64_t bits_between(unsigned from, unsigned to) {
  return (~std::uint64_t{0} >> (63 - to)) & (~std::uint64_t{0} << from);
}

/// The lowest set bit of `bits` at or above `from`, if any.
std::optional<unsigned> lowest_from(std::uint64_t bits, unsigned from) {
  bits &= bits_between(from, 63);
  if (bits == 0) return std::nullopt;
  return static_cast<unsigned>(std::countr_zero(bits));
}

/// The highest set bit of `bits` at or below `to`, if any.
std::optional<unsigned> highest_to(std::uint64_t bits, unsigned to) {
  bits &= bits_between(0, to);
  if (bits == 0) return std::nullopt;
  return static_cast<unsigned>(63 - std::countl_zero(bits));
}

constexpr std::int64_t ms_of(const civil_date& date, unsigned minute_of_day) {
  return (days_from_civil(date.year, date.month, date.day) * minutes_per_day + minute_of_day) *
         ms_per_minute;
}

}  // namespace

// -- parsing ------------------------------------------------------------------------------------

namespace {

struct field_spec {
  std::string_view name;
  unsigned min;
  unsigned max;
};

constexpr std::array<field_spec, 5> field_specs = {{{"minute", 0, 59},
                                                    {"hour", 0, 23},
                                                    {"day of month", 1, 31},
                                                    {"month", 1, 12},
                                                    {"day of week", 0, 6}}};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// Reads one field's text; on error sets `why` (prefixed with the field's name by the caller).
class field_reader {
 public:
  field_reader(std::string_view text, const field_spec& spec) : rest_(text), spec_(spec) {}

  /// Returns the field's values as bits, or nothing with `why` set.
  std::optional<std::uint64_t> read(std::string& why) {
    std::uint64_t values = 0;
    for (;;) {
      auto item = take_item(why);
      if (!item) return std::nullopt;
      values |= *item;
      if (rest_.empty()) return values;
      if (rest_.front() != ',') return fail(why, unexpected());
      rest_.remove_prefix(1);
    }
  }

 private:
  // Why the text at the front of rest_ (not empty) cannot go on an item.
  std::string unexpected() const {
    auto c = rest_.front();
    if (c == '+' || c == '-') return "a number has no sign";
    if (is_digit(c) || c == '*' || c == ',' || c == '/')
      return "an item is *, n, a-b, */s or a-b/s";
    return "only digits, '*', '-', ',' and '/' are allowed (no names, '?', 'L', '#')";
  }

  static std::nullopt_t fail(std::string& why, std::string message) {
    why = std::move(message);
    return std::nullopt;
  }

  // One `*`, `n`, `a-b`, `*/s` or `a-b/s`.
  std::optional<std::uint64_t> take_item(std::string& why) {
    if (rest_.empty() || rest_.front() == ',') return fail(why, "a list has an empty item");
    unsigned first = spec_.min;
    unsigned last = spec_.max;
    bool steppable = true;
    if (rest_.front() == '*') {
      rest_.remove_prefix(1);
    } else {
      auto a = take_number(why);
      if (!a) return std::nullopt;
      first = last = *a;
      steppable = !rest_.empty() && rest_.front() == '-';
      if (steppable) {
        rest_.remove_prefix(1);
        auto b = take_number(why);
        if (!b) return std::nullopt;
        last = *b;
        if (first > last)
          return fail(why, "the range " + std::to_string(first) + "-" + std::to_string(last) +
                               " runs backwards");
      }
    }
    unsigned step = 1;
    if (!rest_.empty() && rest_.front() == '/') {
      if (!steppable) return fail(why, "a step '/' may only follow '*' or a range a-b");
      rest_.remove_prefix(1);
      auto s = take_step(why);
      if (!s) return std::nullopt;
      step = *s;
    }
    std::uint64_t values = 0;
    for (auto v = first; v <= last; v += step) values |= std::uint64_t{1} << v;
    return values;
  }

  // 1 .. max_cron_number_digits ASCII digits; not std::from_chars, which would take a '-'.
  std::optional<unsigned> take_digits(std::string& why) {
    std::size_t n = 0;
    while (n < rest_.size() && is_digit(rest_[n])) ++n;
    if (n == 0) return fail(why, rest_.empty() ? std::string{"a number is missing"} : unexpected());
    if (n > max_cron_number_digits)
      return fail(why,
                  "a number has at most " + std::to_string(max_cron_number_digits) + " digits");
    unsigned value = 0;
    for (std::size_t i = 0; i < n; ++i) value = value * 10 + static_cast<unsigned>(rest_[i] - '0');
    rest_.remove_prefix(n);
    return value;
  }

  std::optional<unsigned> take_number(std::string& why) {
    auto value = take_digits(why);
    if (value && (*value < spec_.min || *value > spec_.max))
      return fail(why, std::to_string(*value) + " is out of range " + range_text());
    return value;
  }

  // A step larger than the field's number of values would name the first value only: more
  // likely a mistake than intent.
  std::optional<unsigned> take_step(std::string& why) {
    auto step = take_digits(why);
    auto most = spec_.max - spec_.min + 1;
    if (step && (*step == 0 || *step > most))
      return fail(why, "a step must be 1-" + std::to_string(most));
    return step;
  }

  std::string range_text() const {
    auto text = std::to_string(spec_.min) + "-" + std::to_string(spec_.max);
    return spec_.name == "day of week" ? text + " (0 is Sunday)" : text;
  }

  std::string_view rest_;
  const field_spec& spec_;
};

/// Splits `text` into fields at runs of spaces; returns how many there are (up to 6 stored).
std::size_t split_fields(std::string_view text, std::array<std::string_view, 6>& fields) {
  std::size_t count = 0;
  while (!text.empty()) {
    auto end = text.find(' ');
    if (count < fields.size()) fields[count] = text.substr(0, end);
    ++count;
    if (end == std::string_view::npos) break;
    text.remove_prefix(end);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  }
  return count;
}

}  // namespace

std::optional<cron_expression> cron_expression::parse(std::string_view text) {
  std::string why;
  return parse(text, why);
}

std::optional<cron_expression> cron_expression::parse(std::string_view text, std::string& why) {
  if (!text.empty() && (text.front() == ' ' || text.back() == ' ')) {
    why = "no spaces may come before or after the expression";
    return std::nullopt;
  }
  std::array<std::string_view, 6> fields;
  auto count = split_fields(text, fields);
  if (count != field_specs.size()) {
    why = "a cron expression has 5 fields (minute hour day-of-month month day-of-week), not " +
          std::to_string(count);
    return std::nullopt;
  }
  std::array<std::uint64_t, 5> values{};
  for (std::size_t i = 0; i < field_specs.size(); ++i) {
    auto read = field_reader{fields[i], field_specs[i]}.read(why);
    if (!read) {
      why = std::string{field_specs[i].name} + ": " + why;
      return std::nullopt;
    }
    values[i] = *read;
  }
  cron_expression result;
  result.minutes_ = values[0];
  result.hours_ = static_cast<std::uint32_t>(values[1]);
  result.days_of_month_ = static_cast<std::uint32_t>(values[2]);
  result.months_ = static_cast<std::uint16_t>(values[3]);
  result.days_of_week_ = static_cast<std::uint8_t>(values[4]);
  result.day_of_month_star_ = fields[2].front() == '*';
  result.day_of_week_star_ = fields[4].front() == '*';
  // Every field names a value: the searches below rely on it (a day that matches has a minute).
  assert(result.minutes_ != 0 && result.hours_ != 0 && result.days_of_month_ != 0 &&
         result.months_ != 0 && result.days_of_week_ != 0);
  return result;
}

// -- searching ----------------------------------------------------------------------------------

std::uint32_t cron_expression::matching_days(std::int64_t year, unsigned month) const {
  if ((months_ & (1u << month)) == 0) return 0;
  auto first_weekday = weekday_of(days_from_civil(year, month, 1));
  auto length = days_in_month(year, month);
  std::uint32_t by_weekday = 0;
  for (unsigned day = 1; day <= length; ++day)
    if (days_of_week_ & (1u << ((first_weekday + day - 1) % 7))) by_weekday |= 1u << day;
  auto days = day_of_month_star_ || day_of_week_star_ ? days_of_month_ & by_weekday
                                                      : days_of_month_ | by_weekday;
  return days & static_cast<std::uint32_t>(bits_between(1, length));
}

std::optional<unsigned> cron_expression::first_minute_of_day(unsigned minute_of_day) const {
  auto hour = minute_of_day / 60;
  auto first_hour = lowest_from(hours_, hour);
  if (!first_hour) return std::nullopt;
  if (*first_hour == hour)
    if (auto minute = lowest_from(minutes_, minute_of_day % 60)) return hour * 60 + *minute;
  if (*first_hour == hour) first_hour = lowest_from(hours_, hour + 1);
  if (!first_hour) return std::nullopt;
  return *first_hour * 60 + static_cast<unsigned>(std::countr_zero(minutes_));
}

std::optional<unsigned> cron_expression::last_minute_of_day(unsigned minute_of_day) const {
  auto hour = minute_of_day / 60;
  auto last_hour = highest_to(hours_, hour);
  if (!last_hour) return std::nullopt;
  if (*last_hour == hour)
    if (auto minute = highest_to(minutes_, minute_of_day % 60)) return hour * 60 + *minute;
  if (*last_hour == hour) last_hour = hour == 0 ? std::nullopt : highest_to(hours_, hour - 1);
  if (!last_hour) return std::nullopt;
  return *last_hour * 60 + static_cast<unsigned>(63 - std::countl_zero(minutes_));
}

std::optional<std::int64_t> cron_expression::next_at_or_after(std::int64_t ms) const {
  if (ms > max_cron_time_ms) return std::nullopt;
  if (ms < 0) ms = 0;
  auto minute = (ms + ms_per_minute - 1) / ms_per_minute;  // no overflow: ms is bounded above
  auto date = civil_from_days(minute / minutes_per_day);
  auto from_minute = static_cast<unsigned>(minute % minutes_per_day);
  for (int i = 0; i < search_months && date.year <= last_year; ++i) {
    auto days = matching_days(date.year, date.month);
    for (auto day = lowest_from(days, date.day); day; day = lowest_from(days, *day + 1)) {
      if (*day != date.day) from_minute = 0;
      date.day = *day;
      if (auto found = first_minute_of_day(from_minute)) return ms_of(date, *found);
    }
    date = date.month == 12 ? civil_date{date.year + 1, 1, 1}
                            : civil_date{date.year, date.month + 1, 1};
    from_minute = 0;
  }
  return std::nullopt;
}

std::optional<std::int64_t> cron_expression::previous_at_or_before(std::int64_t ms) const {
  if (ms < 0) return std::nullopt;
  if (ms > max_cron_time_ms) ms = max_cron_time_ms;
  auto minute = ms / ms_per_minute;
  auto date = civil_from_days(minute / minutes_per_day);
  auto to_minute = static_cast<unsigned>(minute % minutes_per_day);
  for (int i = 0; i < search_months && date.year >= first_year; ++i) {
    auto days = matching_days(date.year, date.month);
    for (auto day = highest_to(days, date.day); day; day = highest_to(days, *day - 1)) {
      if (*day != date.day) to_minute = minutes_per_day - 1;
      date.day = *day;
      if (auto found = last_minute_of_day(to_minute)) return ms_of(date, *found);
    }
    date = date.month == 1
               ? civil_date{date.year - 1, 12, 31}
               : civil_date{date.year, date.month - 1, days_in_month(date.year, date.month - 1)};
    to_minute = minutes_per_day - 1;
  }
  return std::nullopt;
}

}  // namespace dort
