#include "execution/circuit_breaker.hpp"

namespace dort {

bool circuit_breaker::admit(const std::string& host, const std::string& task_id,
                            std::int64_t now) {
  auto it = hosts_.find(host);
  if (it == hosts_.end() || !it->second.open_until) return true;  // closed
  auto& c = it->second;
  if (c.trial || now < *c.open_until) return false;
  c.trial = task_id;
  return true;
}

void circuit_breaker::answered(const std::string& host) {
  auto it = hosts_.find(host);
  if (it == hosts_.end()) return;
  if (it->second.open_until) --open_;
  hosts_.erase(it);
}

void circuit_breaker::failed(const std::string& host, const std::string& task_id,
                             std::int64_t now, const circuit_breaker_policy& policy) {
  auto [it, added] = hosts_.try_emplace(host);
  auto& c = it->second;
  if (c.open_until) {
    // Open already: only the trial's failure opens it anew; calls made before it opened and
    // failing now change nothing.
    if (c.trial == task_id) {
      c.trial.reset();
      c.open_until = now + policy.open_ms;
    }
    return;
  }
  if (++c.failures >= policy.failure_threshold) {
    c.open_until = now + policy.open_ms;
    ++open_;
  }
  if (added) make_room();
}

void circuit_breaker::abandoned(const std::string& task_id) {
  if (open_ == 0) return;  // no circuit open, so no trial
  for (auto& [host, c] : hosts_)
    if (c.trial == task_id) c.trial.reset();
}

void circuit_breaker::abandon_trials() {
  for (auto& [host, c] : hosts_) c.trial.reset();
}

void circuit_breaker::make_room() {
  if (hosts_.size() <= max_hosts) return;
  for (auto it = hosts_.begin(); it != hosts_.end();)
    it = it->second.open_until ? std::next(it) : hosts_.erase(it);
}

}  // namespace dort
