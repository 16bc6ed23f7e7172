// Valid JSON that simdjson 3.0.1's DOM refuses: integers beyond 64 bits and numbers beyond a
// double's range (`123456789012345678901234567890`, `1e400`) are valid JSON, which a client may
// own (API.md: its numbers keep their digits). When the DOM refuses a number, the text is checked
// again by RapidJSON's reader with numbers kept as text (structure, UTF-8, depth), and every
// number the DOM cannot hold is replaced by a marker string, so the DOM can read the rest — an
// integer field that meets the marker is `invalid_field`, never `invalid_json`. Internal to the
// JSON reader (actors/json_reader.cpp).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace dort {

/// The string that stands in for a number the DOM cannot hold (see the header comment).
inline constexpr std::string_view wide_number_marker = "\x01dort:number-beyond-range";

/// The outcome of `check_wide_json`.
struct wide_json {
  /// The text with wide numbers replaced by the marker (as a JSON string); empty if invalid.
  std::optional<std::string> for_dom;
  /// Whether the text nests deeper than allowed.
  bool too_deep = false;
  /// Why the text is not valid JSON.
  std::string problem;
};

/// Checks that `text` is one valid JSON value at most `max_depth` deep, numbers of any size
/// allowed, and returns it ready for the DOM.
wide_json check_wide_json(std::string_view text, std::size_t max_depth);

}  // namespace dort
