// When a failed alarm runs again: workerd's policy, which Cloudflare users know. The first retry
// comes `initial_delay_ms` after the failure, each next one `multiplier` times later, capped at
// `max_delay_ms`; each delay gets up to `jitter_fraction` of itself added at random, so that many
// alarms that failed together do not retry together. After `max_retries` retries the alarm is
// dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <random>

namespace dort {

struct retry_policy {
  /// Delay before the first retry: 2 s, as workerd.
  std::int64_t initial_delay_ms = 2'000;
  /// Growth of the delay per retry.
  double multiplier = 2.0;
  /// Longest delay before jitter: 1024 s, as workerd.
  std::int64_t max_delay_ms = 1'024'000;
  /// Largest share of a delay added as random jitter (25 %).
  double jitter_fraction = 0.25;
  /// Retries after the first run; 6, as workerd.
  std::uint32_t max_retries = 6;

  /// Returns the delay before the retry numbered `retry` (1 for the first retry) without
  /// jitter, or nothing once `retry` is past `max_retries`.
  std::optional<std::int64_t> base_delay_ms(std::uint32_t retry) const;

  /// Returns `base_delay_ms(retry)` plus jitter drawn from `random`, or nothing once exhausted.
  std::optional<std::int64_t> delay_ms(std::uint32_t retry, std::mt19937_64& random) const;
};

}  // namespace dort
