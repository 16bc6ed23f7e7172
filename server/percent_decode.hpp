// Path segments as API.md reads them: percent-decoded, then checked to be valid UTF-8. A bad
// escape ("%G1", a lone "%") or bytes that are not UTF-8 give nothing; the caller answers
// 400 invalid_field naming the segment.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dort::server {

std::optional<std::string> percent_decode(std::string_view segment);

}  // namespace dort::server
