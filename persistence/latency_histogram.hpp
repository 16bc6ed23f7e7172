// A histogram of durations with fixed buckets, updated with relaxed atomics from any thread and
// read as a snapshot for metrics (Prometheus histograms: cumulative bucket counts, sum, count).
// Used for commit times and alarm lateness; the buckets span 100 µs to 10 s.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace dort {

class latency_histogram {
 public:
  /// Upper bounds of the buckets in seconds (a last, unbounded bucket follows).
  static constexpr std::array<double, 16> bounds_s{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                   0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                   1.0,    2.5,     5.0,    10.0};

  struct snapshot {
    /// Observations ≤ bounds_s[i], cumulative; the last entry is all of them (+Inf).
    std::array<std::uint64_t, bounds_s.size() + 1> cumulative{};
    double sum_s = 0;
    std::uint64_t count = 0;
  };

  void observe_ns(std::int64_t ns) {
    if (ns < 0) ns = 0;
    const double s = static_cast<double>(ns) / 1e9;
    std::size_t i = 0;
    while (i < bounds_s.size() && s > bounds_s[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
  }

  snapshot read() const {
    snapshot out;
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      running += buckets_[i].load(std::memory_order_relaxed);
      out.cumulative[i] = running;
    }
    out.count = running;
    out.sum_s = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
    return out;
  }

 private:
  std::array<std::atomic<std::uint64_t>, bounds_s.size() + 1> buckets_{};
  std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace dort
