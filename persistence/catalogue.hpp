// The catalogue of objects: under each object's bare id (key_encoding.hpp) the `data` database
// holds "class NUL name", written with the object's first write and never removed. Reading it
// here is read-only and paged: each call reads at most `limit` entries inside the caller's read
// transaction, so a caller may walk millions of objects in short transactions and bounded memory.
// It does not check that an id is the hash of its (class, name): that is a consistency check's job.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/environment.hpp"
#include "persistence/object_id.hpp"

namespace dort {

/// One object of the catalogue.
struct catalogue_entry {
  object_id id;
  std::string class_name;
  std::string name;

  friend bool operator==(const catalogue_entry&, const catalogue_entry&) = default;
};

/// Returns the catalogue record of the object named `name` of class `class_name`.
std::string encode_catalogue_record(std::string_view class_name, std::string_view name);

/// Returns the entry of `id` read from its stored `record`; nothing if the record is malformed.
std::optional<catalogue_entry> decode_catalogue_record(const object_id& id,
                                                       std::string_view record);

/// Returns the catalogue entry of `id`, or nothing. Throws `dort::error` (storage_failure).
std::optional<catalogue_entry> find_object(const read_txn& txn, MDB_dbi data_db,
                                           const object_id& id);

/// Returns up to `limit` catalogue entries in id order, beginning after `after` (from the first
/// id when nothing). One cursor seek per object skips its keys, whatever their number.
/// Throws `dort::error` (storage_failure).
std::vector<catalogue_entry> read_catalogue(const read_txn& txn, MDB_dbi data_db,
                                            const std::optional<object_id>& after,
                                            std::size_t limit);

}  // namespace dort
