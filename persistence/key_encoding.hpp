// How object keys are laid out in LMDB's `data` database: the 16-byte object id, then the user's
// key bytes. Keys of one object are therefore contiguous and ordered by user key bytes, and no
// user key can reach another object's range. The bare id (an empty user key, which no user can
// name) holds the object's catalogue record, "class NUL name": it sits on the same page as the
// object's first keys, so a new object dirties one page, not two.
#pragma once

#include <string>
#include <string_view>

#include "persistence/object_id.hpp"

namespace dort {

/// Longest user key in bytes: LMDB's default key limit (511) minus the id prefix, rounded down.
constexpr std::size_t max_key_bytes = 480;

/// Writes the LMDB key of `user_key` of object `id` into `out`.
inline void encode_data_key(const object_id& id, std::string_view user_key, std::string& out) {
  out.clear();
  out.reserve(object_id::size_bytes + user_key.size());
  out.append(id.bytes());
  out.append(user_key);
}

/// Returns the LMDB key of the catalogue record of object `id`.
inline std::string_view catalogue_key(const object_id& id) {
  return id.bytes();
}

/// Returns the user key of an LMDB key of the `data` database.
inline std::string_view decode_user_key(std::string_view data_key) {
  return data_key.substr(object_id::size_bytes);
}

}  // namespace dort
