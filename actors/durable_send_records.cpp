#include "actors/durable_send_records.hpp"

#include "persistence/error.hpp"

namespace dort {

namespace {

/// Length prefixes of the entry's strings: class names are at most 64 bytes and object names
/// 256, methods are kept under 64 KiB; the payload takes the rest of the value.
void append_u16(std::string& out, std::size_t n) {
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
}

bool take_u16(std::string_view& in, std::size_t& n) {
  if (in.size() < 2) return false;
  n = (static_cast<std::size_t>(static_cast<unsigned char>(in[0])) << 8) |
      static_cast<unsigned char>(in[1]);
  in.remove_prefix(2);
  return true;
}

bool take_string(std::string_view& in, std::string& out) {
  std::size_t n = 0;
  if (!take_u16(in, n) || in.size() < n) return false;
  out.assign(in.substr(0, n));
  in.remove_prefix(n);
  return true;
}

std::string_view view_of(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

}  // namespace

durable_send_dbs durable_send_dbs::open(environment& env) {
  return durable_send_dbs{env.open_db("outbox"), env.open_db("delivered")};
}

std::string encode_seq(std::uint64_t seq) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, seq >>= 8) out[i] = static_cast<char>(seq & 0xff);
  return out;
}

std::optional<std::uint64_t> decode_seq(std::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  std::uint64_t seq = 0;
  for (char c : bytes) seq = (seq << 8) | static_cast<unsigned char>(c);
  return seq;
}

std::string outbox_key(const object_id& sender, std::uint64_t seq) {
  std::string key{sender.bytes()};
  key += encode_seq(seq);
  return key;
}

std::string delivered_key(const object_id& receiver, const object_id& sender) {
  std::string key{receiver.bytes()};
  key += sender.bytes();
  return key;
}

std::string encode_outbox_entry(const outbox_entry& entry) {
  std::string out;
  out.reserve(object_id::size_bytes + 6 + entry.class_name.size() + entry.name.size() +
              entry.method.size() + entry.payload.size());
  out.append(entry.to.bytes());
  append_u16(out, entry.class_name.size());
  out.append(entry.class_name);
  append_u16(out, entry.name.size());
  out.append(entry.name);
  append_u16(out, entry.method.size());
  out.append(entry.method);
  out.append(entry.payload);
  return out;
}

std::optional<outbox_entry> decode_outbox_entry(std::string_view key, std::string_view value) {
  if (key.size() != object_id::size_bytes + 8 || value.size() < object_id::size_bytes)
    return std::nullopt;
  outbox_entry entry;
  entry.seq = *decode_seq(key.substr(object_id::size_bytes));
  entry.to = object_id::from_bytes(value.substr(0, object_id::size_bytes));
  value.remove_prefix(object_id::size_bytes);
  if (!take_string(value, entry.class_name) || !take_string(value, entry.name) ||
      !take_string(value, entry.method))
    return std::nullopt;
  entry.payload.assign(value);
  return entry;
}

stored_outbox read_outbox(const environment& env, const durable_send_dbs& dbs,
                          const object_id& sender) {
  stored_outbox out;
  auto txn = env.begin_read();
  MDB_cursor* cursor = nullptr;
  if (mdb_cursor_open(txn.handle(), dbs.outbox, &cursor) != 0)
    throw error{errc::storage_failure, "cannot read the outbox"};
  std::string seek{sender.bytes()};
  MDB_val k{seek.size(), seek.data()};
  MDB_val v;
  for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE); rc == 0;
       rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    auto key = view_of(k);
    if (key.substr(0, object_id::size_bytes) != sender.bytes()) break;
    if (key.size() == object_id::size_bytes) {
      if (auto next = decode_seq(view_of(v))) out.next_seq = std::max(out.next_seq, *next);
      continue;
    }
    auto entry = decode_outbox_entry(key, view_of(v));
    if (!entry) {
      mdb_cursor_close(cursor);
      throw error{errc::storage_failure, "a malformed outbox entry of " + sender.to_hex()};
    }
    out.next_seq = std::max(out.next_seq, entry->seq + 1);
    out.entries.push_back(std::move(*entry));
  }
  mdb_cursor_close(cursor);
  return out;
}

std::uint64_t read_delivered(const environment& env, const durable_send_dbs& dbs,
                             const object_id& receiver, const object_id& sender) {
  auto txn = env.begin_read();
  auto value = txn.get(dbs.delivered, delivered_key(receiver, sender));
  if (!value) return 0;
  auto seq = decode_seq(*value);
  if (!seq) throw error{errc::storage_failure, "a malformed delivery mark of " + receiver.to_hex()};
  return *seq;
}

std::vector<object_id> senders_with_entries(const environment& env, const durable_send_dbs& dbs,
                                            const std::optional<object_id>& after,
                                            std::size_t limit) {
  std::vector<object_id> out;
  auto txn = env.begin_read();
  MDB_cursor* cursor = nullptr;
  if (mdb_cursor_open(txn.handle(), dbs.outbox, &cursor) != 0)
    throw error{errc::storage_failure, "cannot read the outbox"};
  // Past every key of `after`: its id followed by the largest sequence.
  std::string seek = after ? outbox_key(*after, ~std::uint64_t{0}) : std::string{};
  MDB_val k{seek.size(), seek.data()};
  MDB_val v;
  int rc = seek.empty() ? mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
                        : mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
  for (; rc == 0 && out.size() < limit; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    auto key = view_of(k);
    if (key.size() != object_id::size_bytes + 8) continue;  // a counter, not an entry
    auto id = object_id::from_bytes(key.substr(0, object_id::size_bytes));
    if (after && id == *after) continue;
    if (!out.empty() && out.back() == id) continue;
    out.push_back(id);
  }
  mdb_cursor_close(cursor);
  return out;
}

}  // namespace dort
