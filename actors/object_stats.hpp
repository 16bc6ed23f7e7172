// Counters of the object layer, shared by all object actors of a runtime (relaxed atomics: they
// are read for metrics and benchmarks, never to decide anything).
#pragma once

#include <atomic>
#include <cstdint>

#include "persistence/latency_histogram.hpp"

namespace dort {

struct object_stats {
  /// Objects in memory now.
  std::atomic<std::int64_t> active{0};
  /// Activations since start.
  std::atomic<std::uint64_t> activations{0};
  /// Evictions after the idle timeout since start.
  std::atomic<std::uint64_t> evictions{0};
  /// Messages handled by objects (requests and alarm runs).
  std::atomic<std::uint64_t> messages{0};
  /// Alarm handler runs, retries included.
  std::atomic<std::uint64_t> alarm_runs{0};
  /// Alarm handler runs that threw.
  std::atomic<std::uint64_t> alarm_failures{0};
  /// Alarms dropped after their last retry failed.
  std::atomic<std::uint64_t> alarms_dropped{0};
  /// Durable sends written into outboxes (by messages whose writes then committed or not).
  std::atomic<std::uint64_t> durable_sends{0};
  /// Durable sends a receiver applied (its handler ran and committed).
  std::atomic<std::uint64_t> durable_applied{0};
  /// Deliveries a receiver turned away as already applied (redeliveries).
  std::atomic<std::uint64_t> durable_duplicates{0};
  /// Deliveries that failed and wait for their retry.
  std::atomic<std::uint64_t> durable_retries{0};
  /// Handler start − scheduled time, per alarm run.
  latency_histogram alarm_lateness;
};

}  // namespace dort
