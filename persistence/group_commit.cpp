#include "persistence/group_commit.hpp"

#include <chrono>

#include "persistence/key_encoding.hpp"

namespace dort {

group_commit::group_commit(environment& env) : env_(env) {
  thread_ = std::thread{[this] { run(); }};
  if (env_.mode() == durability::strict) syncer_ = std::thread{[this] { run_syncer(); }};
}

group_commit::~group_commit() {
  {
    std::lock_guard guard{mutex_};
    stopping_ = true;
  }
  wakeup_.notify_one();
  thread_.join();  // commits everything submitted
  if (syncer_.joinable()) {
    {
      std::lock_guard guard{sync_mutex_};
      syncer_stopping_ = true;
    }
    sync_wakeup_.notify_one();
    syncer_.join();  // syncs and releases everything committed
  }
}

void group_commit::submit(std::shared_ptr<commit_queue> queue) {
  bool wake;
  {
    std::lock_guard guard{mutex_};
    submitted_.push_back(std::move(queue));
    wake = writer_waiting_;
  }
  if (wake) wakeup_.notify_one();
}

void group_commit::run() {
  std::vector<std::shared_ptr<commit_queue>> ready;
  for (;;) {
    {
      std::unique_lock lock{mutex_};
      if (submitted_.empty() && ready.empty()) {
        if (stopping_) return;
        writer_waiting_ = true;
        wakeup_.wait(lock, [this] { return !submitted_.empty() || stopping_; });
        writer_waiting_ = false;
      }
      ready.insert(ready.end(), std::make_move_iterator(submitted_.begin()),
                   std::make_move_iterator(submitted_.end()));
      submitted_.clear();
    }
    if (!ready.empty()) commit(ready);
  }
}

void group_commit::commit(std::vector<std::shared_ptr<commit_queue>>& ready) {
  std::size_t count = std::min(ready.size(), max_queues_per_commit);
  std::vector<taken> batch;
  std::vector<commit_queue::batch> contents;
  batch.reserve(count);
  contents.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto content = ready[i]->take();
    if (content.poisoned) {
      static const error discarded{errc::storage_failure,
                                   "an earlier commit of this object failed"};
      ready[i]->complete(content.last_seq, &discarded);
      continue;
    }
    batch.push_back(taken{std::move(ready[i]), content.last_seq});
    contents.push_back(std::move(content));
  }
  ready.erase(ready.begin(), ready.begin() + static_cast<std::ptrdiff_t>(count));
  if (batch.empty()) return;

  std::uint64_t writes = 0;
  auto started = std::chrono::steady_clock::now();
  try {
    env_.write([&](write_txn& txn) {
      writes = 0;
      std::string key;
      for (std::size_t i = 0; i < batch.size(); ++i) {
        const auto& id = batch[i].queue->id();
        const auto& content = contents[i];
        if (content.catalogue) {
          txn.put(env_.data_db(), catalogue_key(id), *content.catalogue);
          ++writes;
        }
        for (const auto& [user_key, value] : content.writes) {
          encode_data_key(id, user_key, key);
          if (value)
            txn.put(env_.data_db(), key, *value);
          else
            txn.del(env_.data_db(), key);
          ++writes;
        }
      }
    });
  } catch (const error& failure) {
    for (auto& t : batch) t.queue->poison();
    release(batch, &failure);
    return;
  }
  auto elapsed = std::chrono::steady_clock::now() - started;
  commit_ns_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count(),
                       std::memory_order_relaxed);
  commits_.fetch_add(1, std::memory_order_relaxed);
  writes_.fetch_add(writes, std::memory_order_relaxed);
  if (env_.mode() == durability::relaxed) {
    release(batch, nullptr);
    return;
  }
  hand_to_syncer(++commit_no_, std::move(batch));
}

void group_commit::hand_to_syncer(std::uint64_t commit_no, std::vector<taken> batch) {
  // This commit's data sync also carried the meta pages of the commits before it to disk.
  std::vector<taken> durable;
  {
    std::lock_guard guard{sync_mutex_};
    while (!unsynced_.empty() && unsynced_.front().commit_no < commit_no) {
      auto& earlier = unsynced_.front().batch;
      durable.insert(durable.end(), std::make_move_iterator(earlier.begin()),
                     std::make_move_iterator(earlier.end()));
      unsynced_.pop_front();
    }
    unsynced_.push_back(unsynced{commit_no, std::move(batch)});
  }
  sync_wakeup_.notify_one();
  release(durable, nullptr);
}

void group_commit::run_syncer() {
  for (;;) {
    std::uint64_t target;
    {
      std::unique_lock lock{sync_mutex_};
      sync_wakeup_.wait(lock, [this] { return !unsynced_.empty() || syncer_stopping_; });
      if (unsynced_.empty()) return;
      target = unsynced_.back().commit_no;
    }
    // Every commit up to `target` has written its meta page; this sync carries them to disk.
    std::optional<error> failure;
    try {
      env_.sync();
    } catch (const error& e) {
      failure = e;
    }
    std::vector<taken> done;
    {
      std::lock_guard guard{sync_mutex_};
      while (!unsynced_.empty() && unsynced_.front().commit_no <= target) {
        auto& batch = unsynced_.front().batch;
        done.insert(done.end(), std::make_move_iterator(batch.begin()),
                    std::make_move_iterator(batch.end()));
        unsynced_.pop_front();
      }
    }
    if (failure)
      for (auto& t : done) t.queue->poison();
    release(done, failure ? &*failure : nullptr);
  }
}

void group_commit::release(std::vector<taken>& done, const error* failure) {
  for (auto& t : done) t.queue->complete(t.last_seq, failure);
  done.clear();
}

}  // namespace dort
