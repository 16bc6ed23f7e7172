// Stored task records read back (decode_task): what encode_task wrote comes back the same, and a
// damaged record is a storage_failure, never undefined behaviour. Cases found by fuzzing
// (tests/fuzz/fuzz_storage_records.cpp) are kept here.
#include <doctest/doctest.h>

#include "error_code_of.hpp"
#include "execution/task_record.hpp"
#include "persistence/error.hpp"

using namespace dort;
using dort::test::code_of;

TEST_SUITE_BEGIN("without_caf");

TEST_CASE("a stored task record decodes to what was encoded") {
  task_record t;
  t.id = "task-1";
  t.name = "echo";
  t.input = R"({"n":1.10,"big":123456789012345678901234567890})";
  t.priority = -7;
  t.status = task_status::failed;
  t.has_result = true;
  t.error = "boom";
  t.attempts = 3;
  t.seq = 42;
  auto stored = encode_task(t);
  CHECK(encode_task(decode_task(stored)) == stored);
  CHECK(decode_task(stored).input == t.input);
}

TEST_CASE("a stored number beyond int64 is a damaged record - not undefined behaviour") {
  for (auto number : {"1e300", "-1e300", "9223372036854775808.0", "1e19"}) {
    CAPTURE(number);
    auto stored = std::string{R"({"id":"c","name":"echo","status":"pending","priority":)"} +
                  number + "}";
    CHECK(code_of([&] { decode_task(stored); }) == errc::storage_failure);
  }
  CHECK(decode_task(R"({"id":"c","name":"echo","status":"pending","priority":5.0})").priority == 5);
}

TEST_CASE("a NUL byte in a stored JSON value is a damaged record - not an assertion when written") {
  using namespace std::string_literals;
  auto stored = R"({"id":"b","name":"wait","status":"running","input":{"duration":)"s +
                std::string(3, '\0') + R"("PT2S"}})";
  CHECK(code_of([&] { decode_task(stored); }) == errc::storage_failure);
  auto output = R"({"id":"b","name":"echo","status":"completed","result":{"output":[1,)"s +
                std::string(1, '\0') + "]}}";
  CHECK(code_of([&] { decode_task(output); }) == errc::storage_failure);
}

TEST_CASE("a stored integral multiplier beyond int64 is written back as the number it is") {
  auto stored = decode_task(
      R"({"id":"b","name":"wait","status":"pending","config":{"backoffMultiplier":4.4e44}})");
  CHECK(decode_task(encode_task(stored)).config.backoff_multiplier == 4.4e44);
}

TEST_CASE("a negative stored counter is a damaged record - not a huge one that no longer decodes") {
  for (auto field : {R"("_seq":-2)", R"("_events":-1)", R"("_seq":1.5)", R"("_events":4294967296)"}) {
    CAPTURE(field);
    auto stored = std::string{R"({"id":"c","name":"echo","status":"pending",)"} + field + "}";
    CHECK(code_of([&] { decode_task(stored); }) == errc::storage_failure);
  }
  task_record t;
  t.id = "c";
  t.name = "echo";
  t.seq = UINT64_MAX;
  t.events = UINT32_MAX;
  auto stored = encode_task(t);
  CHECK(decode_task(stored).seq == UINT64_MAX);
  CHECK(decode_task(stored).events == UINT32_MAX);
  CHECK(encode_task(decode_task(stored)) == stored);
}

TEST_SUITE_END();
