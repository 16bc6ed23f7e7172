#include "alarms/retry_policy.hpp"

#include <algorithm>
#include <cmath>

namespace dort {

std::optional<std::int64_t> retry_policy::base_delay_ms(std::uint32_t retry) const {
  if (retry == 0 || retry > max_retries) return std::nullopt;
  // In floating point, so that large retry numbers saturate at the cap instead of overflowing.
  double delay = static_cast<double>(initial_delay_ms) * std::pow(multiplier, retry - 1.0);
  return static_cast<std::int64_t>(std::min(delay, static_cast<double>(max_delay_ms)));
}

std::optional<std::int64_t> retry_policy::delay_ms(std::uint32_t retry,
                                                   std::mt19937_64& random) const {
  auto base = base_delay_ms(retry);
  if (!base) return std::nullopt;
  auto max_jitter = static_cast<std::int64_t>(static_cast<double>(*base) * jitter_fraction);
  std::uniform_int_distribution<std::int64_t> jitter{0, std::max<std::int64_t>(max_jitter, 0)};
  return *base + jitter(random);
}

}  // namespace dort
