// A walk over one object's committed keys inside a read transaction: the keys of the object whose
// user keys lie in [lo, hi), ascending or descending. It never shows the catalogue record (the
// bare id) or another object's keys, and it sees only what is committed: an object's writes that
// are still in memory are object_store's business. Valid until the transaction ends.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "persistence/environment.hpp"
#include "persistence/object_id.hpp"

namespace dort {

/// Returns the least key greater than every key that begins with `prefix`, or nothing if there
/// is none (empty prefix, or only 0xff bytes).
std::optional<std::string> prefix_successor(std::string prefix);

class object_range {
 public:
  /// Positions on the first key in range in the chosen order; no `hi` means no upper bound.
  /// Throws `dort::error` (storage_failure).
  object_range(const read_txn& txn, MDB_dbi data_db, const object_id& id, std::string lo,
               std::optional<std::string> hi, bool reverse);
  object_range(const object_range&) = delete;
  object_range& operator=(const object_range&) = delete;
  ~object_range();

  /// Returns whether the walk stands on a key in range.
  bool valid() const noexcept { return valid_; }

  /// Returns the current user key (without the id). Precondition: `valid()`.
  std::string_view key() const noexcept { return user_key_; }

  /// Returns the current value. Precondition: `valid()`.
  std::string_view value() const noexcept { return value_; }

  /// Moves to the next key in the chosen order. Precondition: `valid()`.
  void next();

 private:
  /// Moves the cursor; returns whether it landed on a key (of any object); `valid_` tells
  /// whether that key is in range.
  bool position(MDB_cursor_op op, std::string_view seek);

  MDB_cursor* cursor_ = nullptr;
  const object_id id_;
  const std::string lo_;
  const std::optional<std::string> hi_;
  const bool reverse_;
  bool valid_ = false;
  std::string_view user_key_;
  std::string_view value_;
};

}  // namespace dort
