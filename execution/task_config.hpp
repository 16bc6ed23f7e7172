// How a task is retried and limited: API.md's `config` object, with its ranges and defaults.
// An execution keeps defaults; a submitted task's `config` overrides them field by field, and
// the task stores the effective result.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

#include "actors/json_writer.hpp"

namespace dort {

/// At most `max_executions` starts of tasks of one name in any `window_ms` (sliding window).
struct rate_limit {
  std::int64_t max_executions;
  std::int64_t window_ms;
  bool operator==(const rate_limit&) const = default;
};

struct task_config {
  std::int64_t max_retries = 3;
  std::int64_t initial_retry_delay_ms = 1'000;
  std::int64_t max_retry_delay_ms = 60'000;
  double backoff_multiplier = 2.0;
  std::int64_t timeout_ms = 30'000;
  std::optional<dort::rate_limit> rate_limit;

  bool operator==(const task_config&) const = default;

  /// Delay before the `retry`-th retry (1 for the first): min(initial × multiplier^(retry−1),
  /// max), without jitter.
  std::int64_t base_retry_delay_ms(std::int64_t retry) const;

  /// `base_retry_delay_ms(retry)` plus 0–25 % jitter drawn from `random`.
  std::int64_t retry_delay_ms(std::int64_t retry, std::mt19937_64& random) const;
};

/// Attempts of one execution running at once: default and range (API.md).
constexpr std::int64_t default_concurrency = 16;
constexpr std::int64_t max_concurrency = 1'024;

/// Reads a rate limit object (`{"maxExecutions", "windowMs"}`, both required); errors name
/// fields below `path`.
dort::rate_limit read_rate_limit(std::string_view json, std::string_view path);

/// Merges the fields present in the JSON object `json` into `config`, checking types, ranges and
/// unknown fields; errors name fields below `path` ("config.maxRetries"). `rateLimit` replaces
/// the limit as a whole and `null` removes it. On error `config` is unchanged.
void merge_config(task_config& config, std::string_view json, std::string_view path = "config");

/// Writes `config` as API.md's config object (every field; `rateLimit` only when set).
void write_config(json_writer& out, const task_config& config);

}  // namespace dort
