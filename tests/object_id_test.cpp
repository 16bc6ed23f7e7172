#include <doctest/doctest.h>

#include <set>

#include "persistence/object_id.hpp"

using dort::object_id;

TEST_CASE("an id from (class - name) is stable across processes and versions") {
  // A golden value: if this changes, every stored object would be lost to its name.
  CHECK(object_id::from_name("counter", "a") == object_id::from_name("counter", "a"));
  CHECK(object_id::from_name("counter", "hot").to_hex() == "e8a06f63c3a88b5ff9d7ae8aeb7029c0");
}

TEST_CASE("different classes or names give different ids") {
  CHECK(object_id::from_name("counter", "a") != object_id::from_name("counter", "b"));
  CHECK(object_id::from_name("counter", "a") != object_id::from_name("reminder", "a"));
  CHECK(object_id::from_name("ab", "c") != object_id::from_name("a", "bc"));
}

TEST_CASE("random ids are unique") {
  std::set<object_id> ids;
  for (int i = 0; i < 10'000; ++i) ids.insert(object_id::random());
  CHECK(ids.size() == 10'000);
}

TEST_CASE("an id is 32 hex characters and parses back") {
  auto id = object_id::random();
  auto hex = id.to_hex();
  CHECK(hex.size() == 32);
  CHECK(hex.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(object_id::from_hex(hex) == id);
  CHECK_FALSE(object_id::from_hex("xyz").has_value());
  CHECK_FALSE(object_id::from_hex(std::string(32, 'g')).has_value());
}
