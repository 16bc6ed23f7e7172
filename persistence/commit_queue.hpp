// The writes of one object that wait for the group-commit writer, merged: a later write of a key
// replaces an earlier one, so a hot object costs the writer one put per key per commit, however
// many messages wrote it. The object thread appends; the writer thread takes. After a failed
// commit the queue is poisoned: everything appended later is discarded and reported failed, since
// it was computed on top of writes that never reached the disk.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "persistence/error.hpp"
#include "persistence/object_id.hpp"
#include "persistence/write_set.hpp"

namespace dort {

class commit_queue {
 public:
  /// Called on the writer thread once the writes of every message up to `seq` are durable
  /// (`failure` null) or were dropped (`failure` says why).
  using completion = std::function<void(std::uint64_t seq, const error* failure)>;

  /// What the writer takes in one go.
  struct batch {
    write_set writes;
    /// Writes to other databases, in the order they were made.
    raw_writes extra;
    /// The catalogue record (class NUL name) to store for this object, if not stored yet.
    std::optional<std::string> catalogue;
    std::uint64_t last_seq = 0;
    bool poisoned = false;
  };

  commit_queue(object_id id, completion on_done) : id_(id), on_done_(std::move(on_done)) {}

  /// Merges the writes of message `seq` (and the catalogue record, if any). Returns true when the
  /// queue was empty, i.e. when the caller must hand it to the writer.
  bool append(const write_set& writes, raw_writes extra, std::optional<std::string> catalogue,
              std::uint64_t seq) {
    std::lock_guard guard{mutex_};
    for (const auto& [key, value] : writes) pending_.writes.insert_or_assign(key, value);
    for (auto& w : extra) pending_.extra.push_back(std::move(w));
    if (catalogue) pending_.catalogue = std::move(catalogue);
    pending_.last_seq = seq;
    return !std::exchange(queued_, true);
  }

  /// Takes everything appended so far (writer thread).
  batch take() {
    std::lock_guard guard{mutex_};
    batch out = std::move(pending_);
    pending_ = batch{};
    out.poisoned = poisoned_;
    queued_ = false;
    return out;
  }

  /// Marks the queue failed: later batches are discarded (writer thread).
  void poison() {
    std::lock_guard guard{mutex_};
    poisoned_ = true;
  }

  /// Reports the outcome of the writes up to `seq` (writer thread).
  void complete(std::uint64_t seq, const error* failure) const { on_done_(seq, failure); }

  /// Returns the id of the object whose writes these are.
  const object_id& id() const noexcept { return id_; }

 private:
  const object_id id_;
  const completion on_done_;
  std::mutex mutex_;
  batch pending_;
  bool queued_ = false;
  bool poisoned_ = false;
};

}  // namespace dort
