#include "runtime/idle_sweeper.hpp"

#include <caf/send.hpp>

#include "actors/messages.hpp"

namespace dort {

idle_sweeper::idle_sweeper(directory& objects, std::chrono::milliseconds interval)
    : objects_(objects), interval_(interval) {
  thread_ = std::thread{[this] { run(); }};
}

idle_sweeper::~idle_sweeper() {
  {
    std::lock_guard guard{mutex_};
    stopping_ = true;
  }
  stop_requested_.notify_one();
  thread_.join();
}

void idle_sweeper::run() {
  std::unique_lock lock{mutex_};
  while (!stop_requested_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    for (auto& actor : objects_.all()) caf::anon_send(actor, evict_atom::value);
    lock.lock();
  }
}

}  // namespace dort
