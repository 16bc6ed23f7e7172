// The group-commit writer: one thread that commits the queued writes of many objects in one LMDB
// write transaction, then reports to each object that its writes are durable.
// Guarantees: writes of one object commit in the order they were appended; a completion for
// `seq` means every write up to `seq` is durable in the environment's durability mode; a failed
// transaction fails every object in it and poisons their queues. In `strict` mode a commit syncs
// its data pages but not its meta page, so its completions wait for the next sync: the next
// commit's, or the syncer thread's, which runs beside the writer so that the writer never waits
// for a meta page. Completions of one object may therefore come out of order; a completion for
// `seq` covers every earlier one.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "persistence/commit_queue.hpp"
#include "persistence/environment.hpp"

namespace dort {

class group_commit {
 public:
  /// Most object queues committed in one transaction; the rest wait for the next one.
  static constexpr std::size_t max_queues_per_commit = 8192;

  /// Starts the writer (and, in strict mode, the syncer) thread on `env`, which must outlive
  /// this object.
  explicit group_commit(environment& env);
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;

  /// Commits everything submitted so far, then stops the thread.
  ~group_commit();

  /// Hands `queue` to the writer; call when `commit_queue::append` returned true.
  void submit(std::shared_ptr<commit_queue> queue);

  /// Returns the number of LMDB write transactions committed.
  std::uint64_t commits() const noexcept { return commits_.load(std::memory_order_relaxed); }

  /// Returns the number of puts and deletes those transactions made.
  std::uint64_t writes() const noexcept { return writes_.load(std::memory_order_relaxed); }

  /// Returns the total time spent committing (fsync included), in nanoseconds.
  std::uint64_t commit_ns() const noexcept { return commit_ns_.load(std::memory_order_relaxed); }

 private:
  struct taken {
    std::shared_ptr<commit_queue> queue;
    std::uint64_t last_seq;
  };

  /// A committed batch whose meta page is not yet known to be on disk.
  struct unsynced {
    std::uint64_t commit_no;
    std::vector<taken> batch;
  };

  void run();
  void run_syncer();
  void commit(std::vector<std::shared_ptr<commit_queue>>& ready);
  void hand_to_syncer(std::uint64_t commit_no, std::vector<taken> batch);
  void release(std::vector<taken>& done, const error* failure);

  environment& env_;
  std::mutex mutex_;
  std::condition_variable wakeup_;
  std::vector<std::shared_ptr<commit_queue>> submitted_;
  bool stopping_ = false;
  bool writer_waiting_ = false;
  std::uint64_t commit_no_ = 0;  // writer thread only
  std::mutex sync_mutex_;
  std::condition_variable sync_wakeup_;
  std::deque<unsynced> unsynced_;
  bool syncer_stopping_ = false;
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> writes_{0};
  std::atomic<std::uint64_t> commit_ns_{0};
  std::thread thread_;
  std::thread syncer_;
};

}  // namespace dort
