// parse_iso_duration_ms (execution/iso_duration.hpp) against a reference written another way:
// the same strings are accepted, with the same milliseconds, always within 0 .. one year; and
// every accepted value, written back as PT<s>.<ms>S, parses to itself.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "execution/iso_duration.hpp"
#include "fuzz_support.hpp"

namespace {

using dort::fuzz::fuzz_check;

/// One `<digits>[.<digits>]<letter>` component, taken from the front of `rest` if it has `letter`.
struct component {
  std::string_view integer;
  std::optional<std::string_view> fraction;
};

std::string_view digits_at(std::string_view rest) {
  std::size_t n = 0;
  while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
  return rest.substr(0, n);
}

/// Returns the component with designator `letter` at the front of `rest`, if there is one;
/// `bad` is set when the front is a number not followed by a well-formed component.
std::optional<component> take(std::string_view& rest, char letter, bool allow_fraction) {
  auto integer = digits_at(rest);
  if (integer.empty()) return std::nullopt;
  auto after = rest.substr(integer.size());
  std::optional<std::string_view> fraction;
  if (allow_fraction && !after.empty() && after.front() == '.') {
    fraction = digits_at(after.substr(1));
    if (fraction->empty()) return std::nullopt;
    after = after.substr(1 + fraction->size());
  }
  if (after.empty() || after.front() != letter) return std::nullopt;
  rest = after.substr(1);
  return component{integer, fraction};
}

/// The value of a digit string, or nothing beyond 10^15 (far past a year in any unit).
std::optional<__int128> value_of(std::string_view digits) {
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  if (digits.size() > 15) return std::nullopt;
  __int128 v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

std::optional<std::int64_t> reference(std::string_view text) {
  if (text.empty() || text.front() != 'P') return std::nullopt;
  auto rest = text.substr(1);
  __int128 total = 0;
  int taken = 0;
  auto add = [&](const std::optional<component>& c, __int128 unit_ms) {
    if (!c) return true;
    auto v = value_of(c->integer);
    if (!v) return false;
    total += *v * unit_ms;
    if (c->fraction) {
      std::string ms{c->fraction->substr(0, 3)};
      while (ms.size() < 3) ms.push_back('0');
      total += std::stoi(ms);
    }
    ++taken;
    return true;
  };
  if (!add(take(rest, 'D', false), 86'400'000)) return std::nullopt;
  if (!rest.empty()) {
    if (rest.front() != 'T') return std::nullopt;
    rest.remove_prefix(1);
    int before = taken;
    if (!add(take(rest, 'H', false), 3'600'000)) return std::nullopt;
    if (!add(take(rest, 'M', false), 60'000)) return std::nullopt;
    if (!add(take(rest, 'S', true), 1'000)) return std::nullopt;
    if (taken == before || !rest.empty()) return std::nullopt;
  }
  if (taken == 0 || total > dort::max_iso_duration_ms) return std::nullopt;
  return static_cast<std::int64_t>(total);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto ms = dort::parse_iso_duration_ms(text);
  auto expected = reference(text);
  fuzz_check(ms == expected, "the parser and the reference disagree", text);
  if (!ms) return 0;
  fuzz_check(*ms >= 0 && *ms <= dort::max_iso_duration_ms, "a duration out of 0 .. one year",
             text);
  char fraction[4];
  std::snprintf(fraction, sizeof fraction, "%03d", static_cast<int>(*ms % 1'000));
  auto again = "PT" + std::to_string(*ms / 1'000) + "." + fraction + "S";
  fuzz_check(dort::parse_iso_duration_ms(again) == ms, "PT<s>.<ms>S does not round-trip", again);
  return 0;
}
