// The built-in `http` task end to end: `dort serve` calls the tests' own scripted endpoint
// (http_endpoint.hpp) on loopback. Real time: the tests assert outcomes, attempt counts and what
// the endpoint received, never durations.
#include <doctest/doctest.h>

#include <filesystem>
#include <chrono>
#include <string>
#include <thread>

#include "actors/json_reader.hpp"
#include "http_client.hpp"
#include "http_endpoint.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

using dort::json_object_reader;
using dort::test::endpoint_response;
using dort::test::http_connection;
using dort::test::http_endpoint;
using dort::test::json_response;
using dort::test::redirect_to;
using dort::test::server_process;
using dort::test::status_response;
using dort::test::temp_dir;

namespace {

/// Long enough for sanitizer builds on a busy machine; a passing test never waits this long.
constexpr auto final_state_limit = std::chrono::seconds{30};

/// Retries quick enough for a test; the jitter is at most 25 % of it.
constexpr const char* quick_retries = R"({"initialRetryDelay":10,"maxRetryDelay":10})";

struct task_view {
  std::string status;
  std::int64_t attempts = 0;
  std::string error;
  std::string output;
};

task_view view_of(const std::string& record) {
  json_object_reader r{record};
  task_view v;
  v.status = r.string("status").value_or("");
  if (auto result = r.raw("result")) {
    json_object_reader res{*result, "result"};
    v.attempts = res.int64("attempts").value_or(0);
    v.error = res.string("error").value_or("");
    v.output = res.raw("output").value_or("");
  }
  return v;
}

bool is_final(const std::string& status) {
  return status == "completed" || status == "failed" || status == "cancelled";
}

/// Polls the task's record until it is final (or the limit passes: then it fails the test).
task_view final_task(http_connection& c, const std::string& id) {
  auto limit = std::chrono::steady_clock::now() + final_state_limit;
  for (;;) {
    auto r = c.request("GET", "/v1/executions/calls/tasks/" + id);
    REQUIRE(r.status == 200);
    auto v = view_of(r.body);
    if (is_final(v.status)) return v;
    REQUIRE(std::chrono::steady_clock::now() < limit);
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
}

/// Submits an `http` task `id` with `input` (JSON) and `config` (JSON); requires 201.
void submit(http_connection& c, const std::string& id, const std::string& input,
            const std::string& config = quick_retries) {
  auto r = c.request("POST", "/v1/executions/calls/tasks",
                     R"({"id":")" + id + R"(","name":"http","input":)" + input +
                         R"(,"config":)" + config + "}");
  REQUIRE(r.status == 201);
}

/// An input calling `url` with `method` and nothing else.
std::string call(const std::string& url, const std::string& method = "GET") {
  return R"({"url":")" + url + R"(","method":")" + method + R"("})";
}

/// Threads of process `pid` now.
std::size_t threads_of(pid_t pid) {
  std::size_t n = 0;
  for ([[maybe_unused]] auto& e :
       std::filesystem::directory_iterator{"/proc/" + std::to_string(pid) + "/task"})
    ++n;
  return n;
}

}  // namespace

TEST_SUITE_BEGIN("http_task");

TEST_CASE("an http task retried after 503 twice completes with the status and the parsed body") {
  http_endpoint endpoint;
  endpoint.script("/pay", {status_response(503), status_response(503),
                           json_response(R"({"ok": true, "n": 7, "price": 1.10, "id": 12345678901234567})")});
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  submit(c, "pay",
         R"({"url":")" + endpoint.url("/pay") +
             R"(","headers":{"X-Token":"abc"},"body":{"amount":12.50}})");
  auto task = final_task(c, "pay");
  CHECK(task.status == "completed");
  CHECK(task.attempts == 3);
  CHECK(task.output ==
        R"({"status":200,"body":{"ok":true,"n":7,"price":1.10,"id":12345678901234567}})");
  auto requests = endpoint.requests("/pay");
  REQUIRE(requests.size() == 3);
  for (auto& r : requests) {
    CHECK(r.method == "POST");  // the default method
    CHECK(r.header("x-token") == "abc");
    CHECK(r.header("content-type") == "application/json");
    CHECK(r.body == R"({"amount":12.50})");  // the digits as written
  }
  CHECK(server.stop() == 0);
}

TEST_CASE("an http 404 fails the task at once and puts it in the dead-letter list") {
  http_endpoint endpoint;  // nothing scripted: every path answers 404
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  submit(c, "missing", call(endpoint.url("/nowhere")));
  auto task = final_task(c, "missing");
  CHECK(task.status == "failed");
  CHECK(task.attempts == 1);
  CHECK(task.error.find("404") != std::string::npos);
  CHECK(endpoint.requests().size() == 1);
  CHECK(c.request("GET", "/v1/executions/calls/dlq").body.find(R"("id":"missing")") !=
        std::string::npos);
  CHECK(server.stop() == 0);
}

TEST_CASE("http 429 and 408 are retried like server errors") {
  http_endpoint endpoint;
  endpoint.script("/busy", {status_response(429), status_response(408),
                            json_response(R"({"done":1})")});
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  submit(c, "busy", call(endpoint.url("/busy")));
  auto task = final_task(c, "busy");
  CHECK(task.status == "completed");
  CHECK(task.attempts == 3);
  CHECK(task.output == R"({"status":200,"body":{"done":1}})");
  CHECK(server.stop() == 0);
}

TEST_CASE("an http call past the task timeout fails its attempt and its late answer is ignored") {
  http_endpoint endpoint;
  auto slow = json_response(R"({"from":"slow"})");
  slow.delay_ms = 2'000;
  endpoint.script("/slow", {slow, json_response(R"({"from":"retry"})")});
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  submit(c, "slow", call(endpoint.url("/slow")),
         R"({"timeout":300,"initialRetryDelay":10,"maxRetryDelay":10,"maxRetries":5})");
  auto task = final_task(c, "slow");
  CHECK(task.status == "completed");
  CHECK(task.attempts >= 2);
  CHECK(task.output == R"({"status":200,"body":{"from":"retry"}})");
  // Once the slow request has ended (answered late, or abandoned by the aborted call), the record
  // still holds the retry's output.
  auto limit = std::chrono::steady_clock::now() + final_state_limit;
  while (endpoint.answered() + endpoint.abandoned() < static_cast<int>(endpoint.requests().size())) {
    REQUIRE(std::chrono::steady_clock::now() < limit);
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  CHECK(final_task(c, "slow").output == task.output);
  http_connection events{server.port()};
  events.send_raw("GET /v1/executions/calls/tasks/slow/events HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(events.read_until_closed().find("timed out after 300 ms") != std::string::npos);
  CHECK(server.stop() == 0);
}

TEST_CASE("cancelling a task whose http call is in flight aborts the call") {
  http_endpoint endpoint;
  auto held = json_response(R"({"from":"held"})");
  held.delay_ms = 25'000;  // longer than a passing test waits: only an abort ends it sooner
  endpoint.script("/held", {held});
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  submit(c, "held", call(endpoint.url("/held")), R"({"timeout":60000})");
  auto limit = std::chrono::steady_clock::now() + final_state_limit;
  while (endpoint.requests("/held").empty()) {
    REQUIRE(std::chrono::steady_clock::now() < limit);
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  auto cancelled = c.request("POST", "/v1/executions/calls/tasks/held/cancel");
  REQUIRE(cancelled.status == 200);
  CHECK(view_of(cancelled.body).status == "cancelled");
  while (endpoint.abandoned() == 0 && endpoint.answered() == 0) {
    REQUIRE(std::chrono::steady_clock::now() < limit);
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  CHECK(endpoint.abandoned() == 1);
  CHECK(endpoint.answered() == 0);
  CHECK(final_task(c, "held").status == "cancelled");
  CHECK(server.stop() == 0);
}

TEST_CASE("a refused connection is retried until maxRetries and then fails the task") {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  auto nobody = "http://127.0.0.1:" + std::to_string(dort::test::free_port()) + "/";
  submit(c, "refused", call(nobody),
         R"({"maxRetries":2,"initialRetryDelay":10,"maxRetryDelay":10})");
  auto task = final_task(c, "refused");
  CHECK(task.status == "failed");
  CHECK(task.attempts == 3);
  CHECK(task.error.find("connect") != std::string::npos);
  CHECK(server.stop() == 0);
}

TEST_CASE("a redirect is followed to the answer") {
  http_endpoint endpoint;
  endpoint.script("/old", {redirect_to("/new")});
  endpoint.script("/new", {json_response(R"({"moved":true})")});
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  submit(c, "moved", call(endpoint.url("/old")));
  auto task = final_task(c, "moved");
  CHECK(task.status == "completed");
  CHECK(task.attempts == 1);
  CHECK(task.output == R"({"status":200,"body":{"moved":true}})");
  auto requests = endpoint.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].path == "/old");
  CHECK(requests[1].path == "/new");
  CHECK(server.stop() == 0);
}

TEST_CASE("more than five redirects fail the task at once") {
  http_endpoint endpoint;
  endpoint.script("/loop", {redirect_to("/loop")});
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  submit(c, "loop", call(endpoint.url("/loop")));
  auto task = final_task(c, "loop");
  CHECK(task.status == "failed");
  CHECK(task.attempts == 1);
  CHECK(task.error.find("redirects") != std::string::npos);
  CHECK(endpoint.requests().size() == 6);  // the first request and five redirects
  CHECK(server.stop() == 0);
}

TEST_CASE("a string body is sent as is and a non-JSON answer becomes a string") {
  http_endpoint endpoint;
  endpoint.script("/text", {endpoint_response{200, "plain words", {{"Content-Type", "text/plain"}}, 0}});
  endpoint.script("/broken", {json_response("{not json")});
  endpoint.script("/typed", {endpoint_response{200, R"({"a": [1, 2]})",
                                              {{"Content-Type", "application/problem+json"}}, 0}});
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  submit(c, "text",
         R"({"url":")" + endpoint.url("/text") + R"(","method":"PUT","body":"a=1&b={2}"})");
  submit(c, "broken", call(endpoint.url("/broken")));
  submit(c, "typed", call(endpoint.url("/typed")));
  auto text = final_task(c, "text");
  CHECK(text.status == "completed");
  CHECK(text.output == R"({"status":200,"body":"plain words"})");
  auto sent = endpoint.requests("/text");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].method == "PUT");
  CHECK(sent[0].body == "a=1&b={2}");
  CHECK(sent[0].header("content-type").find("application/json") == std::string::npos);
  // JSON by its type but not valid JSON: kept as the text it is.
  CHECK(final_task(c, "broken").output == R"({"status":200,"body":"{not json"})");
  CHECK(final_task(c, "typed").output == R"({"status":200,"body":{"a":[1,2]}})");
  CHECK(server.stop() == 0);
}

TEST_CASE("an empty answer gives a null body") {
  http_endpoint endpoint;
  endpoint.script("/none", {status_response(204)});
  endpoint.script("/head", {status_response(200, "ignored by HEAD")});
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  submit(c, "none", call(endpoint.url("/none"), "DELETE"));
  submit(c, "head", call(endpoint.url("/head"), "HEAD"));
  CHECK(final_task(c, "none").output == R"({"status":204,"body":null})");
  CHECK(final_task(c, "head").output == R"({"status":200,"body":null})");
  CHECK(endpoint.requests("/none").at(0).method == "DELETE");
  CHECK(endpoint.requests("/head").at(0).method == "HEAD");
  CHECK(server.stop() == 0);
}

TEST_CASE("an answer over the output limit fails the task at once with output_too_large") {
  http_endpoint endpoint;
  endpoint.script("/big", {status_response(200, std::string(1024 * 1024, 'x'))});
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  submit(c, "big", call(endpoint.url("/big")));
  auto task = final_task(c, "big");
  CHECK(task.status == "failed");
  CHECK(task.attempts == 1);
  CHECK(task.error == "output_too_large");
  CHECK(server.stop() == 0);
}

TEST_CASE("http calls in flight hold no thread each") {
  constexpr int calls = 64;
  http_endpoint endpoint;
  auto slow = json_response("{}");
  slow.delay_ms = 3'000;
  endpoint.script("/wait", {slow});
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  REQUIRE(c.request("PUT", "/v1/executions/calls/config", R"({"concurrency":)" +
                                                               std::to_string(calls) + "}")
              .status == 200);
  for (int i = 0; i < calls; ++i) submit(c, "w" + std::to_string(i), call(endpoint.url("/wait")));
  // All calls are in flight at once when the endpoint holds every one of them unanswered.
  auto limit = std::chrono::steady_clock::now() + final_state_limit;
  while (endpoint.requests().size() < calls) {
    REQUIRE(std::chrono::steady_clock::now() < limit);
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  auto threads = threads_of(server.child().pid());
  auto answered = endpoint.answered();
  CHECK(answered < calls);
  CHECK(threads < calls);
  for (int i = 0; i < calls; ++i)
    CHECK(final_task(c, "w" + std::to_string(i)).status == "completed");
  CHECK(server.stop() == 0);
}

TEST_CASE("an http call in flight at a stop is made again after the restart") {
  http_endpoint endpoint;
  auto hanging = json_response(R"({"from":"before the stop"})");
  hanging.delay_ms = 60'000;  // never answered while the first server runs
  endpoint.script("/hang", {hanging, json_response(R"({"from":"after the restart"})")});
  temp_dir dir;
  {
    server_process server{dir, {"--shutdown-timeout-ms", "1000"}};
    http_connection c{server.port()};
    submit(c, "hang", call(endpoint.url("/hang")));
    auto limit = std::chrono::steady_clock::now() + final_state_limit;
    while (endpoint.requests().empty()) {
      REQUIRE(std::chrono::steady_clock::now() < limit);
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    CHECK(server.stop() == 0);
  }
  server_process server{dir};
  http_connection c{server.port()};
  auto task = final_task(c, "hang");
  CHECK(task.status == "completed");
  CHECK(task.output == R"({"status":200,"body":{"from":"after the restart"}})");
  CHECK(task.attempts == 1);  // the call cut short by the stop does not count (API.md)
  CHECK(endpoint.requests("/hang").size() == 2);
  CHECK(server.stop() == 0);
}

TEST_CASE("http input is checked at submit") {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  auto field_of_rejected = [&](const std::string& input) {
    auto r = c.request("POST", "/v1/executions/calls/tasks",
                       R"({"name":"http","input":)" + input + "}");
    CHECK(r.status == 400);
    CHECK(r.body.find(R"("code":"invalid_field")") != std::string::npos);
    json_object_reader body{r.body};
    json_object_reader error{*body.raw("error"), "error"};
    return error.string("field").value_or("");
  };
  CHECK(field_of_rejected("{}") == "input.url");
  CHECK(field_of_rejected(R"({"method":"GET"})") == "input.url");
  CHECK(field_of_rejected(R"({"url":"ftp://example.com/file"})") == "input.url");
  CHECK(field_of_rejected(R"({"url":"no url at all"})") == "input.url");
  CHECK(field_of_rejected(R"({"url":17})") == "input.url");
  CHECK(field_of_rejected(R"({"url":"http://x.test/","method":"FETCH"})") == "input.method");
  CHECK(field_of_rejected(R"({"url":"http://x.test/","method":"get"})") == "input.method");
  CHECK(field_of_rejected(R"({"url":"http://x.test/","headers":{"A":1}})") == "input.headers");
  CHECK(field_of_rejected(R"({"url":"http://x.test/","headers":["A"]})") == "input.headers");
  CHECK(field_of_rejected(R"({"url":"http://x.test/","headers":{"A":"1\r\nB: 2"}})") ==
        "input.headers");
  CHECK(field_of_rejected(R"({"url":"http://x.test/","method":"HEAD","body":"x"})") ==
        "input.body");
  CHECK(field_of_rejected(R"({"url":"http://x.test/","nope":1})") == "input.nope");
  CHECK(c.request("GET", "/v1/executions/calls/tasks").body == R"({"tasks":[],"nextCursor":null})");
  CHECK(server.stop() == 0);
}

TEST_SUITE_END();
