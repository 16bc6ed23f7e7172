// Valid JSON that simdjson 3.0.1's DOM refuses: integers beyond 64 bits and numbers beyond a
// double's range (`123456789012345678901234567890`, `1e400`) are valid JSON, which a client may
// own (API.md: its numbers keep their digits). When the DOM refuses a number, every number token
// of the text that follows JSON's number grammar but that the DOM cannot hold is replaced by a
// marker string, and the DOM parses that text: a string stands where a number stood, so the text
// is valid exactly when the original is, and the DOM still checks structure, UTF-8, depth and
// duplicate keys. An integer field that meets the marker is `invalid_field`, never
// `invalid_json`; raw values are read from the original text. Internal to actors/json_reader.cpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dort {

/// The string that stands in for a number the DOM cannot hold (see the header comment).
inline constexpr std::string_view wide_number_marker = "\x01dort:number-beyond-range";

/// Returns `text` with each number the DOM cannot hold replaced by the marker (as a JSON
/// string), or nothing if it holds no such number.
std::optional<std::string> replace_wide_numbers(std::string_view text);

}  // namespace dort
