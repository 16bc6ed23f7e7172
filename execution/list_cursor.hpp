// The cursors of task listings (API.md: "a cursor marks a position in the submission order"): a
// submission number and a check value, so that a cursor this server did not issue is refused
// instead of silently read as a position.
#pragma once

#include <cstdint>
#include <string>

namespace dort {

/// Returns the cursor of the position just before submission number `seq`.
std::string make_list_cursor(std::uint64_t seq);

/// Returns the submission number of `cursor`; throws `invalid_field` (field "cursor") for one
/// this server did not issue.
std::uint64_t read_list_cursor(const std::string& cursor);

}  // namespace dort
