// cron_expression (execution/cron_expression.hpp) against a reference written another way: a
// parser that splits items at '/' and '-' into sets of values, and a matcher that walks minutes
// and days with <chrono>'s calendar. The same texts are accepted; every next or previous run
// found is on a minute, on the right side of the instant, matches, and no minute between the
// instant and it matches (the reference walks day by day, within a budget); when none is found,
// the reference confirms it.
//
// Input: a text, tried as an expression as a whole; when it has a '\n', the part before it is
// also searched from the instant the decimal digits after it spell (besides fixed instants).
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "execution/cron_expression.hpp"
#include "fuzz_support.hpp"

namespace {

using dort::cron_expression;
using dort::max_cron_time_ms;
using dort::fuzz::fuzz_check;
using namespace std::chrono;

constexpr std::int64_t minute_ms = 60'000;
constexpr std::int64_t day_ms = 1'440 * minute_ms;
/// Searches chained from each instant, each from just past the answer of the one before.
constexpr int chained_searches = 6;
/// Days the reference may walk for one input: about 140 years, so that a rare expression (Feb
/// 29 on a Sunday: every 28 or 40 years) still gets a few exact comparisons, while an input
/// costs at most a few milliseconds.
constexpr std::int64_t search_budget_days = 50'000;
/// One Gregorian cycle: within it, every date that exists falls on every weekday.
constexpr std::int64_t cycle_ms = 146'097 * day_ms;

struct reference {
  // values[field][v]: value v of the field matches.
  std::array<std::array<bool, 64>, 5> values{};
  bool day_of_month_star = false;
  bool day_of_week_star = false;
};

std::optional<int> number(std::string_view digits) {
  if (digits.empty() || digits.size() > 2) return std::nullopt;
  int value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

/// `text` split at the first `c`: before, after, and whether there was one.
struct halves {
  std::string_view before, after;
  bool split;
};
halves split_once(std::string_view text, char c) {
  auto at = text.find(c);
  if (at == std::string_view::npos) return {text, {}, false};
  return {text.substr(0, at), text.substr(at + 1), true};
}

bool add_item(std::string_view item, int lo, int hi, std::array<bool, 64>& values) {
  auto [range, step_text, has_step] = split_once(item, '/');
  int step = 1;
  if (has_step) {
    auto s = number(step_text);
    if (!s || *s < 1 || *s > hi - lo + 1) return false;
    step = *s;
  }
  int a = lo, b = hi;
  if (range != "*") {
    auto [first, last, has_dash] = split_once(range, '-');
    if (has_step && !has_dash) return false;
    auto x = number(first);
    auto y = has_dash ? number(last) : x;
    if (!x || !y || *x < lo || *y > hi || *x > *y) return false;
    a = *x;
    b = *y;
  }
  for (int v = a; v <= b; v += step) values[v] = true;
  return true;
}

std::optional<reference> reference_parse(std::string_view text) {
  static constexpr int lo[] = {0, 0, 1, 1, 0};
  static constexpr int hi[] = {59, 23, 31, 12, 6};
  if (text.empty() || text.front() == ' ' || text.back() == ' ') return std::nullopt;
  std::vector<std::string_view> fields;
  for (std::size_t at = 0; at < text.size();) {
    auto end = text.find(' ', at);
    if (end == std::string_view::npos) end = text.size();
    if (end > at) fields.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  if (fields.size() != 5) return std::nullopt;
  reference ref;
  for (std::size_t f = 0; f < 5; ++f) {
    std::string_view rest = fields[f];
    for (;;) {
      auto [item, more, has_comma] = split_once(rest, ',');
      if (!add_item(item, lo[f], hi[f], ref.values[f])) return std::nullopt;
      if (!has_comma) break;
      rest = more;
    }
  }
  ref.day_of_month_star = fields[2].front() == '*';
  ref.day_of_week_star = fields[4].front() == '*';
  return ref;
}

bool day_matches(const reference& ref, sys_days day) {
  year_month_day date{day};
  if (!ref.values[3][static_cast<unsigned>(date.month())]) return false;
  bool dom = ref.values[2][static_cast<unsigned>(date.day())];
  bool dow = ref.values[4][weekday{day}.c_encoding()];
  return ref.day_of_month_star || ref.day_of_week_star ? dom && dow : dom || dow;
}

bool matches(const reference& ref, std::int64_t ms) {
  auto day = floor<days>(sys_time<milliseconds>{milliseconds{ms}});
  auto minute_of_day = (ms - day.time_since_epoch().count() * day_ms) / minute_ms;
  return day_matches(ref, day) && ref.values[1][minute_of_day / 60] &&
         ref.values[0][minute_of_day % 60];
}

/// Whether some day ever matches: with both day fields restricted, every month has the
/// weekdays; else some existing (month, day) must be in the sets (each falls on every weekday
/// within a cycle, Feb 29 too).
bool ever_matches(const reference& ref) {
  if (!ref.day_of_month_star && !ref.day_of_week_star) return true;
  static constexpr int longest[] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (int m = 1; m <= 12; ++m)
    for (int d = 1; d <= longest[m]; ++d)
      if (ref.values[3][m] && ref.values[2][d]) return true;
  return false;
}

sys_days day_of(std::int64_t ms) {
  return floor<days>(sys_time<milliseconds>{milliseconds{ms}});
}

std::int64_t ms_of(sys_days day) {
  return day.time_since_epoch().count() * day_ms;
}

/// What a reference search found: a minute, or none; `conclusive` is false when it gave up
/// after its budget of days.
struct scan {
  std::optional<std::int64_t> found;
  bool conclusive;
};

/// The reference's first (`forward`) or last matching minute of `day`, from or to
/// `minute_of_day`.
std::optional<std::int64_t> minute_in_day(const reference& ref, sys_days day, int minute_of_day,
                                          bool forward) {
  if (!day_matches(ref, day)) return std::nullopt;
  for (int m = minute_of_day; m >= 0 && m < 1'440; m += forward ? 1 : -1)
    if (ref.values[1][m / 60] && ref.values[0][m % 60]) return ms_of(day) + m * minute_ms;
  return std::nullopt;
}

/// The reference's first matching minute at or after `from_ms` (on a minute, in range), or
/// the last at or before it (`forward` false), walking day by day within 1970 .. 9999 and at
/// most `budget_days` days (which it spends).
scan reference_search(const reference& ref, std::int64_t from_ms, bool forward,
                      std::int64_t& budget_days) {
  auto day = day_of(from_ms);
  auto minute_of_day = static_cast<int>((from_ms - ms_of(day)) / minute_ms);
  if (auto found = minute_in_day(ref, day, minute_of_day, forward)) return {found, true};
  auto first = day_of(0);
  auto last = day_of(max_cron_time_ms);
  for (day += days{forward ? 1 : -1}; day >= first && day <= last; day += days{forward ? 1 : -1}) {
    if (--budget_days < 0) return {std::nullopt, false};
    if (auto found = minute_in_day(ref, day, forward ? 0 : 1'439, forward)) return {found, true};
  }
  return {std::nullopt, true};
}

/// Checks next_at_or_after(t) against the reference; returns it.
std::optional<std::int64_t> check_next(const cron_expression& e, const reference& ref,
                                       std::int64_t t, std::int64_t& budget_days,
                                       std::string_view text) {
  auto next = e.next_at_or_after(t);
  if (t > max_cron_time_ms) {
    fuzz_check(!next, "a next run past the range", text);
    return next;
  }
  auto from = t <= 0 ? 0 : (t + minute_ms - 1) / minute_ms * minute_ms;
  if (next) {
    fuzz_check(*next >= t && *next % minute_ms == 0, "a next run before t or off a minute", text);
    fuzz_check(matches(ref, *next), "a next run that does not match", text);
  }
  auto expected = reference_search(ref, from, true, budget_days);
  if (expected.conclusive) {
    fuzz_check(next == expected.found, "the next run is not the reference's", text);
  } else if (!next) {
    fuzz_check(!ever_matches(ref) || from > max_cron_time_ms - cycle_ms,
               "no next run within a cycle for an expression that matches", text);
  }
  return next;
}

/// Checks previous_at_or_before(t) against the reference; returns it.
std::optional<std::int64_t> check_previous(const cron_expression& e, const reference& ref,
                                           std::int64_t t, std::int64_t& budget_days,
                                           std::string_view text) {
  auto previous = e.previous_at_or_before(t);
  if (t < 0) {
    fuzz_check(!previous, "a previous run before 1970", text);
    return previous;
  }
  auto to = std::min(t, max_cron_time_ms) / minute_ms * minute_ms;
  if (previous) {
    fuzz_check(*previous <= t && *previous % minute_ms == 0, "a previous run after t or off", text);
    fuzz_check(matches(ref, *previous), "a previous run that does not match", text);
  }
  auto expected = reference_search(ref, to, false, budget_days);
  if (expected.conclusive) {
    fuzz_check(previous == expected.found, "the previous run is not the reference's", text);
  } else if (!previous) {
    fuzz_check(!ever_matches(ref) || to < cycle_ms,
               "no previous run within a cycle for an expression that matches", text);
  }
  return previous;
}

/// The instant the digits of `text` spell (an optional '-', then up to 18 digits), or nothing.
std::optional<std::int64_t> instant_of(std::string_view text) {
  bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return negative ? -value : value;
}

void check_searches(std::string_view text, std::optional<std::int64_t> instant) {
  auto e = cron_expression::parse(text);
  if (!e) return;
  auto ref = reference_parse(text);
  std::vector<std::int64_t> instants = {INT64_MIN,
                                        -1,
                                        1'709'164'770'001,  // 2024-02-28T23:59:30.001Z
                                        4'107'499'200'000,  // 2100-02-28T12:00Z
                                        max_cron_time_ms - 2 * day_ms + 1,
                                        INT64_MAX};
  if (instant) instants.push_back(*instant);
  // Each search is followed by the next few from just past its answer, so that runs years
  // apart (Feb 29, in 2000 but not 2100) are each compared with the reference.
  auto budget_days = search_budget_days;
  for (auto t : instants) {
    auto at = t;
    for (int i = 0; i < chained_searches; ++i) {
      auto next = check_next(*e, *ref, at, budget_days, text);
      if (!next) break;
      fuzz_check(e->previous_at_or_before(*next) == next, "a next run is not its own previous",
                 text);
      at = *next + 1;
    }
    at = t;
    for (int i = 0; i < chained_searches; ++i) {
      auto previous = check_previous(*e, *ref, at, budget_days, text);
      if (!previous) break;
      fuzz_check(e->next_at_or_after(*previous) == previous, "a previous run is not its own next",
                 text);
      at = *previous - 1;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  std::string why;
  auto e = cron_expression::parse(text, why);
  fuzz_check(e.has_value() == reference_parse(text).has_value(),
             "the parser and the reference disagree", text);
  fuzz_check(e.has_value() == why.empty(), "a refusal without a reason, or the reverse", text);
  for (unsigned char c : why)
    fuzz_check(c >= 0x20 && c < 0x7f, "a refusal that is not printable ASCII", text);
  auto newline = text.find('\n');
  if (newline == std::string_view::npos) {
    check_searches(text, std::nullopt);
  } else {
    check_searches(text.substr(0, newline), instant_of(text.substr(newline + 1)));
  }
  return 0;
}
