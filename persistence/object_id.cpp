#include "persistence/object_id.hpp"

#include <algorithm>
#include <cstring>
#include <random>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace dort {

object_id object_id::from_name(std::string_view class_name, std::string_view name) {
  // Length-prefixing the class name makes ("ab", "c") and ("a", "bc") different inputs.
  std::string input;
  input.reserve(class_name.size() + name.size() + 8);
  auto class_len = static_cast<std::uint64_t>(class_name.size());
  for (int i = 0; i < 8; ++i) input.push_back(static_cast<char>((class_len >> (8 * i)) & 0xff));
  input.append(class_name);
  input.append(name);
  XXH128_hash_t h = XXH3_128bits(input.data(), input.size());
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, h);
  object_id id;
  std::memcpy(id.bytes_.data(), canonical.digest, size_bytes);
  return id;
}

object_id object_id::random() {
  thread_local std::mt19937_64 engine{[] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device()};
    return std::mt19937_64{seed};
  }()};
  object_id id;
  for (std::size_t i = 0; i < size_bytes; i += 8) {
    std::uint64_t word = engine();
    std::memcpy(id.bytes_.data() + i, &word, 8);
  }
  return id;
}

std::optional<object_id> object_id::from_hex(std::string_view hex) {
  if (hex.size() != size_bytes * 2) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  object_id id;
  for (std::size_t i = 0; i < size_bytes; ++i) {
    int hi = nibble(hex[2 * i]);
    int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    id.bytes_[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return id;
}

object_id object_id::from_bytes(std::string_view bytes) {
  object_id id;
  std::memcpy(id.bytes_.data(), bytes.data(), std::min(bytes.size(), size_bytes));
  return id;
}

std::string object_id::to_hex() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(size_bytes * 2, '0');
  for (std::size_t i = 0; i < size_bytes; ++i) {
    out[2 * i] = digits[bytes_[i] >> 4];
    out[2 * i + 1] = digits[bytes_[i] & 0xf];
  }
  return out;
}

std::size_t object_id::hash() const noexcept {
  std::size_t h;
  std::memcpy(&h, bytes_.data(), sizeof(h));
  return h;
}

}  // namespace dort
