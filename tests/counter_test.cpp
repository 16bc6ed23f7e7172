#include <doctest/doctest.h>

#include "runtime/runtime.hpp"
#include "samples/counter/counter.hpp"
#include "temp_dir.hpp"

using namespace dort;
using dort::test::temp_dir;

namespace {

struct counter_fixture {
  counter_fixture() {
    options.data_dir = dir.path();
    options.scheduler_threads = 2;
    rt = std::make_unique<runtime>(options);
    rt->register_class<samples::counter>("counter");
  }

  std::string call(std::string_view method, std::string_view payload = {}) {
    return rt->get("counter", "c").call(method, payload);
  }

  errc code_of(std::string_view method, std::string_view payload) {
    auto reply = rt->get("counter", "c").try_call(method, payload);
    return reply ? errc{} : reply.err().code();
  }

  temp_dir dir;
  runtime_options options;
  std::unique_ptr<runtime> rt;
};

}  // namespace

TEST_CASE("counter incr adds 1 by default and by otherwise - get reads - reset zeroes") {
  counter_fixture f;
  CHECK(f.call("get") == R"({"value":0})");
  CHECK(f.call("incr") == R"({"value":1})");
  CHECK(f.call("incr", "{}") == R"({"value":2})");
  CHECK(f.call("incr", R"({"by":40})") == R"({"value":42})");
  CHECK(f.call("incr", R"({"by":-50})") == R"({"value":-8})");
  CHECK(f.call("get") == R"({"value":-8})");
  CHECK(f.call("reset") == R"({"value":0})");
  CHECK(f.call("get") == R"({"value":0})");
}

TEST_CASE("counter keeps its value within int64 and refuses to leave it") {
  counter_fixture f;
  CHECK(f.call("incr", R"({"by":9223372036854775807})") == R"({"value":9223372036854775807})");
  CHECK(f.code_of("incr", R"({"by":1})") == errc::invalid_field);
  CHECK(f.call("get") == R"({"value":9223372036854775807})");
  f.call("reset");
  CHECK(f.call("incr", R"({"by":-9223372036854775808})") == R"({"value":-9223372036854775808})");
  CHECK(f.code_of("incr", R"({"by":-1})") == errc::invalid_field);
}

TEST_CASE("counter rejects bad payloads with their codes and changes nothing") {
  counter_fixture f;
  f.call("incr", R"({"by":3})");
  CHECK(f.code_of("incr", R"({"by":1.5})") == errc::invalid_field);
  CHECK(f.code_of("incr", R"({"by":"1"})") == errc::invalid_field);
  CHECK(f.code_of("incr", R"({"by":1,"extra":2})") == errc::invalid_field);
  CHECK(f.code_of("incr", R"({"by":1,})") == errc::invalid_json);
  CHECK(f.code_of("incr", R"({"by":1,"by":2})") == errc::invalid_json);
  CHECK(f.code_of("incr", "[1]") == errc::invalid_field);
  CHECK(f.code_of("get", R"({"by":1})") == errc::invalid_field);
  CHECK(f.code_of("decr", "") == errc::unknown_method);
  CHECK(f.call("get") == R"({"value":3})");
}
