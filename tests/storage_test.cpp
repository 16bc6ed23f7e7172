#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include <stdexcept>

#include "error_code_of.hpp"
#include "store_fixture.hpp"

TEST_SUITE_BEGIN("without_caf");

using namespace dort;
using dort::test::code_of;
using dort::test::store_fixture;
using dort::test::test_store;

namespace {

std::vector<std::string> keys_of(const std::vector<key_value>& entries) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : entries) keys.push_back(k);
  return keys;
}

/// Stores keys a, b, c, ba, bb, bc, d with values "v-<key>" and commits them.
void fill(test_store& s) {
  for (const char* k : {"a", "b", "c", "ba", "bb", "bc", "d"})
    s.view().put(k, std::string{"v-"} + k);
  s.commit();
}

}  // namespace

TEST_CASE("get returns what put stored - and nothing for a missing key") {
  store_fixture f;
  test_store s{f.env, f.writer, "a"};
  CHECK_FALSE(s.view().get("k").has_value());
  s.view().put("k", "v");
  CHECK(s.view().get("k") == "v");
  s.commit();
  CHECK(s.view().get("k") == "v");
  s.view().put("empty", "");
  s.commit();
  CHECK(s.view().get("empty") == "");
}

TEST_CASE("get of many keys returns the values in the order asked") {
  store_fixture f;
  test_store s{f.env, f.writer, "a"};
  s.view().put("x", "1");
  s.commit();
  s.view().put("y", "2");
  auto values = s.view().get(std::vector<std::string>{"y", "missing", "x"});
  REQUIRE(values.size() == 3);
  CHECK(values[0] == "2");
  CHECK_FALSE(values[1].has_value());
  CHECK(values[2] == "1");
}

TEST_CASE("put of many stores every entry - or none when one breaks a limit") {
  store_fixture f;
  test_store s{f.env, f.writer, "a"};
  s.view().put(std::vector<key_value>{{"a", "1"}, {"b", "2"}});
  CHECK(s.view().get("a") == "1");
  CHECK(s.view().get("b") == "2");
  CHECK(code_of([&] {
          s.view().put(std::vector<key_value>{{"c", "3"}, {std::string(481, 'k'), "4"}});
        }) == errc::too_large);
  CHECK_FALSE(s.view().get("c").has_value());
}

TEST_CASE("del tells whether the key existed - del of many counts them") {
  store_fixture f;
  test_store s{f.env, f.writer, "a"};
  s.view().put("a", "1");
  s.commit();
  s.view().put("b", "2");
  CHECK(s.view().del("a"));
  CHECK_FALSE(s.view().del("a"));
  CHECK_FALSE(s.view().get("a").has_value());
  s.view().put("a", "again");
  CHECK(s.view().del(std::vector<std::string>{"a", "b", "c"}) == 2);
  s.commit();
  CHECK_FALSE(s.view().get("a").has_value());
  CHECK_FALSE(s.view().get("b").has_value());
}

TEST_CASE("list returns every key in byte order") {
  store_fixture f;
  test_store s{f.env, f.writer, "a"};
  s.view().put("\xc3\xa9", "high");  // bytes above ASCII sort after it
  s.view().put("Z", "upper");
  s.view().put("a", "lower");
  s.commit();
  CHECK(keys_of(s.view().list()) == std::vector<std::string>{"Z", "a", "\xc3\xa9"});
  CHECK(s.view().list()[1].second == "lower");
}

TEST_CASE("list selects by prefix - inclusive start and exclusive end") {
  store_fixture f;
  test_store s{f.env, f.writer, "a"};
  fill(s);
  list_options prefix;
  prefix.prefix = "b";
  CHECK(keys_of(s.view().list(prefix)) == std::vector<std::string>{"b", "ba", "bb", "bc"});
  list_options range;
  range.start = "b";
  range.end = "bc";
  CHECK(keys_of(s.view().list(range)) == std::vector<std::string>{"b", "ba", "bb"});
  list_options both;
  both.prefix = "b";
  both.start = "bb";
  CHECK(keys_of(s.view().list(both)) == std::vector<std::string>{"bb", "bc"});
  list_options empty;
  empty.start = "c";
  empty.end = "c";
  CHECK(s.view().list(empty).empty());
}

TEST_CASE("list reverse gives descending order and limit keeps the first entries of that order") {
  store_fixture f;
  test_store s{f.env, f.writer, "a"};
  fill(s);
  list_options reverse;
  reverse.reverse = true;
  CHECK(keys_of(s.view().list(reverse)) ==
        std::vector<std::string>{"d", "c", "bc", "bb", "ba", "b", "a"});
  reverse.limit = 2;
  CHECK(keys_of(s.view().list(reverse)) == std::vector<std::string>{"d", "c"});
  list_options forward;
  forward.limit = 3;
  CHECK(keys_of(s.view().list(forward)) == std::vector<std::string>{"a", "b", "ba"});
  list_options prefix_reverse;
  prefix_reverse.prefix = "b";
  prefix_reverse.reverse = true;
  prefix_reverse.limit = 3;
  CHECK(keys_of(s.view().list(prefix_reverse)) == std::vector<std::string>{"bc", "bb", "ba"});
  list_options range_reverse;
  range_reverse.start = "ba";
  range_reverse.end = "c";
  range_reverse.reverse = true;
  CHECK(keys_of(s.view().list(range_reverse)) == std::vector<std::string>{"bc", "bb", "ba"});
  list_options zero;
  zero.limit = 0;
  CHECK(s.view().list(zero).empty());
}

TEST_CASE("list merges writes not yet durable with what is on disk") {
  store_fixture f;
  test_store s{f.env, f.writer, "a"};
  fill(s);
  s.view().del("b");
  s.view().put("bd", "new");
  s.view().put("a", "changed");
  CHECK(keys_of(s.view().list()) ==
        std::vector<std::string>{"a", "ba", "bb", "bc", "bd", "c", "d"});
  CHECK(s.view().list()[0].second == "changed");
  list_options reverse;
  reverse.reverse = true;
  reverse.limit = 4;
  CHECK(keys_of(s.view().list(reverse)) == std::vector<std::string>{"d", "c", "bd", "bc"});
  // Handed to the writer but not yet marked durable: the overlay still answers.
  s.store().finish_message();
  CHECK(keys_of(s.view().list()) ==
        std::vector<std::string>{"a", "ba", "bb", "bc", "bd", "c", "d"});
}

TEST_CASE("a list with a limit answers the first entries of the full list - over disk - overlay and writes") {
  // Memory is read only as far as the limit needs (object_store::list): every cut of every
  // order must still equal the full listing's first entries, whatever layer hides what.
  store_fixture f;
  test_store s{f.env, f.writer, "a"};
  std::mt19937 random{7};
  auto key = [&] { return std::string{"k"} + std::to_string(random() % 40); };
  for (int i = 0; i < 30; ++i) s.view().put(key(), "disk");
  s.commit();
  for (int i = 0; i < 30; ++i)
    if (random() % 2) s.view().put(key(), "overlay"); else s.view().del(key());
  s.store().finish_message();  // handed to the writer, not yet durable: the overlay answers
  for (int i = 0; i < 30; ++i)
    if (random() % 2) s.view().put(key(), "current"); else s.view().del(key());
  for (bool reverse : {false, true})
    for (const char* prefix : {"", "k1", "k2"}) {
      list_options all;
      all.reverse = reverse;
      all.prefix = prefix;
      const auto full = s.view().list(all);
      for (std::size_t limit = 1; limit <= full.size() + 1; ++limit) {
        auto cut = all;
        cut.limit = limit;
        auto expected = full;
        expected.resize(std::min(limit, full.size()));
        CHECK(s.view().list(cut) == expected);
      }
    }
}

TEST_CASE("delete_all removes every key - also those not yet durable") {
  store_fixture f;
  test_store s{f.env, f.writer, "a"};
  fill(s);
  s.view().put("e", "pending");
  s.view().delete_all();
  CHECK(s.view().list().empty());
  s.commit();
  CHECK(s.view().list().empty());
  CHECK_FALSE(s.view().get("a").has_value());
}

TEST_CASE("transaction undoes its writes when its function throws") {
  store_fixture f;
  test_store s{f.env, f.writer, "a"};
  s.view().put("kept", "1");
  CHECK_THROWS_AS(s.view().transaction([&] {
    s.view().put("dropped", "2");
    s.view().del("kept");
    throw std::runtime_error{"no"};
  }),
                  std::runtime_error);
  CHECK(s.view().get("kept") == "1");
  CHECK_FALSE(s.view().get("dropped").has_value());
  s.view().transaction([&] {
    s.view().put("inner", "3");
    CHECK_THROWS(s.view().transaction([&] {
      s.view().put("inner2", "4");
      throw 1;
    }));
  });
  CHECK(s.view().get("inner") == "3");
  CHECK_FALSE(s.view().get("inner2").has_value());
}

TEST_CASE("keys are 1..480 bytes and values at most the value limit - with error codes") {
  store_fixture f;
  storage_limits limits;
  limits.max_value_bytes = 1000;
  test_store s{f.env, f.writer, "a", limits};
  CHECK(code_of([&] { s.view().put("", "v"); }) == errc::invalid_field);
  CHECK(code_of([&] { s.view().get(""); }) == errc::invalid_field);
  CHECK(code_of([&] { s.view().put(std::string(481, 'k'), "v"); }) == errc::too_large);
  CHECK(code_of([&] { s.view().put("k", std::string(1001, 'v')); }) == errc::too_large);
  s.view().put(std::string(480, 'k'), std::string(1000, 'v'));
  s.commit();
  CHECK(s.view().get(std::string(480, 'k'))->size() == 1000);
  std::vector<std::string> too_many(129, "k");
  CHECK(code_of([&] { s.view().get(too_many); }) == errc::invalid_field);
  CHECK(code_of([&] { s.view().del(too_many); }) == errc::invalid_field);
  CHECK(s.view().list().size() == 1);  // nothing of the failed calls was written
}

TEST_CASE("the default value limit is 1 MiB") {
  store_fixture f;
  test_store s{f.env, f.writer, "a"};
  s.view().put("k", std::string(1 << 20, 'v'));
  CHECK(code_of([&] { s.view().put("k2", std::string((1 << 20) + 1, 'v')); }) == errc::too_large);
  s.commit();
  CHECK(s.view().get("k")->size() == (1u << 20));
}

TEST_CASE("two objects with the same key do not see each other in storage") {
  store_fixture f;
  test_store a{f.env, f.writer, "a"};
  test_store b{f.env, f.writer, "b"};
  a.view().put("k", "from a");
  a.commit();
  CHECK_FALSE(b.view().get("k").has_value());
  CHECK(b.view().list().empty());
  b.view().put("k", "from b");
  b.commit();
  CHECK(a.view().get("k") == "from a");
  b.view().delete_all();
  b.commit();
  CHECK(a.view().get("k") == "from a");
}
TEST_SUITE_END();
