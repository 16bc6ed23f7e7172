// The storage of one durable object, as its handlers see it: a private, ordered key-value map.
// Guarantees: an object reaches only its own keys; reads see the object's own writes at once,
// also those not yet durable; all writes of one message commit atomically (the host commits them
// when the handler returns, or drops them when it throws); `transaction(fn)` drops what `fn`
// wrote if `fn` throws. A call that breaks a limit throws `dort::error` and writes nothing.
// Not thread-safe: only the object's own handler, on the object's thread, may call it.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "persistence/key_encoding.hpp"

namespace dort {

class object_store;

/// Limits of a storage view; they are fixed per runtime.
struct storage_limits {
  /// Longest key in bytes (keys are 1..max_key_bytes).
  std::size_t max_key_bytes = dort::max_key_bytes;
  /// Largest value in bytes.
  std::size_t max_value_bytes = std::size_t{1} << 20;
  /// Most keys in one get/put/del of many keys.
  std::size_t max_keys_per_call = 128;
};

/// Options of `storage::list`. Keys are compared as unsigned bytes.
struct list_options {
  /// Only keys that begin with this.
  std::string prefix;
  /// Only keys ≥ start (inclusive).
  std::optional<std::string> start;
  /// Only keys < end (exclusive).
  std::optional<std::string> end;
  /// Descending key order.
  bool reverse = false;
  /// At most this many entries (the first ones in the chosen order).
  std::optional<std::size_t> limit;
};

using key_value = std::pair<std::string, std::string>;

class storage {
 public:
  /// Returns the value of `key`, or nothing.
  std::optional<std::string> get(std::string_view key);

  /// Returns the values of `keys`, in the same order.
  std::vector<std::optional<std::string>> get(const std::vector<std::string>& keys);

  /// Stores `value` under `key`.
  void put(std::string_view key, std::string_view value);

  /// Stores every pair of `entries`: all of them or, on a limit violation, none.
  void put(const std::vector<key_value>& entries);

  /// Deletes `key`; returns whether it existed.
  bool del(std::string_view key);

  /// Deletes `keys`; returns how many existed.
  std::size_t del(const std::vector<std::string>& keys);

  /// Returns the entries selected by `options`, in key order (descending if `reverse`).
  std::vector<key_value> list(const list_options& options = {});

  /// Deletes every key of the object.
  void delete_all();

  /// Runs `fn`; if it throws, everything it did is undone — key writes, alarm changes, raw
  /// writes and `after_durable` callbacks — and the exception goes on.
  void transaction(const std::function<void()>& fn);

  /// Returns the limits this storage enforces.
  const storage_limits& limits() const noexcept;

 private:
  friend class object_store;
  explicit storage(object_store& store) : store_(store) {}
  object_store& store_;
};

}  // namespace dort
