#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "actors/json_reader.hpp"
#include "persistence/error.hpp"

using dort::errc;
using dort::json_object_reader;

namespace {

errc code_of(std::string_view payload) {
  try {
    json_object_reader reader{payload};
    reader.allow_only({"by", "s", "b", "o"});
    reader.int64("by");
    return errc{};
  } catch (const dort::error& e) {
    return e.code();
  }
}

}  // namespace

TEST_CASE("an empty payload reads as an empty object") {
  CHECK(code_of("") == errc{});
  CHECK(code_of("  \n") == errc{});
  CHECK_FALSE(json_object_reader{""}.has("by"));
}

TEST_CASE("every kind of bad JSON is invalid_json") {
  CHECK(code_of("{") == errc::invalid_json);
  CHECK(code_of(R"({"by":1,})") == errc::invalid_json);            // trailing comma
  CHECK(code_of(R"({"by":1}{"by":1})") == errc::invalid_json);     // trailing document
  CHECK(code_of(R"({"by":1,"by":2})") == errc::invalid_json);      // duplicate key
  CHECK(code_of(R"({"o":{"x":1,"x":2}})") == errc::invalid_json);  // duplicate key, nested
  CHECK(code_of("{\"s\":\"\xff\"}") == errc::invalid_json);        // invalid UTF-8
  CHECK(code_of("nul") == errc::invalid_json);
}

TEST_CASE("nesting deeper than 64 levels is invalid_json - 64 is accepted") {
  auto nested = [](int depth) {
    std::string inner = std::string(static_cast<std::size_t>(depth - 1), '[') +
                        std::string(static_cast<std::size_t>(depth - 1), ']');
    return R"({"o":)" + inner + "}";
  };
  CHECK(code_of(nested(64)) == errc{});
  CHECK(code_of(nested(65)) == errc::invalid_json);
}

TEST_CASE("a body that is not an object is invalid_field with field $") {
  try {
    json_object_reader reader{"[1]"};
    FAIL("no error");
  } catch (const dort::error& e) {
    CHECK(e.code() == errc::invalid_field);
    CHECK(e.field() == "$");
  }
}

TEST_CASE("unknown fields are invalid_field naming the field") {
  try {
    json_object_reader{R"({"bye":1})"}.allow_only({"by"});
    FAIL("no error");
  } catch (const dort::error& e) {
    CHECK(e.code() == errc::invalid_field);
    CHECK(e.field() == "bye");
  }
}

TEST_CASE("integer fields accept integral int64 numbers only") {
  CHECK(json_object_reader{R"({"by":-9223372036854775808})"}.int64("by") == INT64_MIN);
  CHECK(json_object_reader{R"({"by":9223372036854775807})"}.int64("by") == INT64_MAX);
  CHECK(json_object_reader{R"({"by":1e3})"}.int64("by") == 1000);
  CHECK(code_of(R"({"by":9223372036854775808})") == errc::invalid_field);
  CHECK(code_of(R"({"by":1.5})") == errc::invalid_field);
  CHECK(code_of(R"({"by":"1"})") == errc::invalid_field);
  CHECK(code_of(R"({"by":null})") == errc::invalid_field);
}

TEST_CASE("raw fields come back minified and exact") {
  json_object_reader reader{
      R"({"o": { "big": 12345678901234567890, "s": "a\u00e9  b" , "n": [1.10, 1e3, -0.0] }, "x": 2.50 })"};
  CHECK(reader.raw("o") == R"({"big":12345678901234567890,"s":"a\u00e9  b","n":[1.10,1e3,-0.0]})");
  CHECK(reader.raw("x") == "2.50");
  CHECK_FALSE(reader.raw("missing"));
  CHECK(dort::minified_json(" { \"a\" : [ 1.10 , \"b c\" ] } ") == R"({"a":[1.10,"b c"]})");
  CHECK_FALSE(dort::minified_json("{\"a\":"));
  CHECK_FALSE(dort::minified_json(std::string(65, '[') + std::string(65, ']')));
  CHECK(dort::json_array_items(R"([ 1.10 , {"a" : "b c"}, "x", null ])") ==
        std::vector<std::string>{"1.10", R"({"a":"b c"})", R"("x")", "null"});
}
