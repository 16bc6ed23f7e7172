#include "execution/worker_pool.hpp"

#include <algorithm>

namespace dort {

worker_pool::worker_pool(std::size_t threads) {
  for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i)
    threads_.emplace_back([this] { run(); });
}

worker_pool::~worker_pool() {
  {
    std::lock_guard guard{mutex_};
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
}

void worker_pool::post(std::function<void()> work) {
  {
    std::lock_guard guard{mutex_};
    queue_.push_back(std::move(work));
  }
  ready_.notify_one();
}

bool worker_pool::idle() const {
  std::lock_guard guard{mutex_};
  return queue_.empty() && running_ == 0;
}

void worker_pool::run() {
  std::unique_lock lock{mutex_};
  for (;;) {
    ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left
    auto work = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    work();
    lock.lock();
    --running_;
  }
}

}  // namespace dort
