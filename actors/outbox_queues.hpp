// The undelivered durable sends of one sender, in memory: a queue per receiver, of which only
// the head is ever in flight, so a receiver applies one sender's sends in order and a single
// high-water mark per (receiver, sender) tells it what it has already applied. Failed deliveries
// of a receiver back off (capped); the other receivers go on.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>

#include "actors/durable_send_records.hpp"

namespace dort {

class outbox_queues {
 public:
  /// The first retry waits this long; each further failure doubles it, up to `max_backoff`.
  static constexpr std::chrono::milliseconds first_backoff{50};
  static constexpr std::chrono::milliseconds max_backoff{5'000};

  /// Queues `entry` (durable now); returns whether its receiver had nothing queued, so that the
  /// caller sends it at once.
  bool add(outbox_entry entry) {
    auto& q = queues_[entry.to];
    q.entries.push_back(std::move(entry));
    ++size_;
    return q.entries.size() == 1;
  }

  /// Returns the send to deliver next to `to`, or null.
  const outbox_entry* head(const object_id& to) const {
    auto it = queues_.find(to);
    return it == queues_.end() || it->second.entries.empty() ? nullptr
                                                             : &it->second.entries.front();
  }

  /// Forgets the delivered head of `to` (if it is `seq`); returns whether it was.
  bool delivered(const object_id& to, std::uint64_t seq) {
    auto it = queues_.find(to);
    if (it == queues_.end() || it->second.entries.empty() ||
        it->second.entries.front().seq != seq)
      return false;
    it->second.entries.pop_front();
    --size_;
    if (it->second.entries.empty()) queues_.erase(it);
    else it->second.failures = 0;
    return true;
  }

  /// Counts a failed delivery to `to`; returns how long to wait before the next try.
  std::chrono::milliseconds failed(const object_id& to) {
    auto& q = queues_[to];
    auto wait = first_backoff * (std::int64_t{1} << std::min<std::uint32_t>(q.failures, 16));
    ++q.failures;
    return std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(max_backoff));
  }

  /// Returns the receivers that have sends queued.
  std::vector<object_id> receivers() const {
    std::vector<object_id> out;
    for (const auto& [to, q] : queues_) out.push_back(to);
    return out;
  }

  /// Undelivered sends in all.
  std::size_t size() const noexcept { return size_; }

  void clear() {
    queues_.clear();
    size_ = 0;
  }

 private:
  struct queue {
    std::deque<outbox_entry> entries;
    std::uint32_t failures = 0;
  };

  std::map<object_id, queue> queues_;
  std::size_t size_ = 0;
};

}  // namespace dort
