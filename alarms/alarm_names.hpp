// The rules of alarm names, shared by the handlers' API (durable_object.hpp) and the index
// (alarm_index.hpp): names beginning with `reserved_alarm_prefix` belong to dort's own layers, and
// no name is longer than `max_alarm_name_bytes`. A header of its own so that a class's code sees
// the rules without the index's LMDB types.
#pragma once

#include <cstddef>
#include <string_view>

namespace dort {

/// Alarm names beginning with this are reserved for dort's own layers (the task layer).
constexpr std::string_view reserved_alarm_prefix = "dort.";

/// Longest alarm name in bytes (the index key must stay within LMDB's key limit).
constexpr std::size_t max_alarm_name_bytes = 256;

}  // namespace dort
