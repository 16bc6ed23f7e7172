// The circuits of one execution's `http` calls, one per host (scheme, host and port), as
// API.md's "Circuit breaker for http tasks" says: `failureThreshold` consecutive retryable
// failures open a host's circuit for `openMs`, during which its calls are refused without being
// made; then one call is let through (the trial): an answer closes the circuit, a retryable
// failure opens it again. State lives in memory only (a restart closes every circuit), bounded
// by the hosts that failed lately. Not thread-safe: the execution's handlers drive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "execution/execution_settings.hpp"

namespace dort {

class circuit_breaker {
 public:
  /// Hosts kept at most; past it, the closed ones are forgotten (their failure counts restart).
  static constexpr std::size_t max_hosts = 10'000;

  /// Whether task `task_id` may call `host` at `now`: always while the circuit is closed; while
  /// it is open, only once `open_ms` has passed and no trial is in flight (the caller is then
  /// the trial).
  bool admit(const std::string& host, const std::string& task_id, std::int64_t now);

  /// A call of `task_id` to `host` got an answer (2xx, or a permanent 4xx): the circuit closes.
  void answered(const std::string& host);

  /// A call of `task_id` to `host` failed retryably at `now`.
  void failed(const std::string& host, const std::string& task_id, std::int64_t now,
              const circuit_breaker_policy& policy);

  /// The call of `task_id` ended without a result (cancelled): if it was a trial, the next call
  /// to its host is.
  void abandoned(const std::string& task_id);

  /// Forgets every trial in flight (all attempts were abandoned).
  void abandon_trials();

  /// Forgets every circuit (the breaker was turned off).
  void clear() {
    hosts_.clear();
    open_ = 0;
  }

  /// Circuits open now (a trial in flight counts as open).
  std::int64_t open_count() const noexcept { return open_; }

 private:
  struct circuit {
    std::int64_t failures = 0;              ///< consecutive retryable failures while closed
    std::optional<std::int64_t> open_until;  ///< set while the circuit is open
    std::optional<std::string> trial;        ///< the task whose call is the trial
  };

  void make_room();

  std::unordered_map<std::string, circuit> hosts_;
  std::int64_t open_ = 0;
};

}  // namespace dort
