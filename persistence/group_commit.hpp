// The group-commit writer: one thread that commits the queued writes of many objects in one LMDB
// write transaction, then reports to each object that its writes are durable.
// Guarantees: writes of one object commit in the order they were appended; a completion for
// `seq` means every write up to `seq` is durable in the environment's durability mode; a failed
// transaction fails every object in it and poisons their queues, except when the database is full:
// then the batch is committed in halves, down to single objects, and only those that do not fit
// fail. In `strict` mode a batch's completions wait for the sync that follows it (the next batch's
// commit, or an explicit sync when nothing else is waiting), which is what makes a commit cost one
// fdatasync instead of two. Completions of one object arrive in its order: when a commit fails,
// the earlier batches still waiting for their sync are synced and released first, as successes.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "persistence/commit_faults.hpp"
#include "persistence/commit_queue.hpp"
#include "persistence/environment.hpp"
#include "persistence/latency_histogram.hpp"

namespace dort {

class group_commit {
 public:
  /// Most object queues committed in one transaction; the rest wait for the next one.
  static constexpr std::size_t max_queues_per_commit = 8192;
  /// A commit that took longer than this (strict mode) is synced at once rather than by the
  /// next commit: an fdatasync costs ~0.15 ms on this machine (PLATFORM_NOTES), so beyond a few
  /// of them the wait for the next commit costs more latency than the sync it saves.
  static constexpr std::int64_t sync_now_after_commit_ns = 1'000'000;

  /// Starts the writer thread on `env`, which must outlive this object; `faults` (tests only)
  /// is asked before every transaction and sync.
  explicit group_commit(environment& env, std::shared_ptr<commit_faults> faults = nullptr);
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

  /// Returns the distribution of commit times.
  latency_histogram::snapshot commit_times() const { return commit_times_.read(); }

 private:
  struct taken {
    std::shared_ptr<commit_queue> queue;
    std::uint64_t last_seq;
  };

  void run();
  void commit(std::vector<std::shared_ptr<commit_queue>>& ready);
  /// Commits `batch` in one transaction, or, if it does not fit, each half of it the same way;
  /// the queues of a part that fails otherwise (or of one object that does not fit) are poisoned
  /// and released with the failure. Moves what was committed to `done`.
  void commit_or_split(std::vector<taken>& batch, std::vector<commit_queue::batch>& contents,
                       std::vector<taken>& done);
  /// Writes `contents` (of the queues in `batch`, same order) in one transaction and counts it;
  /// throws what the environment throws, having written nothing.
  void write(const std::vector<taken>& batch, const std::vector<commit_queue::batch>& contents);
  /// Releases `batch`, now committed: at once in relaxed mode, else after the next sync.
  void committed(std::vector<taken>& batch);
  void release(std::vector<taken>& done, const error* failure);
  void sync_and_release_awaiting();

  /// Fails `what` (a commit or a sync) if the injector says so.
  void inject(commit_faults::action what) const;

  environment& env_;
  const std::shared_ptr<commit_faults> faults_;
  std::mutex mutex_;
  std::condition_variable wakeup_;
  std::vector<std::shared_ptr<commit_queue>> submitted_;
  bool stopping_ = false;
  bool writer_waiting_ = false;
  /// Committed, data synced, meta page not yet synced (strict mode only).
  std::vector<taken> awaiting_sync_;
  /// How long the last transaction took (writer thread only).
  std::int64_t last_commit_ns_ = 0;
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> writes_{0};
  std::atomic<std::uint64_t> commit_ns_{0};
  latency_histogram commit_times_;
  std::thread thread_;
};

}  // namespace dort
