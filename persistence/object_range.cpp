#include "persistence/object_range.hpp"

#include "persistence/error.hpp"
#include "persistence/key_encoding.hpp"

namespace dort {

std::optional<std::string> prefix_successor(std::string prefix) {
  while (!prefix.empty()) {
    auto last = static_cast<unsigned char>(prefix.back());
    if (last != 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::nullopt;
}

object_range::object_range(const read_txn& txn, MDB_dbi data_db, const object_id& id,
                           std::string lo, std::optional<std::string> hi, bool reverse)
    : id_(id), lo_(std::move(lo)), hi_(std::move(hi)), reverse_(reverse) {
  if (mdb_cursor_open(txn.handle(), data_db, &cursor_) != 0)
    throw error{errc::storage_failure, "mdb_cursor_open failed"};
  std::string seek;
  if (!reverse_) {
    // An empty lower bound starts past the catalogue record (the bare id).
    encode_data_key(id_, lo_.empty() ? std::string_view{"\0", 1} : std::string_view{lo_}, seek);
    position(MDB_SET_RANGE, seek);
  } else {
    // The first key at or past the upper bound, then one step back.
    if (hi_)
      encode_data_key(id_, *hi_, seek);
    else
      seek = prefix_successor(std::string{id_.bytes()}).value_or(std::string{});
    bool past = !seek.empty() && position(MDB_SET_RANGE, seek);
    if (past)
      position(MDB_PREV, {});
    else
      position(MDB_LAST, {});
  }
}

object_range::~object_range() {
  mdb_cursor_close(cursor_);
}

void object_range::next() {
  position(reverse_ ? MDB_PREV : MDB_NEXT, {});
}

bool object_range::position(MDB_cursor_op op, std::string_view seek) {
  MDB_val k{seek.size(), const_cast<char*>(seek.data())};
  MDB_val v;
  int rc = mdb_cursor_get(cursor_, &k, &v, op);
  valid_ = false;
  if (rc == MDB_NOTFOUND) return false;
  if (rc != 0)
    throw error{errc::storage_failure, std::string{"mdb_cursor_get: "} + mdb_strerror(rc)};
  std::string_view full{static_cast<const char*>(k.mv_data), k.mv_size};
  if (full.size() < object_id::size_bytes || full.substr(0, object_id::size_bytes) != id_.bytes())
    return true;
  user_key_ = decode_user_key(full);
  value_ = {static_cast<const char*>(v.mv_data), v.mv_size};
  valid_ = !user_key_.empty() && user_key_ >= std::string_view{lo_} &&
           (!hi_ || user_key_ < std::string_view{*hi_});
  return true;
}

}  // namespace dort
