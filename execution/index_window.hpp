// One ordered index of an execution's storage — the ready queue (`q…`) or the timed index
// (`w…`) — with its first entries mirrored in memory. The mirror is a window: every index key
// below `bound` is in memory, nothing above it is, and when the window runs empty it is refilled
// with the next `window` keys, so activation reads at most `window` entries however long the
// index is, and memory stays bounded (a window that grows past twice its size drops its tail).
// Keys the running message adds inside the window are written once at its end (`flush`), if
// still there: a task queued and started in one message writes no queue entry at all.
// Not thread-safe: the execution's handlers drive it, and its writes are the running message's.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "persistence/storage.hpp"

namespace dort {

class index_window {
 public:
  /// Entries mirrored at most after a refill; the window drops its tail at twice this.
  static constexpr std::size_t default_window = 1'024;

  index_window(storage& store, std::string prefix, std::size_t window = default_window)
      : store_(store), prefix_(std::move(prefix)), window_(window) {}

  /// Adds `key` → `id` to the index.
  void add(const std::string& key, const std::string& id);

  /// Removes `key` from the index (whether or not memory holds it).
  void remove(const std::string& key);

  /// Returns the first entry of the index, refilling the window from storage if it ran empty;
  /// null when the index is empty.
  const std::pair<const std::string, std::string>* front();

  /// Writes the keys added by the running message that are still in the index.
  void flush();

  /// Forgets memory (after a message whose writes were dropped); the next `front` refills.
  void reset();

  /// Returns how many entries memory holds now.
  std::size_t mirrored() const noexcept { return entries_.size(); }

 private:
  void refill();
  void trim();
  bool inside(const std::string& key) const { return complete_ || key < bound_; }

  storage& store_;
  const std::string prefix_;
  const std::size_t window_;
  std::map<std::string, std::string> entries_;
  /// Keys added by the running message and not yet written.
  std::set<std::string> unwritten_;
  /// Every index key below it is in memory (unless `complete_`, when all are).
  std::string bound_;
  bool complete_ = false;
};

}  // namespace dort
