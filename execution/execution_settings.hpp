// An execution's settings: API.md's `PUT .../config` body and answer — the task defaults
// (`config`), `concurrency`, the per-group limits (`groups`), `retention` and `circuitBreaker` —
// with their ranges and defaults. The execution stores them as the same JSON (key `c`), so that
// reading them back is the same merge as a `PUT`, and settings stored by an older version (with
// fewer fields) read as those fields over the defaults.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actors/json_writer.hpp"
#include "execution/task_config.hpp"
#include "execution/task_record.hpp"

namespace dort {

/// Bounds on each group separately (API.md "Semantics"); nothing means no limit.
struct group_limits {
  /// Attempts of one group running at once.
  std::optional<std::int64_t> concurrency;
  /// Starts of one group per sliding window.
  std::optional<dort::rate_limit> rate_limit;
  /// Tasks of one group pending or rate_limited.
  std::optional<std::int64_t> max_queued;

  bool operator==(const group_limits&) const = default;
  bool any() const noexcept { return concurrency || rate_limit || max_queued; }
};

/// How long finished tasks are kept after their `completedAt` (API.md "Retention and purge").
struct retention_policy {
  std::int64_t completed_ms = 604'800'000;  // 7 days: completed and cancelled tasks
  std::int64_t failed_ms = 2'592'000'000;   // 30 days: failed tasks

  bool operator==(const retention_policy&) const = default;
  /// How long a task that ended in `status` (a final one) is kept.
  std::int64_t keep_ms(task_status status) const noexcept {
    return status == task_status::failed ? failed_ms : completed_ms;
  }
};

/// When the circuit of an `http` host opens, and for how long (API.md "Circuit breaker").
struct circuit_breaker_policy {
  std::int64_t failure_threshold = 5;
  std::int64_t open_ms = 30'000;

  bool operator==(const circuit_breaker_policy&) const = default;
};

struct execution_settings {
  task_config defaults;
  std::int64_t concurrency = default_concurrency;
  group_limits groups;
  retention_policy retention;
  /// Nothing when the circuit breaker is turned off (`"circuitBreaker": null`).
  std::optional<circuit_breaker_policy> circuit_breaker = circuit_breaker_policy{};

  bool operator==(const execution_settings&) const = default;
};

/// The longest retention (API.md: 0 … 315,360,000,000 ms, ten years).
inline constexpr std::int64_t max_retention_ms = 315'360'000'000;

/// Merges a `PUT .../config` body into `settings`: each object given replaces the fields it
/// names (`config` field by field, its `rateLimit` as a whole; `groups`' and `circuitBreaker`'s
/// fields may be null to remove a limit or turn the breaker off). Throws `dort::error`
/// (invalid_field, naming the field at fault) and leaves `settings` unchanged on error.
void merge_settings(execution_settings& settings, std::string_view json);

/// Writes `settings` in the shape of the `PUT` answer: every field, defaults included.
void write_settings(json_writer& out, const execution_settings& settings);

/// `write_settings` as a string.
std::string settings_json(const execution_settings& settings);

}  // namespace dort
