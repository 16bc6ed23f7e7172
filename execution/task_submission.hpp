// A submit body (API.md "Submit") read and checked: unknown fields, types, ranges and sizes,
// with `config` merged over the execution's defaults. Whether a handler of that name takes the
// input, and what is stored already (ids, idempotency keys), the execution checks afterwards.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "execution/task_config.hpp"

namespace dort {

/// Longest task id, task name and idempotency key (API.md: 1–256 bytes).
inline constexpr std::size_t max_task_text_bytes = 256;
/// Longest `delayMs`: a year.
inline constexpr std::int64_t max_delay_ms = 31'536'000'000;
/// Largest `input` and `metadata` (JSON text).
inline constexpr std::size_t max_input_bytes = 256 * 1024;
inline constexpr std::size_t max_metadata_bytes = 16 * 1024;

struct task_submission {
  std::optional<std::string> id;
  std::string name;
  std::optional<std::string> input;
  std::int64_t priority = 0;
  std::optional<std::string> idempotency_key;
  std::int64_t delay_ms = 0;
  std::optional<std::string> metadata;
  std::optional<std::string> group;
  task_config config;

  bool operator==(const task_submission&) const = default;
};

/// Reads a submit body; throws `dort::error` (invalid_json, invalid_field, missing_field,
/// too_large) naming the field at fault.
task_submission read_submission(std::string_view payload, const task_config& defaults);

/// Throws `invalid_field` naming `field` unless `value` is 1 .. max_task_text_bytes bytes.
void check_task_text(std::string_view field, const std::string& value);

}  // namespace dort
