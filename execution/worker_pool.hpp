// Threads that run blocking task handlers, so that a handler which computes or blocks never
// holds an object's mailbox or a CAF scheduler thread. Work runs in submission order on the
// first free thread; the destructor finishes the queued work and joins.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dort {

class worker_pool {
 public:
  explicit worker_pool(std::size_t threads);
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;
  ~worker_pool();

  /// Queues `work`; it must not throw (handlers are wrapped by the task layer).
  void post(std::function<void()> work);

  /// Returns whether no work is queued or running (tests wait for an idle runtime with it).
  bool idle() const;

 private:
  void run();

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace dort
