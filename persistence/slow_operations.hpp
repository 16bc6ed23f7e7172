// Storage operations that took longer than `slow_operation_threshold` — a write transaction, a
// sync, a growth of the LMDB map — told to whoever watches for stalls (`dort serve` logs them
// at debug level), so that a periodic stall in a latency figure can be matched with its cause.
// The sink runs on the thread that waited (the writer, mostly): it must be quick and
// thread-safe. Without one, an operation costs one test of an empty std::function.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

namespace dort {

inline constexpr std::chrono::milliseconds slow_operation_threshold{10};

struct slow_operation {
  std::string_view what;  ///< "commit", "sync" or "map_growth"
  std::chrono::nanoseconds took;
  std::size_t objects = 0;   ///< objects whose writes a commit carried
  std::uint64_t writes = 0;  ///< key writes of a commit
};

using slow_operation_sink = std::function<void(const slow_operation&)>;

/// Tells `sink` of the operation if it took at least the threshold.
inline void report_if_slow(const slow_operation_sink& sink, slow_operation op) {
  if (sink && op.took >= slow_operation_threshold) sink(op);
}

}  // namespace dort
