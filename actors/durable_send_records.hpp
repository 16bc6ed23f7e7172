// How durable sends are kept on disk, in two databases of their own, both keyed by the id of the
// object they belong to (so they move with the object):
// - `outbox`: sender id (16 bytes) + sequence (8 bytes, big-endian) → the undelivered message;
//   under the bare sender id, the next sequence, written with every delete of a delivered entry
//   (so numbers never repeat although delivered entries are deleted).
// - `delivered`: receiver id + sender id (32 bytes) → the highest sequence of that sender the
//   receiver has applied (8 bytes, big-endian). A sender's sends to one receiver are delivered in
//   order, one at a time, so this one number is all the dedup state a pair needs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/environment.hpp"
#include "persistence/object_id.hpp"

namespace dort {

/// The two databases, opened once per environment.
struct durable_send_dbs {
  MDB_dbi outbox;
  MDB_dbi delivered;

  /// Opens (or creates) both databases in `env`.
  static durable_send_dbs open(environment& env);
};

/// One undelivered durable send.
struct outbox_entry {
  std::uint64_t seq = 0;
  object_id to;
  std::string class_name;
  std::string name;
  std::string method;
  std::string payload;

  friend bool operator==(const outbox_entry&, const outbox_entry&) = default;
};

/// Returns the `outbox` key of send `seq` of `sender`.
std::string outbox_key(const object_id& sender, std::uint64_t seq);

/// Returns the `outbox` key that holds the next sequence of `sender`.
inline std::string_view outbox_counter_key(const object_id& sender) { return sender.bytes(); }

/// Returns the `delivered` key of (receiver, sender).
std::string delivered_key(const object_id& receiver, const object_id& sender);

/// Encodes a sequence number (8 bytes, big-endian).
std::string encode_seq(std::uint64_t seq);

/// Decodes a sequence number; nothing if `bytes` is not 8 bytes.
std::optional<std::uint64_t> decode_seq(std::string_view bytes);

/// Encodes an entry's value (the sequence is in the key).
std::string encode_outbox_entry(const outbox_entry& entry);

/// Decodes the entry stored under `key`; nothing if key or value are malformed.
std::optional<outbox_entry> decode_outbox_entry(std::string_view key, std::string_view value);

/// What the outbox of one sender holds on disk.
struct stored_outbox {
  std::uint64_t next_seq = 1;
  std::vector<outbox_entry> entries;  // by sequence
};

/// Reads the outbox of `sender`. Throws `storage_failure` for a malformed entry.
stored_outbox read_outbox(const environment& env, const durable_send_dbs& dbs,
                          const object_id& sender);

/// Returns the highest sequence of `sender` that `receiver` has applied (0: none).
std::uint64_t read_delivered(const environment& env, const durable_send_dbs& dbs,
                             const object_id& receiver, const object_id& sender);

/// Returns up to `limit` distinct senders with undelivered entries, in id order, after `after`.
std::vector<object_id> senders_with_entries(const environment& env, const durable_send_dbs& dbs,
                                            const std::optional<object_id>& after,
                                            std::size_t limit);

}  // namespace dort
