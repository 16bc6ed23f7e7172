// The writes of one message, or the merged writes of several: user key → new value, where an
// empty optional is a delete. Ordered by key bytes, so merging and committing walk keys in order.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace dort {

using write_set = std::map<std::string, std::optional<std::string>, std::less<>>;

}  // namespace dort
