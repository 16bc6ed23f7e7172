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

TEST_CASE("a valid number that does not fit an integer field is invalid_field naming it - never invalid_json") {
  for (auto body : {R"({"by":99999999999999999999999})", R"({"by":1e400})", R"({"by":-1e400})",
                    R"({"by":123456789012345678901234567890,"o":{"n":1e999}})"}) {
    CAPTURE(body);
    try {
      json_object_reader{body}.int64("by");
      FAIL("accepted");
    } catch (const dort::error& e) {
      CHECK(e.code() == errc::invalid_field);
      CHECK(e.field() == "by");
    }
  }
  CHECK(code_of(R"({"s":1e400})") == errc{});  // a field nobody reads as a number is fine
  try {
    json_object_reader{R"({"m":1e400})"}.number("m");
    FAIL("accepted");
  } catch (const dort::error& e) {
    CHECK(e.code() == errc::invalid_field);
    CHECK(e.field() == "m");
  }
}

TEST_CASE("client-owned JSON keeps numbers of any length digit for digit") {
  json_object_reader reader{
      R"({"input": {"n": 123456789012345678901234567890, "f": 1e400, "l": [-99999999999999999999999.5]}})"};
  CHECK(reader.raw("input") ==
        R"({"n":123456789012345678901234567890,"f":1e400,"l":[-99999999999999999999999.5]})");
  CHECK(dort::is_valid_json("123456789012345678901234567890"));
  CHECK(dort::is_valid_json(R"({"a":[1e400]})"));
  CHECK(dort::minified_json(R"( { "a" : 123456789012345678901234567890 } )") ==
        R"({"a":123456789012345678901234567890})");
  CHECK(dort::json_array_items("[1e400, 2]") == std::vector<std::string>{"1e400", "2"});
}

TEST_CASE("bodies with wide numbers are still checked whole for syntax - duplicates - depth and UTF-8") {
  const std::string wide = "123456789012345678901234567890";
  CHECK(code_of(R"({"o":)" + wide + ",}") == errc::invalid_json);
  CHECK(code_of(R"({"o":)" + wide + R"(,"o":1})") == errc::invalid_json);
  CHECK(code_of(R"({"o":)" + wide + "} {}") == errc::invalid_json);
  CHECK(code_of(R"({"o":01,"s":)" + wide + "}") == errc::invalid_json);
  CHECK(code_of("{\"o\":" + wide + ",\"s\":\"\xff\"}") == errc::invalid_json);
  CHECK(code_of(R"({"o":)" + std::string(64, '[') + wide + std::string(64, ']') + "}") ==
        errc::invalid_json);
  // The same depth limit as for any other scalar.
  for (int depth : {62, 63, 64}) {
    auto at = [&](const std::string& scalar) {
      auto n = static_cast<std::size_t>(depth);
      return code_of(R"({"o":)" + std::string(n, '[') + scalar + std::string(n, ']') + "}");
    };
    CHECK(at(wide) == at("1"));
  }
  CHECK(code_of(R"({"o":)" + std::string(62, '[') + wide + std::string(62, ']') + "}") == errc{});
  CHECK_FALSE(dort::is_valid_json(wide + " 1"));
  CHECK_FALSE(dort::is_valid_json(std::string{"1e400\0", 6}));
}
