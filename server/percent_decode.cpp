#include "server/percent_decode.hpp"

#include <simdjson.h>

namespace dort::server {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (std::size_t i = 0; i < segment.size(); ++i) {
    char c = segment[i];
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (i + 2 >= segment.size()) return std::nullopt;  // "%" or "%A" at the end
    int hi = hex_value(segment[i + 1]);
    int lo = hex_value(segment[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  // simdjson's validator: fast, and the same rules as for JSON strings.
  if (!simdjson::validate_utf8(out.data(), out.size())) return std::nullopt;
  return out;
}

}  // namespace dort::server
