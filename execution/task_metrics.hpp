// Process-wide task counters for the server's /metrics (API.md's dort_tasks_* metrics). The
// executions update them once a state change is durable, so a change whose message failed is
// never counted. The gauges (running, queued) start from each execution's stored counts the
// first time it loads in this process, then move with its changes; executions not yet loaded
// since a restart are not in them (the server wakes every execution at start: execution_waker).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_set>

namespace dort {

struct task_metrics {
  std::atomic<std::uint64_t> submitted{0};     ///< tasks created (idempotent repeats not counted)
  std::atomic<std::uint64_t> completed{0};     ///< tasks that reached completed
  std::atomic<std::uint64_t> failed{0};        ///< tasks that reached failed
  std::atomic<std::uint64_t> retries{0};       ///< retries scheduled after a failed attempt
  std::atomic<std::uint64_t> rate_limited{0};  ///< times a task was held back by its rate limit
  std::atomic<std::int64_t> running{0};        ///< tasks running now
  std::atomic<std::int64_t> queued{0};         ///< tasks pending or rate_limited now
  std::atomic<std::uint64_t> schedule_runs_skipped{0};  ///< schedule runs refused (queue full)
  std::atomic<std::int64_t> circuits_open{0};  ///< (execution, host) circuits open now
  std::atomic<std::uint64_t> workflows_created{0};    ///< workflows created
  std::atomic<std::uint64_t> workflows_completed{0};  ///< workflows that reached completed
  std::atomic<std::uint64_t> workflows_failed{0};     ///< workflows that reached failed
  std::atomic<std::int64_t> workflows_active{0};      ///< workflows running or waiting now

  /// Adds the stored counts of execution `id` to the gauges, once per process: a later load
  /// (after an eviction or a failed commit) adds nothing, since its changes move the gauges.
  void count_execution_once(const std::string& id, std::int64_t running_now,
                            std::int64_t queued_now, std::int64_t workflows_active_now = 0) {
    std::lock_guard guard{counted_mutex_};
    if (!counted_.insert(id).second) return;
    running += running_now;
    queued += queued_now;
    workflows_active += workflows_active_now;
  }

 private:
  std::mutex counted_mutex_;
  std::unordered_set<std::string> counted_;
};

}  // namespace dort
