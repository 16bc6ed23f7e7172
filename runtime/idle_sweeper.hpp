// Asks the live objects that have had no message for `idle_timeout`, at a fixed interval, whether
// they may leave memory; each decides by itself (it knows what it still waits for). Objects that
// were active recently are skipped by reading their activity stamps, so a sweep over 100,000 busy
// objects sends no message at all.
// One thread for the whole runtime instead of one timer per activation: arming a CAF timer wakes
// CAF's clock thread, which cost more than the activation itself when objects come and go fast.
// An object is therefore evicted between `idle_timeout` and `idle_timeout + interval` after its
// last message.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "runtime/directory.hpp"

namespace dort {

class idle_sweeper {
 public:
  /// Sweeps `objects` every `interval` until destroyed.
  idle_sweeper(directory& objects, std::chrono::milliseconds idle_timeout,
               std::chrono::milliseconds interval);
  idle_sweeper(const idle_sweeper&) = delete;
  idle_sweeper& operator=(const idle_sweeper&) = delete;
  ~idle_sweeper();

 private:
  void run();

  directory& objects_;
  const std::chrono::milliseconds idle_timeout_;
  const std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable stop_requested_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dort
