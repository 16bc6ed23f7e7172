#include "execution/list_cursor.hpp"

#include <cstdio>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "persistence/error.hpp"

namespace dort {

namespace {

constexpr std::uint64_t cursor_salt = 0x646f72742e637572ULL;  // "dort.cur"

}  // namespace

std::string make_list_cursor(std::uint64_t seq) {
  char buf[33];
  auto check = XXH3_64bits_withSeed(&seq, sizeof seq, cursor_salt);
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(seq),
                static_cast<unsigned long long>(check));
  return buf;
}

std::uint64_t read_list_cursor(const std::string& cursor) {
  auto bad = [] {
    return error{errc::invalid_field, "'cursor' was not issued by this server", "cursor"};
  };
  if (cursor.size() != 32 || cursor.find_first_not_of("0123456789abcdef") != std::string::npos)
    throw bad();
  auto seq = std::stoull(cursor.substr(0, 16), nullptr, 16);
  auto check = std::stoull(cursor.substr(16), nullptr, 16);
  if (check != XXH3_64bits_withSeed(&seq, sizeof seq, cursor_salt)) throw bad();
  return seq;
}

}  // namespace dort
