#include "actors/json_wide_numbers.hpp"

#include <simdjson.h>

namespace dort {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// Whether `c` can continue a number token (its maximal extent, as a JSON lexer reads it).
bool in_number(char c) {
  return is_digit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/// Whether `t` follows RFC 8259's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view t) {
  std::size_t i = 0;
  auto digits = [&] {
    std::size_t from = i;
    while (i < t.size() && is_digit(t[i])) ++i;
    return i > from;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0')
    ++i;
  else if (!digits())
    return false;
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == t.size();
}

/// Whether simdjson's DOM can hold the number `token`.
bool dom_holds(std::string_view token) {
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded{token};
  simdjson::dom::element e;
  return parser.parse(padded).get(e) == simdjson::SUCCESS;
}

}  // namespace

std::optional<std::string> replace_wide_numbers(std::string_view text) {
  std::string out;
  bool replaced = false;
  std::size_t copied = 0;  // text before this is in `out` already
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"') {  // skip the string: its bytes are the DOM's to check
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\') ++i;
      ++i;
      continue;
    }
    if (c != '-' && !is_digit(c)) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && in_number(text[end])) ++end;
    auto token = text.substr(i, end - i);
    if (is_json_number(token) && !dom_holds(token)) {
      out.append(text.substr(copied, i - copied));
      out.append("\"\\u0001");  // the marker's first byte, escaped
      out.append(wide_number_marker.substr(1));
      out.push_back('"');
      copied = end;
      replaced = true;
    }
    i = end;
  }
  if (!replaced) return std::nullopt;
  out.append(text.substr(copied));
  return out;
}

}  // namespace dort
