// The source text of a JSON value read with simdjson's On Demand API, as the client wrote it
// but for whitespace: numbers keep their digits (1.10 stays 1.10, not 1.1) and strings their
// escapes, which simdjson's DOM cannot give since it keeps parsed values only. For the values the
// client owns (API.md: input, metadata, outputs, progress). Include only from .cpp files
// (simdjson stays out of dort's public headers).
#pragma once

#include <string>
#include <string_view>

#include <simdjson.h>

namespace dort {

/// Returns the JSON `text` without the whitespace outside its strings: simdjson's text minifier
/// removes whitespace only, it never re-prints a value. Throws simdjson_error on malformed text.
inline std::string strip_json_whitespace(std::string_view text) {
  std::string out(text.size(), '\0');
  std::size_t length = 0;
  if (auto err = simdjson::minify(text.data(), text.size(), out.data(), length))
    throw simdjson::simdjson_error{err};
  out.resize(length);
  return out;
}

/// Returns the text of `value` (an object or array whole, or a scalar) with the whitespace
/// outside strings removed; consumes the value. Throws simdjson_error on malformed input.
inline std::string raw_json_text(simdjson::ondemand::value value) {
  std::string_view text;
  switch (value.type().value()) {
    case simdjson::ondemand::json_type::object: {
      simdjson::ondemand::object object = value.get_object();
      text = object.raw_json().value();
      break;
    }
    case simdjson::ondemand::json_type::array: {
      simdjson::ondemand::array array = value.get_array();
      text = array.raw_json().value();
      break;
    }
    default:
      text = value.raw_json_token();
  }
  return strip_json_whitespace(text);
}

}  // namespace dort
