#include "runtime/idle_sweeper.hpp"

#include <caf/send.hpp>

#include "actors/messages.hpp"

namespace dort {

idle_sweeper::idle_sweeper(directory& objects, std::chrono::milliseconds idle_timeout,
                           std::chrono::milliseconds interval)
    : objects_(objects), idle_timeout_(idle_timeout), interval_(interval) {
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
    auto cutoff = activity_stamp::clock::now() - idle_timeout_;
    for (auto& actor : objects_.quiet_since(cutoff)) caf::anon_send(actor, evict_atom::value);
    lock.lock();
  }
}

}  // namespace dort
