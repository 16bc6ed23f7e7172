// Every class of malformed request, sent to the real `dort serve`, gets API.md's exact status
// and error code (and field, where API.md names one), and leaves stored state as it was.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "actors/json_reader.hpp"
#include "http_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

using dort::json_object_reader;
using dort::test::http_connection;
using dort::test::http_reply;
using dort::test::server_process;
using dort::test::temp_dir;

namespace {

constexpr std::size_t body_limit_bytes = 400'000;  // the server's --max-body-bytes here

struct bad_request {
  std::string what;
  std::string method;
  std::string target;
  std::string body;
  int status;
  std::string code;
  std::string field = {};  // empty: not checked
  std::map<std::string, std::string> headers = {{"Content-Type", "application/json"}};
};

std::vector<bad_request> bad_requests() {
  const std::string incr = "/v1/objects/counter/c/incr";
  const std::string arm = "/v1/objects/reminder/r/arm";
  const std::string submit = "/v1/executions/e/tasks";
  const std::string deep = std::string(65, '[') + std::string(65, ']');
  return {
      // Bad JSON (DESIGN.md's list): syntax, trailing data, duplicates, depth, UTF-8.
      {"unclosed object", "POST", incr, "{", 400, "invalid_json", "$"},
      {"trailing data", "POST", incr, R"({"by":1} x)", 400, "invalid_json", "$"},
      {"second document", "POST", incr, R"({"by":1}{"by":1})", 400, "invalid_json", "$"},
      {"trailing comma", "POST", incr, R"({"by":1,})", 400, "invalid_json", "$"},
      {"duplicate key", "POST", incr, R"({"by":1,"by":2})", 400, "invalid_json", "$"},
      {"nested duplicate key", "POST", submit, R"({"name":"echo","input":{"a":1,"a":2}})", 400,
       "invalid_json", "$"},
      {"deeper than 64", "POST", submit, R"({"name":"echo","input":)" + deep + "}", 400,
       "invalid_json", "$"},
      {"invalid UTF-8 in a string", "POST", incr, "{\"by\":1,\"x\":\"\xff\"}", 400, "invalid_json",
       "$"},
      {"single quotes", "POST", incr, "{'by':1}", 400, "invalid_json", "$"},
      {"bare word", "POST", incr, "{\"by\":NaN}", 400, "invalid_json", "$"},
      // Valid JSON numbers that do not fit an integer field: the field is at fault.
      {"integer beyond 64 bits", "POST", incr, R"({"by":123456789012345678901234567890})", 400,
       "invalid_field", "by"},
      {"number beyond double", "POST", incr, R"({"by":1e400})", 400, "invalid_field", "by"},
      {"priority beyond 64 bits", "POST", submit,
       R"({"name":"echo","priority":99999999999999999999999})", 400, "invalid_field", "priority"},
      // A body that must be an object but is not.
      {"array body", "POST", incr, "[1]", 400, "invalid_field", "$"},
      {"number body", "POST", submit, "1", 400, "invalid_field", "$"},
      // Wrong types and ranges.
      {"string for int", "POST", incr, R"({"by":"1"})", 400, "invalid_field", "by"},
      {"fraction for int", "POST", incr, R"({"by":1.5})", 400, "invalid_field", "by"},
      {"bool for int", "POST", incr, R"({"by":true})", 400, "invalid_field", "by"},
      {"counter overflow", "POST", incr, R"({"by":9223372036854775807})", 400, "invalid_field",
       "by"},
      {"negative delay", "POST", arm, R"({"delayMs":-1})", 400, "invalid_field", "delayMs"},
      {"delay over a year", "POST", arm, R"({"delayMs":31536000001})", 400, "invalid_field",
       "delayMs"},
      {"missing delay", "POST", arm, "{}", 400, "missing_field", "delayMs"},
      {"unknown field", "POST", incr, R"({"by":1,"bye":2})", 400, "invalid_field", "bye"},
      {"missing task name", "POST", submit, "{}", 400, "missing_field", "name"},
      {"unknown task name", "POST", submit, R"({"name":"nope"})", 400, "invalid_field", "name"},
      {"priority too high", "POST", submit, R"({"name":"echo","priority":1000001})", 400,
       "invalid_field", "priority"},
      {"priority not an int", "POST", submit, R"({"name":"echo","priority":"high"})", 400,
       "invalid_field", "priority"},
      {"unknown config field", "POST", submit, R"({"name":"echo","config":{"retries":1}})", 400,
       "invalid_field", "config.retries"},
      {"maxRetries too high", "POST", submit, R"({"name":"echo","config":{"maxRetries":1001}})",
       400, "invalid_field", "config.maxRetries"},
      {"multiplier below 1", "POST", submit,
       R"({"name":"echo","config":{"backoffMultiplier":0.5}})", 400, "invalid_field",
       "config.backoffMultiplier"},
      {"zero timeout", "POST", submit, R"({"name":"echo","config":{"timeout":0}})", 400,
       "invalid_field", "config.timeout"},
      {"rate limit without window", "POST", submit,
       R"({"name":"echo","config":{"rateLimit":{"maxExecutions":1}}})", 400, "missing_field",
       "config.rateLimit.windowMs"},
      {"wait with a bad duration", "POST", submit, R"({"name":"wait","input":{"duration":"P1Y"}})",
       400, "invalid_field", "input.duration"},
      {"delay not an int", "POST", submit, R"({"name":"echo","delayMs":1.5})", 400,
       "invalid_field", "delayMs"},
      {"concurrency zero", "PUT", "/v1/executions/e/config", R"({"concurrency":0})", 400,
       "invalid_field", "concurrency"},
      {"config not an object", "PUT", "/v1/executions/e/config", R"({"config":[]})", 400,
       "invalid_field", "config"},
      // Oversized names, ids, keys, inputs, metadata and bodies.
      {"task id over 256 bytes", "POST", submit,
       R"({"name":"echo","id":")" + std::string(257, 'i') + "\"}", 400, "invalid_field", "id"},
      {"idempotency key over 256 bytes", "POST", submit,
       R"({"name":"echo","idempotencyKey":")" + std::string(257, 'k') + "\"}", 400,
       "invalid_field", "idempotencyKey"},
      {"empty task id", "POST", submit, R"({"name":"echo","id":""})", 400, "invalid_field", "id"},
      {"input over 256 KiB", "POST", submit,
       R"({"name":"echo","input":")" + std::string(262'145, 'x') + "\"}", 413, "too_large"},
      {"metadata over 16 KiB", "POST", submit,
       R"({"name":"echo","metadata":{"m":")" + std::string(16'385, 'x') + "\"}}", 413,
       "too_large"},
      {"body over the limit", "POST", incr,
       R"({"by":1,"pad":")" + std::string(body_limit_bytes, ' ') + "\"}", 413, "too_large"},
      {"object name over 256 bytes", "POST", "/v1/objects/counter/" + std::string(257, 'n') + "/incr",
       "", 400, "invalid_field", "name"},
      // Unknown routes, classes, methods and tasks.
      {"no such route", "GET", "/v1/nothing", "", 404, "not_found"},
      {"no such version", "POST", "/v2/objects/counter/c/incr", "", 404, "not_found"},
      {"too few segments", "POST", "/v1/objects/counter/c", "", 404, "not_found"},
      {"unknown class", "POST", "/v1/objects/nope/c/incr", "", 404, "unknown_class"},
      {"unknown method", "POST", "/v1/objects/counter/c/fly", "", 404, "unknown_method"},
      {"unknown task", "GET", "/v1/executions/e/tasks/none", "", 404, "task_not_found"},
      {"cancel unknown task", "POST", "/v1/executions/e/tasks/none/cancel", "", 404,
       "task_not_found"},
      {"events of unknown task", "GET", "/v1/executions/e/tasks/none/events", "", 404,
       "task_not_found"},
      // Bad percent-encoding and UTF-8 in path segments.
      {"bad escape in name", "POST", "/v1/objects/counter/c%G1/incr", "", 400, "invalid_field",
       "name"},
      {"cut escape in name", "POST", "/v1/objects/counter/c%4/incr", "", 400, "invalid_field",
       "name"},
      {"invalid UTF-8 in name", "POST", "/v1/objects/counter/c%FF/incr", "", 400, "invalid_field",
       "name"},
      {"overlong UTF-8 in name", "POST", "/v1/objects/counter/%C0%AF/incr", "", 400,
       "invalid_field", "name"},
      {"bad escape in task id", "GET", "/v1/executions/e/tasks/t%ZZ", "", 400, "invalid_field",
       "id"},
      // Query parameters.
      {"limit zero", "GET", "/v1/executions/e/tasks?limit=0", "", 400, "invalid_field", "limit"},
      {"limit over 1000", "GET", "/v1/executions/e/tasks?limit=1001", "", 400, "invalid_field",
       "limit"},
      {"limit not a number", "GET", "/v1/executions/e/dlq?limit=ten", "", 400, "invalid_field",
       "limit"},
      {"cursor not issued", "GET", "/v1/executions/e/tasks?cursor=abc", "", 400, "invalid_field",
       "cursor"},
      {"unknown status filter", "GET", "/v1/executions/e/tasks?status=done", "", 400,
       "invalid_field", "status"},
      // Methods and media types.
      {"GET on an object", "GET", incr, "", 405, "method_not_allowed"},
      {"DELETE on tasks", "DELETE", submit, "", 405, "method_not_allowed"},
      {"POST on healthz", "POST", "/healthz", "", 405, "method_not_allowed"},
      {"PUT on metrics", "PUT", "/metrics", "", 405, "method_not_allowed"},
      {"text body", "POST", incr, R"({"by":1})", 415, "unsupported_media_type", "",
       {{"Content-Type", "text/plain"}}},
      {"form body", "POST", submit, "name=echo", 415, "unsupported_media_type", "",
       {{"Content-Type", "application/x-www-form-urlencoded"}}},
      // Checks in API.md's order: the first failing one answers.
      {"route before body", "POST", "/v1/nothing", "{", 404, "not_found"},
      {"method before segments", "GET", "/v1/objects/counter/c%G1/incr", "", 405,
       "method_not_allowed"},
      {"segments before class", "POST", "/v1/objects/nope/c%G1/incr", "", 400, "invalid_field",
       "name"},
      {"class before size", "POST", "/v1/objects/nope/c/incr",
       std::string(body_limit_bytes + 1, ' '), 404, "unknown_class"},
      {"size before media type", "POST", incr, std::string(body_limit_bytes + 1, ' '), 413,
       "too_large", "", {{"Content-Type", "text/plain"}}},
      {"media type before JSON", "POST", incr, "{", 415, "unsupported_media_type", "",
       {{"Content-Type", "text/plain"}}},
      {"JSON before fields", "POST", submit, R"({"name":1,)", 400, "invalid_json", "$"},
  };
}

/// What the table must not change: the counter, the reminder, the execution's tasks.
std::string state_of(http_connection& c) {
  return c.request("POST", "/v1/objects/counter/c/get").body + "\n" +
         c.request("POST", "/v1/objects/reminder/r/status").body + "\n" +
         c.request("GET", "/v1/executions/e/tasks").body + "\n" +
         c.request("GET", "/v1/executions/e/metrics").body;
}

}  // namespace

TEST_SUITE_BEGIN("server");

TEST_CASE("every class of malformed request gets its exact status and code and changes nothing") {
  temp_dir dir;
  server_process server{dir, {"--max-body-bytes", std::to_string(body_limit_bytes)}};
  http_connection c{server.port()};
  REQUIRE(c.request("POST", "/v1/objects/counter/c/incr", R"({"by":5})").body ==
          R"({"value":5})");
  REQUIRE(c.request("POST", "/v1/objects/reminder/r/arm", R"({"delayMs":3600000})").status == 200);
  REQUIRE(c.request("POST", "/v1/executions/e/tasks", R"({"id":"kept","name":"echo"})").status ==
          201);
  const auto before = state_of(c);

  for (const auto& bad : bad_requests()) {
    CAPTURE(bad.what);
    // Its own connection: a refused body may close the connection.
    http_connection one{server.port()};
    http_reply r = one.request(bad.method, bad.target, bad.body, bad.headers);
    CHECK(r.status == bad.status);
    REQUIRE(r.status != 0);
    json_object_reader body{r.body};
    json_object_reader error{*body.raw("error")};
    CHECK(error.string("code") == bad.code);
    CHECK_FALSE(error.string("message").value_or("").empty());
    if (!bad.field.empty()) CHECK(error.string("field") == bad.field);
    if (bad.status == 405) CHECK_FALSE(r.header("allow").empty());
  }
  CHECK(state_of(c) == before);
  CHECK(server.stop() == 0);
}

TEST_SUITE_END();
