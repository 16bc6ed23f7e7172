// Parses ISO 8601 durations for the `wait` task: a cursor walks the text once, taking components
// in their fixed order and rejecting anything else. Each component is checked against the one-year
// limit before it is scaled, so no product or sum can overflow int64.
#include "execution/iso_duration.hpp"

#include <charconv>
#include <cstddef>
#include <span>
#include <system_error>

namespace dort {

namespace {

constexpr std::int64_t ms_per_second = 1'000;
constexpr std::int64_t ms_per_minute = 60 * ms_per_second;
constexpr std::int64_t ms_per_hour = 60 * ms_per_minute;
constexpr std::int64_t ms_per_day = 24 * ms_per_hour;

/// Fraction digits that still count: the result is in whole milliseconds.
constexpr std::size_t fraction_digits_kept = 3;

static_assert(max_iso_duration_ms == 365 * ms_per_day);

struct component {
  char designator;
  std::int64_t unit_ms;
};

// In the order ISO 8601 requires; a component may only follow those before it in its list.
constexpr component date_components[] = {{'D', ms_per_day}};
constexpr component time_components[] = {
    {'H', ms_per_hour}, {'M', ms_per_minute}, {'S', ms_per_second}};

// Not std::isdigit: it depends on the locale, and only ASCII 0-9 are digits here.
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Takes one or more digits from the front of `rest`. The first character is checked by hand
// because std::from_chars would also take a leading '-'.
std::optional<std::int64_t> take_integer(std::string_view& rest) {
  if (rest.empty() || !is_digit(rest.front())) return std::nullopt;
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  // Out of range means far more than a year, which is rejected anyway.
  if (error != std::errc{}) return std::nullopt;
  rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
  return value;
}

// Takes the digits after a '.' and returns their value in milliseconds, truncated toward zero.
// At least one digit is required: "PT5.S" is rejected, as a '.' with nothing after it more likely
// marks a typo or a cut-off value than intent.
std::optional<std::int64_t> take_fraction_ms(std::string_view& rest) {
  std::size_t digits = 0;
  while (digits < rest.size() && is_digit(rest[digits])) ++digits;
  if (digits == 0) return std::nullopt;
  std::int64_t fraction_ms = 0;
  for (std::size_t i = 0; i < fraction_digits_kept; ++i)
    fraction_ms = fraction_ms * 10 + (i < digits ? rest[i] - '0' : 0);
  rest.remove_prefix(digits);
  return fraction_ms;
}

// Takes one component `n[.f]X` from the front of `rest` and adds it to `total_ms`. `X` must be
// one of `components` from index `next` on; `next` then moves past it, so that each component
// appears at most once and in order. Returns false when the text is invalid or the total too big.
bool take_component(std::string_view& rest, std::span<const component> components,
                    std::size_t& next, std::int64_t& total_ms) {
  // A fraction needs an integer part too: "PT.5S" is rejected, the same strict reading as for
  // "PT5.S", so that every '.' stands between two digits.
  auto integer = take_integer(rest);
  if (!integer) return false;
  std::optional<std::int64_t> fraction_ms;
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    fraction_ms = take_fraction_ms(rest);
    if (!fraction_ms) return false;
  }
  if (rest.empty()) return false;
  auto designator = rest.front();
  rest.remove_prefix(1);
  while (next < components.size() && components[next].designator != designator) ++next;
  if (next == components.size()) return false;
  auto unit_ms = components[next++].unit_ms;
  // Only seconds may be fractional, as API.md allows; "PT1.5M" is rejected.
  if (fraction_ms && unit_ms != ms_per_second) return false;
  // Checked before scaling: integer * unit_ms and the sum then stay within a few years.
  if (*integer > max_iso_duration_ms / unit_ms) return false;
  total_ms += *integer * unit_ms + fraction_ms.value_or(0);
  return total_ms <= max_iso_duration_ms;
}

}  // namespace

std::optional<std::int64_t> parse_iso_duration_ms(std::string_view text) {
  if (text.empty() || text.front() != 'P') return std::nullopt;
  auto rest = text.substr(1);
  std::int64_t total_ms = 0;
  std::size_t taken = 0;
  std::size_t next = 0;
  while (!rest.empty() && rest.front() != 'T') {
    if (!take_component(rest, date_components, next, total_ms)) return std::nullopt;
    ++taken;
  }
  if (!rest.empty()) {
    rest.remove_prefix(1);  // the 'T'
    // "P1DT" is invalid: a 'T' must be followed by at least one time component.
    if (rest.empty()) return std::nullopt;
    next = 0;
    while (!rest.empty()) {
      if (!take_component(rest, time_components, next, total_ms)) return std::nullopt;
      ++taken;
    }
  }
  // "P" alone names no duration.
  if (taken == 0) return std::nullopt;
  return total_ms;
}

}  // namespace dort
