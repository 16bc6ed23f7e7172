#include "persistence/catalogue.hpp"

#include "persistence/error.hpp"
#include "persistence/key_encoding.hpp"
#include "persistence/object_range.hpp"

namespace dort {

std::string encode_catalogue_record(std::string_view class_name, std::string_view name) {
  std::string record{class_name};
  record.push_back('\0');
  record.append(name);
  return record;
}

std::optional<catalogue_entry> decode_catalogue_record(const object_id& id,
                                                       std::string_view record) {
  auto nul = record.find('\0');
  if (nul == std::string_view::npos) return std::nullopt;
  return catalogue_entry{id, std::string{record.substr(0, nul)},
                         std::string{record.substr(nul + 1)}};
}

std::optional<catalogue_entry> find_object(const read_txn& txn, MDB_dbi data_db,
                                           const object_id& id) {
  auto record = txn.get(data_db, catalogue_key(id));
  if (!record) return std::nullopt;
  return decode_catalogue_record(id, *record);
}

namespace {

/// Closes a cursor however the walk ends.
struct cursor_guard {
  MDB_cursor* cursor = nullptr;
  ~cursor_guard() {
    if (cursor != nullptr) mdb_cursor_close(cursor);
  }
};

}  // namespace

std::vector<catalogue_entry> read_catalogue(const read_txn& txn, MDB_dbi data_db,
                                            const std::optional<object_id>& after,
                                            std::size_t limit) {
  std::vector<catalogue_entry> out;
  if (limit == 0) return out;
  cursor_guard guard;
  if (mdb_cursor_open(txn.handle(), data_db, &guard.cursor) != 0)
    throw error{errc::storage_failure, "mdb_cursor_open failed"};
  // Every key from here on is at or past the next object's first key.
  std::optional<std::string> seek;
  if (after) {
    seek = prefix_successor(std::string{after->bytes()});
    if (!seek) return out;  // `after` is the greatest id
  }
  MDB_val k{seek ? seek->size() : 0, seek ? seek->data() : nullptr};
  MDB_val v;
  int rc = mdb_cursor_get(guard.cursor, &k, &v, seek ? MDB_SET_RANGE : MDB_FIRST);
  while (rc == 0 && out.size() < limit) {
    std::string_view key{static_cast<const char*>(k.mv_data), k.mv_size};
    if (key.size() < object_id::size_bytes) {  // never written by dort: step over it
      rc = mdb_cursor_get(guard.cursor, &k, &v, MDB_NEXT);
      continue;
    }
    auto id = object_id::from_bytes(key.substr(0, object_id::size_bytes));
    // The bare id sorts before the object's keys, so an object's first key is its record.
    if (key.size() == object_id::size_bytes)
      if (auto entry =
              decode_catalogue_record(id, {static_cast<const char*>(v.mv_data), v.mv_size}))
        out.push_back(std::move(*entry));
    seek = prefix_successor(std::string{id.bytes()});
    if (!seek) break;
    k = MDB_val{seek->size(), seek->data()};
    rc = mdb_cursor_get(guard.cursor, &k, &v, MDB_SET_RANGE);
  }
  if (rc != 0 && rc != MDB_NOTFOUND)
    throw error{errc::storage_failure, std::string{"mdb_cursor_get: "} + mdb_strerror(rc)};
  return out;
}

}  // namespace dort
