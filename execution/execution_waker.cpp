#include "execution/execution_waker.hpp"

#include "execution/execution_object.hpp"
#include "runtime/runtime.hpp"

namespace dort {

execution_waker::execution_waker(runtime& rt, std::size_t max_inflight)
    : thread_([this, &rt, max_inflight] { run(rt, max_inflight); }) {}

execution_waker::~execution_waker() {
  {
    std::lock_guard guard{mutex_};
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void execution_waker::wait_done() {
  std::unique_lock lock{mutex_};
  changed_.wait(lock, [this] { return done_; });
}

void execution_waker::run(runtime& rt, std::size_t max_inflight) {
  try {
    rt.for_each_object(execution_object::class_name, [&](const std::string& name) {
      {
        std::unique_lock lock{mutex_};
        changed_.wait(lock, [&] { return stopping_ || inflight_ < max_inflight; });
        if (stopping_) return false;
        ++inflight_;
      }
      // `metrics` writes nothing: the message only makes the execution load.
      rt.get(execution_object::class_name, name).send("metrics", "", [this](auto) {
        woken_.fetch_add(1, std::memory_order_release);
        // Notified under the lock: once it is released the waker may be gone.
        std::lock_guard guard{mutex_};
        --inflight_;
        changed_.notify_all();
      });
      return true;
    });
  } catch (const std::exception&) {
    // Storage failed: the executions wake by themselves at their next message or alarm.
  }
  std::unique_lock lock{mutex_};
  changed_.wait(lock, [this] { return inflight_ == 0; });
  done_ = true;
  changed_.notify_all();
}

}  // namespace dort
