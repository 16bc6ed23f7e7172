// Object storage without actors: an environment, the group-commit writer, and object stores whose
// messages the test finishes and waits for by hand.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

#include "persistence/environment.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/object_store.hpp"
#include "temp_dir.hpp"

namespace dort::test {

/// One object's store plus the wait for its commits.
class test_store {
 public:
  test_store(environment& env, group_commit& writer, std::string name, storage_limits limits = {})
      : store_(env, writer, object_id::from_name("test", name), "test", name, limits,
               [this](std::uint64_t generation, std::uint64_t seq, std::optional<error> failure) {
                 std::lock_guard guard{mutex_};
                 if (failure)
                   failure_ = failure;
                 else
                   done_seq_ = std::max(done_seq_, seq);
                 done_generation_ = generation;
                 changed_.notify_all();
               }) {}

  test_store(const test_store&) = delete;

  /// Waits for every handed-over write, so that no callback outlives this store.
  ~test_store() {
    std::unique_lock lock{mutex_};
    changed_.wait(lock, [&] { return done_seq_ >= store_.last_seq() || failure_; });
  }

  storage& view() { return store_.view(); }
  object_store& store() { return store_; }

  /// Ends the running message and waits until its writes are durable; throws what the commit
  /// failed with.
  void commit() { wait_durable(hand_over()); }

  /// Ends the running message and hands its writes to the writer without waiting for them.
  std::optional<std::uint64_t> hand_over() { return store_.finish_message(); }

  /// Waits until the writes handed over as `seq` are durable; throws what the commit failed with.
  void wait_durable(std::optional<std::uint64_t> seq) {
    if (!seq) return;
    std::unique_lock lock{mutex_};
    changed_.wait(lock, [&] { return done_seq_ >= *seq || failure_; });
    if (failure_) throw *failure_;
    store_.on_durable(done_generation_, *seq);
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t done_seq_ = 0;
  std::uint64_t done_generation_ = 0;
  std::optional<error> failure_;
  object_store store_;
};

struct store_fixture {
  explicit store_fixture(environment_options options = {}) : env(with_dir(std::move(options))) {}

  environment_options with_dir(environment_options options) {
    options.dir = dir.path();
    return options;
  }

  temp_dir dir;
  environment env;
  group_commit writer{env};
};

}  // namespace dort::test
