// A scriptable `commit_faults` for tests: the next commits (and syncs) can be held until the test
// releases them, or failed, in the order the test plans them. Everything not planned proceeds.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <stdexcept>

#include "persistence/commit_faults.hpp"

namespace dort::test {

class fault_injector : public commit_faults {
 public:
  enum class plan { proceed, hold, fail, fail_full };

  /// The next commit not yet planned is held, failed or failed as full.
  void plan_commit(plan p) {
    std::lock_guard guard{mutex_};
    commits_.push_back(p);
  }

  /// The next explicit sync fails.
  void fail_next_sync() {
    std::lock_guard guard{mutex_};
    ++failing_syncs_;
  }

  /// Waits (at most 10 s) until a commit is held by the plan; throws if none comes.
  void wait_until_held() {
    std::unique_lock lock{mutex_};
    if (!changed_.wait_for(lock, std::chrono::seconds{10}, [&] { return holding_; }))
      throw std::runtime_error{"no commit was held"};
  }

  /// Lets the held commit go on (it proceeds).
  void release() {
    std::lock_guard guard{mutex_};
    released_ = true;
    changed_.notify_all();
  }

  /// Returns how many transactions the writer began (held, failed or made).
  std::size_t commits() {
    std::lock_guard guard{mutex_};
    return commits_seen_;
  }

  action before_commit(std::size_t) override {
    std::unique_lock lock{mutex_};
    ++commits_seen_;
    if (commits_.empty()) return action::proceed;
    auto p = commits_.front();
    commits_.pop_front();
    if (p == plan::proceed) return action::proceed;
    if (p == plan::fail) return action::fail;
    if (p == plan::fail_full) return action::fail_full;
    holding_ = true;
    released_ = false;
    changed_.notify_all();
    changed_.wait(lock, [&] { return released_; });
    holding_ = false;
    return action::proceed;
  }

  action before_sync() override {
    std::lock_guard guard{mutex_};
    if (failing_syncs_ == 0) return action::proceed;
    --failing_syncs_;
    return action::fail;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<plan> commits_;
  std::size_t failing_syncs_ = 0;
  std::size_t commits_seen_ = 0;
  bool holding_ = false;
  bool released_ = false;
};

}  // namespace dort::test
