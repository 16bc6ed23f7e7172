// End-to-end tests over HTTP of what queue users expect (API.md "Manage" settings, "Retention
// and purge", "Schedules", "Circuit breaker for http tasks", groups): the real `dort serve`.
// Real time: they assert outcomes and order, never durations.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include "actors/json_reader.hpp"
#include "http_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

using dort::json_object_reader;
using dort::test::http_connection;
using dort::test::server_process;
using dort::test::temp_dir;

namespace {

constexpr std::string_view default_settings =
    R"({"config":{"maxRetries":3,"initialRetryDelay":1000,"maxRetryDelay":60000,)"
    R"("backoffMultiplier":2,"timeout":30000},"concurrency":16,"groups":{"concurrency":null,)"
    R"("rateLimit":null,"maxQueued":null},"retention":{"completedMs":604800000,"failedMs":)"
    R"(2592000000},"circuitBreaker":{"failureThreshold":5,"openMs":30000}})";

/// Polls task `id` of `exec` until it is completed; returns its `result` object (empty if it
/// never completed).
std::string completed_result(http_connection& c, const std::string& exec, const std::string& id) {
  constexpr std::string_view completed = R"("status":"completed")";
  auto body = dort::test::await_body(c, "GET", "/v1/executions/" + exec + "/tasks/" + id,
                                     std::string{completed});
  if (body.find(completed) == std::string::npos) return {};
  return std::string{*json_object_reader{body}.raw("result")};
}

std::int64_t field_of(const std::string& result, const char* name) {
  return json_object_reader{result}.int64(name).value_or(-1);
}

}  // namespace

TEST_SUITE_BEGIN("server");

TEST_CASE("GET config of an execution never configured answers the defaults and creates nothing") {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  REQUIRE(c.connected());
  auto r = c.request("GET", "/v1/executions/fresh/config");
  CHECK(r.status == 200);
  CHECK(r.body == default_settings);
  // A PUT that changes nothing answers the same and stores nothing.
  auto same = c.request("PUT", "/v1/executions/fresh/config", R"({"concurrency":16})");
  CHECK(same.status == 200);
  CHECK(same.body == default_settings);
  auto wrong = c.request("POST", "/v1/executions/fresh/config", "{}");
  CHECK(wrong.status == 405);
  CHECK(wrong.header("allow") == "GET, PUT");
  CHECK(server.stop() == 0);
}

TEST_CASE("PUT config merges every setting and answers all of them - kept across a restart") {
  temp_dir dir;
  std::string answer;
  {
    server_process server{dir};
    http_connection c{server.port()};
    REQUIRE(c.connected());
    auto r = c.request("PUT", "/v1/executions/jobs/config",
                       R"({"groups":{"concurrency":2,"rateLimit":{"maxExecutions":5,"windowMs":1000}},)"
                       R"("retention":{"completedMs":1000},"circuitBreaker":null,)"
                       R"("config":{"rateLimit":{"maxExecutions":1,"windowMs":10}}})");
    CHECK(r.status == 200);
    answer = r.body;
    CHECK(answer ==
          R"({"config":{"maxRetries":3,"initialRetryDelay":1000,"maxRetryDelay":60000,)"
          R"("backoffMultiplier":2,"timeout":30000,"rateLimit":{"maxExecutions":1,"windowMs":10}},)"
          R"("concurrency":16,"groups":{"concurrency":2,"rateLimit":{"maxExecutions":5,)"
          R"("windowMs":1000},"maxQueued":null},"retention":{"completedMs":1000,"failedMs":)"
          R"(2592000000},"circuitBreaker":null})");
    auto refused = c.request("PUT", "/v1/executions/jobs/config",
                             R"({"circuitBreaker":{"openMs":0}})");
    CHECK(refused.status == 400);
    CHECK(refused.body.find(R"("field":"circuitBreaker.openMs")") != std::string::npos);
    CHECK(server.stop() == 0);
  }
  server_process again{dir};
  http_connection c{again.port()};
  REQUIRE(c.connected());
  CHECK(c.request("GET", "/v1/executions/jobs/config").body == answer);
  CHECK(again.stop() == 0);
}

TEST_CASE("a finished task whose retention has passed is deleted by the execution - over HTTP") {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  REQUIRE(c.connected());
  REQUIRE(c.request("PUT", "/v1/executions/short/config", R"({"retention":{"completedMs":0}})")
              .status == 200);
  const std::string tasks = "/v1/executions/short/tasks";
  REQUIRE(c.request("POST", tasks, R"({"id":"a","name":"echo","idempotencyKey":"k"})").status ==
          201);
  int status = 200;
  for (int i = 0; i < 2'000 && status == 200; ++i) {
    status = c.request("GET", tasks + "/a").status;
    if (status == 200) std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  CHECK(status == 404);
  CHECK(c.request("GET", "/v1/executions/short/metrics").body.find(R"("total":0)") !=
        std::string::npos);
  // Its id and key are free again.
  CHECK(c.request("POST", tasks, R"({"id":"a","name":"echo","idempotencyKey":"k"})").status ==
        201);
  CHECK(server.stop() == 0);
}

TEST_CASE("a group past its maxQueued answers 429 with retryAfterMs - its record shows the group") {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  REQUIRE(c.connected());
  REQUIRE(c.request("PUT", "/v1/executions/g/config", R"({"groups":{"maxQueued":1}})").status ==
          200);
  const std::string tasks = "/v1/executions/g/tasks";
  auto first = c.request("POST", tasks, R"({"id":"a","name":"echo","group":"u1","delayMs":600000})");
  CHECK(first.status == 201);
  CHECK(first.body.find(R"("group":"u1")") != std::string::npos);
  auto refused = c.request("POST", tasks, R"({"name":"echo","group":"u1"})");
  CHECK(refused.status == 429);
  CHECK(refused.body.find(R"("code":"backpressure")") != std::string::npos);
  CHECK(refused.body.find(R"("retryAfterMs":)") != std::string::npos);
  CHECK(c.request("POST", tasks, R"({"name":"echo","group":"u2"})").status == 201);
  CHECK(c.request("POST", tasks, R"({"name":"echo","group":""})").status == 400);
  CHECK(server.stop() == 0);
}

TEST_CASE("groups take turns over HTTP - then tasks without a group as one group of their own") {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  REQUIRE(c.connected());
  REQUIRE(c.request("PUT", "/v1/executions/turns/config", R"({"concurrency":1})").status == 200);
  const std::string tasks = "/v1/executions/turns/tasks";
  auto sleeper = [](const std::string& id, const std::string& group, int ms) {
    return R"({"id":")" + id + R"(","name":"sleep","input":{"ms":)" + std::to_string(ms) + "}" +
           (group.empty() ? "" : R"(,"group":")" + group + "\"") + "}";
  };
  REQUIRE(c.request("POST", tasks, sleeper("blocker", "", 300)).status == 201);
  for (auto [id, group] : {std::pair{"a1", "a"}, {"a2", "a"}, {"a3", "a"}, {"n1", ""}, {"b1", "b"}})
    REQUIRE(c.request("POST", tasks, sleeper(id, group, 20)).status == 201);
  std::vector<std::int64_t> starts;
  for (auto id : {"blocker", "a1", "b1", "n1", "a2", "a3"}) {
    auto result = completed_result(c, "turns", id);
    REQUIRE_MESSAGE(!result.empty(), id);
    starts.push_back(field_of(result, "startedAt"));
  }
  // One slot: each start comes after the one before ended, so the times are in start order.
  for (std::size_t i = 1; i < starts.size(); ++i) CHECK(starts[i - 1] < starts[i]);
  CHECK(server.stop() == 0);
}

TEST_CASE("a group's concurrency and rateLimit over HTTP - the held task starts once they allow") {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  REQUIRE(c.connected());
  REQUIRE(c.request("PUT", "/v1/executions/limits/config",
                    R"({"groups":{"concurrency":1,"rateLimit":{"maxExecutions":1,"windowMs":300}}})")
              .status == 200);
  const std::string tasks = "/v1/executions/limits/tasks";
  REQUIRE(c.request("POST", tasks, R"({"id":"c1","name":"sleep","group":"c","input":{"ms":1000}})")
              .status == 201);
  auto second = c.request("POST", tasks, R"({"id":"c2","name":"echo","group":"c","input":2})");
  REQUIRE(second.status == 201);
  CHECK(second.body.find(R"("status":"pending")") != std::string::npos);
  REQUIRE(c.request("POST", tasks, R"({"id":"r1","name":"echo","group":"r"})").status == 201);
  REQUIRE(c.request("POST", tasks, R"({"id":"r2","name":"echo","group":"r"})").status == 201);
  auto c1 = completed_result(c, "limits", "c1");
  auto c2 = completed_result(c, "limits", "c2");
  auto r1 = completed_result(c, "limits", "r1");
  auto r2 = completed_result(c, "limits", "r2");
  for (auto* result : {&c1, &c2, &r1, &r2}) REQUIRE_FALSE(result->empty());
  // c2 not before c1 ended (concurrency 1); r2 not before r1's start left the 300 ms window,
  // rate_limited meanwhile; group r did not wait for group c.
  CHECK(field_of(c2, "startedAt") >= field_of(c1, "completedAt"));
  CHECK(field_of(r2, "startedAt") >= field_of(r1, "startedAt") + 300);
  CHECK(r2.find(R"("wasRateLimited":true)") != std::string::npos);
  CHECK(r1.find(R"("wasRateLimited":false)") != std::string::npos);
  CHECK(field_of(r1, "startedAt") < field_of(c1, "completedAt"));
  CHECK(server.stop() == 0);
}

TEST_CASE("schedules over HTTP - PUT - GET - list - DELETE - a past startAt runs at once") {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  REQUIRE(c.connected());
  const std::string base = "/v1/executions/cron/schedules";
  auto put = c.request("PUT", base + "/nightly",
                       R"({"everyMs":60000,"startAt":1000,"task":{"name":"echo","input":7}})");
  CHECK(put.status == 200);
  json_object_reader record{put.body};
  CHECK(record.string("name") == "nightly");
  CHECK(record.int64("everyMs") == 60'000);
  CHECK(record.has("nextRunAt"));
  CHECK(record.has("createdAt"));
  // The one run for the latest run time not after now, with its deterministic id.
  const auto last = record.int64("lastRunAt");
  REQUIRE(last.has_value());
  CHECK((*last - 1'000) % 60'000 == 0);
  CHECK(c.request("GET", "/v1/executions/cron/tasks/nightly@" + std::to_string(*last)).status == 200);
  CHECK(c.request("GET", base + "/nightly").status == 200);
  auto list = c.request("GET", base);
  CHECK(list.status == 200);
  CHECK(list.body.starts_with(R"({"schedules":[{"name":"nightly")"));
  auto neither = c.request("PUT", base + "/x", R"({"task":{"name":"echo"}})");
  CHECK(neither.status == 400);
  CHECK(neither.body.find(R"("field":"everyMs")") != std::string::npos);
  auto bad = c.request("PUT", base + "/x", R"({"cron":"61 * * * *","task":{"name":"echo"}})");
  CHECK(bad.status == 400);
  CHECK(bad.body.find(R"("field":"cron")") != std::string::npos);
  CHECK(c.request("DELETE", base + "/nightly").status == 204);
  auto gone = c.request("GET", base + "/nightly");
  CHECK(gone.status == 404);
  CHECK(gone.body.find(R"("code":"schedule_not_found")") != std::string::npos);
  CHECK(c.request("DELETE", base + "/nightly").status == 404);
  CHECK(c.request("POST", base + "/nightly").header("allow") == "DELETE, GET, PUT");
  CHECK(c.request("GET", base).body == R"({"schedules":[]})");
  CHECK(server.stop() == 0);
}

TEST_SUITE_END();
