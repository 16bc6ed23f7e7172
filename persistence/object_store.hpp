// The host side of one object's storage: the write set of the running message, the overlay of
// writes handed to the writer but not yet durable, and the bookkeeping that ties replies to
// commits. Reads look at the write set, then the overlay, then LMDB, so an object always sees its
// own latest writes. Messages are numbered: `finish_message` returns the number whose durability
// the reply must wait for. Not thread-safe: the object's thread drives it, except for the commit
// callback, which the writer thread calls.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "persistence/commit_queue.hpp"
#include "persistence/environment.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/object_id.hpp"
#include "persistence/storage.hpp"
#include "persistence/write_set.hpp"

namespace dort {

class object_store {
 public:
  /// Called on the writer thread: the writes of generation `generation` up to message `seq` are
  /// durable (`failure` empty) or lost.
  using commit_callback = std::function<void(std::uint64_t generation, std::uint64_t seq,
                                             std::optional<error> failure)>;

  /// Opens the storage of object `id`. Throws `errc::id_collision` if the catalogue records
  /// another (class, name) under this id.
  object_store(environment& env, group_commit& writer, object_id id, std::string class_name,
               std::string name, storage_limits limits, commit_callback on_commit);

  /// Returns how many entries the stores of this process have read (a get counts one, a list
  /// one per entry it stepped over on disk or in memory, plus its seek): a test's measure of
  /// the work of a message, which must not grow with what an object stores.
  static std::uint64_t reads_total() noexcept;

  /// Returns the view handlers use.
  storage& view() noexcept { return view_; }

  /// Hands the running message's writes to the writer. Returns the message's number, or nothing
  /// if it wrote nothing.
  std::optional<std::uint64_t> finish_message();

  /// Drops the running message's writes (its handler threw).
  void discard_message() {
    current_.clear();
    current_extra_.clear();
  }

  /// Something a message changes besides its key writes (its alarm changes, its durable
  /// callbacks): called when a `storage::transaction` begins, it returns the function that puts
  /// that state back as it was then, should the transaction's function throw.
  using savepoint_source = std::function<std::function<void()>()>;

  /// Adds `source` to what `savepoint` saves; sources live as long as this store.
  void add_savepoint_source(savepoint_source source) {
    savepoint_sources_.push_back(std::move(source));
  }

  /// Returns a function that undoes everything the running message did from now on: its key
  /// writes, its raw writes and whatever the savepoint sources saved.
  std::function<void()> savepoint();

  /// Adds a write to another database to the running message (see `raw_write`); it commits
  /// atomically with the message's other writes, or not at all.
  void add_raw_write(raw_write w) { current_extra_.push_back(std::move(w)); }

  /// Forgets overlay entries that are durable now. Returns false for a stale generation.
  bool on_durable(std::uint64_t generation, std::uint64_t seq);

  /// After a failed commit: drops every write that is not durable and starts a new generation,
  /// so memory never runs ahead of the disk.
  void reset();

  /// Returns the current generation (it changes on `reset`).
  std::uint64_t generation() const noexcept { return generation_; }

  /// Returns the number of the last message that wrote.
  std::uint64_t last_seq() const noexcept { return last_seq_; }

  /// Returns whether writes wait for durability.
  bool has_pending_writes() const noexcept { return durable_seq_ < last_seq_; }

  const object_id& id() const noexcept { return id_; }
  const storage_limits& limits() const noexcept { return limits_; }

  // -- used by `storage` ------------------------------------------------------------------------

  std::optional<std::string> get(std::string_view key);
  void put(std::string_view key, std::string_view value);
  bool del(std::string_view key);
  std::vector<key_value> list(const list_options& options);
  void check_key(std::string_view key) const;
  void check_value(std::string_view value) const;
  void check_batch_size(std::size_t count) const;
  write_set& current() noexcept { return current_; }

 private:
  struct overlay_entry {
    std::optional<std::string> value;
    std::uint64_t seq;
  };

  /// Returns the in-memory state of `key`: a value, a delete (empty optional), or null if memory
  /// knows nothing of it.
  const std::optional<std::string>* find_in_memory(std::string_view key) const;
  void open_queue();

  environment& env_;
  group_commit& writer_;
  const object_id id_;
  const std::string class_name_;
  const std::string name_;
  const storage_limits limits_;
  const commit_callback on_commit_;
  storage view_{*this};
  write_set current_;
  raw_writes current_extra_;
  std::vector<savepoint_source> savepoint_sources_;
  std::map<std::string, overlay_entry, std::less<>> overlay_;
  std::shared_ptr<commit_queue> queue_;
  bool catalogued_ = false;
  std::uint64_t generation_ = 0;
  std::uint64_t last_seq_ = 0;
  std::uint64_t durable_seq_ = 0;
};

}  // namespace dort
