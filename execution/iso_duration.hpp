// Parses the ISO 8601 durations that the built-in `wait` task takes (API.md): `PnDTnHnMnS`, days
// and clock units only, a fraction only on seconds, no sign and no whitespace. Guarantees a result
// in whole milliseconds between 0 and `max_iso_duration_ms`; does not accept years, months, weeks,
// a ',' decimal sign or any other ISO 8601 form (dates, intervals, `PnW`).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace dort {

/// The longest duration accepted: one year of 365 days. Bounding it also keeps every sum the
/// parser forms far from int64 overflow.
inline constexpr std::int64_t max_iso_duration_ms = 31'536'000'000;

/// Returns the duration `text` spells, in milliseconds, or nothing when `text` is not of the form
/// `P[nD][T[nH][nM][n[.f]S]]` with at least one component (and at least one after a `T`), or when
/// it exceeds `max_iso_duration_ms`. Fraction digits beyond milliseconds are truncated.
std::optional<std::int64_t> parse_iso_duration_ms(std::string_view text);

}  // namespace dort
