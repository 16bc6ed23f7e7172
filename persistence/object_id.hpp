// The identity of a durable object: 128 bits, shown as 32 lowercase hex characters.
// An id derived from (class, name) is stable across processes and versions (XXH3-128 of a fixed
// encoding); a random id is unique with overwhelming probability. The id is also the prefix of
// every storage key of the object, which is what keeps objects from seeing each other's keys.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dort {

class object_id {
 public:
  /// Size of an id in bytes.
  static constexpr std::size_t size_bytes = 16;

  object_id() = default;

  /// Returns the stable id of the object named `name` of class `class_name`.
  static object_id from_name(std::string_view class_name, std::string_view name);

  /// Returns a new random id.
  static object_id random();

  /// Parses 32 hex characters; returns nothing for anything else.
  static std::optional<object_id> from_hex(std::string_view hex);

  /// Builds an id from its 16 raw bytes.
  static object_id from_bytes(std::string_view bytes);

  /// Returns the 32 lowercase hex characters of this id.
  std::string to_hex() const;

  /// Returns the 16 raw bytes (the storage key prefix).
  std::string_view bytes() const noexcept {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }

  /// Returns a hash suitable for hash maps (the id is already uniformly distributed).
  std::size_t hash() const noexcept;

  friend bool operator==(const object_id&, const object_id&) = default;
  friend auto operator<=>(const object_id&, const object_id&) = default;

 private:
  std::array<std::uint8_t, size_bytes> bytes_{};
};

struct object_id_hash {
  std::size_t operator()(const object_id& id) const noexcept { return id.hash(); }
};

}  // namespace dort
