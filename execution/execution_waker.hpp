// Wakes every stored execution once after the runtime opens, in the background: each loads,
// counts its tasks into the process's gauges (task_metrics), takes back attempts a crash cut
// short and goes on with tasks that are due, without waiting for its backstop alarm. At most
// `max_inflight` wake-ups are outstanding at once, so a million executions do not all wake
// together; woken executions are evicted again by the idle sweeper. Stops early when destroyed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>

namespace dort {

class runtime;

class execution_waker {
 public:
  static constexpr std::size_t default_max_inflight = 64;

  explicit execution_waker(runtime& rt, std::size_t max_inflight = default_max_inflight);
  execution_waker(const execution_waker&) = delete;
  execution_waker& operator=(const execution_waker&) = delete;

  /// Stops the walk and waits for the wake-ups sent.
  ~execution_waker();

  /// Returns the number of executions woken so far.
  std::size_t woken() const noexcept { return woken_.load(std::memory_order_acquire); }

  /// Waits until the walk has ended (every execution woken, or stopped).
  void wait_done();

 private:
  void run(runtime& rt, std::size_t max_inflight);

  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t inflight_ = 0;
  bool stopping_ = false;
  bool done_ = false;
  std::atomic<std::size_t> woken_{0};
  std::thread thread_;
};

}  // namespace dort
