#include "persistence/group_commit.hpp"

#include <chrono>

#include "persistence/key_encoding.hpp"

namespace dort {

group_commit::group_commit(environment& env, std::shared_ptr<commit_faults> faults)
    : env_(env), faults_(std::move(faults)) {
  thread_ = std::thread{[this] { run(); }};
}

group_commit::~group_commit() {
  {
    std::lock_guard guard{mutex_};
    stopping_ = true;
  }
  wakeup_.notify_one();
  thread_.join();
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
      if (submitted_.empty() && ready.empty() && awaiting_sync_.empty()) {
        if (stopping_) return;
        writer_waiting_ = true;
        wakeup_.wait(lock, [this] { return !submitted_.empty() || stopping_; });
        writer_waiting_ = false;
      }
      ready.insert(ready.end(), std::make_move_iterator(submitted_.begin()),
                   std::make_move_iterator(submitted_.end()));
      submitted_.clear();
    }
    if (ready.empty()) {
      // Nothing new to commit whose sync would carry the last batch to disk: sync now.
      sync_and_release_awaiting();
      continue;
    }
    commit(ready);
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

  std::vector<taken> done;
  commit_or_split(batch, contents, done);
  if (done.empty())
    sync_and_release_awaiting();  // no commit of its own will carry the last batch's meta page
  else
    committed(done);
}

void group_commit::commit_or_split(std::vector<taken>& batch,
                                   std::vector<commit_queue::batch>& contents,
                                   std::vector<taken>& done) {
  try {
    write(batch, contents);
  } catch (const error& failure) {
    if (failure.code() == errc::storage_full && batch.size() > 1) {
      // One object's writes must not fail the others near the size limit: the halves are
      // committed apart, down to single objects, so that only the writes that do not fit fail.
      const auto half = static_cast<std::ptrdiff_t>(batch.size() / 2);
      std::vector<taken> second{std::make_move_iterator(batch.begin() + half),
                                std::make_move_iterator(batch.end())};
      std::vector<commit_queue::batch> second_contents{
          std::make_move_iterator(contents.begin() + half), std::make_move_iterator(contents.end())};
      batch.resize(static_cast<std::size_t>(half));
      contents.resize(static_cast<std::size_t>(half));
      commit_or_split(batch, contents, done);
      commit_or_split(second, second_contents, done);
      return;
    }
    // Earlier batches of these objects may wait for their sync: they are durable once it is
    // done, and must reach their objects as successes before this failure does.
    sync_and_release_awaiting();
    for (auto& t : batch) t.queue->poison();
    release(batch, &failure);
    return;
  }
  if (done.empty())
    done = std::move(batch);  // the usual case: the whole batch in one transaction
  else
    for (auto& t : batch) done.push_back(std::move(t));
}

void group_commit::write(const std::vector<taken>& batch,
                         const std::vector<commit_queue::batch>& contents) {
  // A slow commit is timed with what the test seam made it wait (a slow disk's stand-in).
  const auto asked = std::chrono::steady_clock::now();
  if (faults_) inject(faults_->before_commit(batch.size()));
  std::uint64_t writes = 0;
  auto started = std::chrono::steady_clock::now();
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
      for (const auto& w : content.extra) {
        if (w.value)
          txn.put(w.db, w.key, *w.value);
        else
          txn.del(w.db, w.key);
        ++writes;
      }
    }
  });
  auto elapsed = std::chrono::steady_clock::now() - started;
  const auto elapsed_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
  commit_ns_.fetch_add(static_cast<std::uint64_t>(elapsed_ns), std::memory_order_relaxed);
  commit_times_.observe_ns(elapsed_ns);
  last_commit_ns_ = elapsed_ns;
  commits_.fetch_add(1, std::memory_order_relaxed);
  writes_.fetch_add(writes, std::memory_order_relaxed);
  report_if_slow(env_.on_slow_operation(),
                 {"commit", std::chrono::steady_clock::now() - asked, batch.size(), writes});
}

void group_commit::committed(std::vector<taken>& batch) {
  if (env_.mode() == durability::relaxed) {
    release(batch, nullptr);
    return;
  }
  // This commit's data sync also carried the previous batch's meta page to disk.
  release(awaiting_sync_, nullptr);
  awaiting_sync_ = std::move(batch);
  // Waiting for the next commit to carry this one's meta page saves a sync, but under load the
  // next commit takes as long as this one did: past a few syncs' worth, sync now instead, so
  // that replies (and attempts waiting for their start to be durable) wait one commit, not two.
  if (last_commit_ns_ > sync_now_after_commit_ns) sync_and_release_awaiting();
}

void group_commit::sync_and_release_awaiting() {
  if (awaiting_sync_.empty()) return;
  try {
    const auto asked = std::chrono::steady_clock::now();
    if (faults_) inject(faults_->before_sync());
    env_.sync();
    report_if_slow(env_.on_slow_operation(),
                   {"sync", std::chrono::steady_clock::now() - asked, awaiting_sync_.size()});
  } catch (const error& failure) {
    for (auto& t : awaiting_sync_) t.queue->poison();
    release(awaiting_sync_, &failure);
    return;
  }
  release(awaiting_sync_, nullptr);
}

void group_commit::inject(commit_faults::action what) const {
  if (what == commit_faults::action::fail)
    throw error{errc::storage_failure, "injected failure (test)"};
  if (what == commit_faults::action::fail_full)
    throw error{errc::storage_full, "injected full database (test)"};
}

void group_commit::release(std::vector<taken>& done, const error* failure) {
  for (auto& t : done) t.queue->complete(t.last_seq, failure);
  done.clear();
}

}  // namespace dort
