#include "execution/timer_service.hpp"

#include <limits>
#include <vector>

namespace dort {

timer_service::timer_service(dort::clock& clock) : clock_(clock) {
  thread_ = std::thread{[this] { run(); }};
}

timer_service::~timer_service() {
  {
    std::lock_guard guard{mutex_};
    stopping_ = true;
  }
  clock_.wake();
  thread_.join();
}

timer_service::timer_id timer_service::schedule(std::int64_t when_ms, std::function<void()> fn) {
  timer_id id;
  bool earliest;
  {
    std::lock_guard guard{mutex_};
    id = next_id_++;
    earliest = timers_.empty() || when_ms < timers_.begin()->first.first;
    timers_.emplace(std::pair{when_ms, id}, std::move(fn));
    due_of_.emplace(id, when_ms);
  }
  if (earliest) clock_.wake();  // the thread may be waiting for a later time
  return id;
}

bool timer_service::cancel(timer_id id) {
  std::lock_guard guard{mutex_};
  auto it = due_of_.find(id);
  if (it == due_of_.end()) return false;
  timers_.erase({it->second, id});
  due_of_.erase(it);
  return true;
}

std::size_t timer_service::size() const {
  std::lock_guard guard{mutex_};
  return timers_.size();
}

void timer_service::run() {
  std::unique_lock lock{mutex_};
  std::vector<std::function<void()>> due;
  while (!stopping_) {
    auto ticket = clock_.wake_ticket();
    auto now = clock_.now_ms();
    while (!timers_.empty() && timers_.begin()->first.first <= now) {
      due_of_.erase(timers_.begin()->first.second);
      due.push_back(std::move(timers_.begin()->second));
      timers_.erase(timers_.begin());
    }
    if (!due.empty()) {
      lock.unlock();
      for (auto& fn : due) fn();
      due.clear();
      lock.lock();
      continue;
    }
    auto deadline =
        timers_.empty() ? std::numeric_limits<std::int64_t>::max() : timers_.begin()->first.first;
    lock.unlock();
    clock_.wait_until(deadline, ticket);
    lock.lock();
  }
}

}  // namespace dort
