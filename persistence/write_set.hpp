// The writes of one message, or the merged writes of several: user key → new value, where an
// empty optional is a delete. Ordered by key bytes, so merging and committing walk keys in order.
// Beside them, writes to other named databases that must commit with the object's writes (the
// alarm index of a later layer), applied in the order they were made.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <lmdb.h>

namespace dort {

using write_set = std::map<std::string, std::optional<std::string>, std::less<>>;

/// A put (value) or delete (no value) of `key` in the named database `db`.
struct raw_write {
  MDB_dbi db;
  std::string key;
  std::optional<std::string> value;
};

using raw_writes = std::vector<raw_write>;

}  // namespace dort
