// Process-wide task counters for the server's /metrics (API.md's dort_tasks_* metrics). The
// executions update them once a state change is durable, so a change whose message failed is
// never counted. The gauges count changes seen since the process started: tasks that were
// running or queued in executions not yet activated after a restart are not in them until
// those executions run again.
#pragma once

#include <atomic>
#include <cstdint>

namespace dort {

struct task_metrics {
  std::atomic<std::uint64_t> submitted{0};     ///< tasks created (idempotent repeats not counted)
  std::atomic<std::uint64_t> completed{0};     ///< tasks that reached completed
  std::atomic<std::uint64_t> failed{0};        ///< tasks that reached failed
  std::atomic<std::uint64_t> retries{0};       ///< retries scheduled after a failed attempt
  std::atomic<std::uint64_t> rate_limited{0};  ///< times a task was held back by its rate limit
  std::atomic<std::int64_t> running{0};        ///< tasks running now
  std::atomic<std::int64_t> queued{0};         ///< tasks pending or rate_limited now
};

}  // namespace dort
