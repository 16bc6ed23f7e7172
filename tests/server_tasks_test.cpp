// End-to-end tests of executions across restarts of `dort serve`: tasks waiting at a stop, a
// SIGKILL during a load of submits, an attempt in flight at SIGKILL. Real time: they assert
// outcomes and lower bounds ("none early"), never durations.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "actors/json_reader.hpp"
#include "http_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

using dort::json_object_reader;
using dort::test::http_connection;
using dort::test::server_process;
using dort::test::temp_dir;

namespace {

constexpr auto final_state_limit = std::chrono::seconds{60};

bool is_final(const std::string& record) {
  json_object_reader r{record};
  auto status = r.string("status");
  return status == "completed" || status == "failed" || status == "cancelled";
}

/// Polls the task's record until `done(record)` holds or the limit passes; returns the last one.
template <class Predicate>
std::string record_when(http_connection& c, const std::string& exec, const std::string& id,
                        Predicate done) {
  auto limit = std::chrono::steady_clock::now() + final_state_limit;
  for (;;) {
    auto r = c.request("GET", "/v1/executions/" + exec + "/tasks/" + id);
    if ((r.status == 200 && done(r.body)) || std::chrono::steady_clock::now() > limit)
      return r.body;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
}

/// The task's record once it reached a final state.
std::string final_record(http_connection& c, const std::string& exec, const std::string& id) {
  return record_when(c, exec, id, is_final);
}

std::string status_of(const std::string& record) {
  return json_object_reader{record}.string("status").value_or("");
}

/// Whether the task's status becomes `status` within the limit.
bool reaches(http_connection& c, const std::string& exec, const std::string& id,
             const std::string& status) {
  return status_of(record_when(c, exec, id, [&](const std::string& record) {
           return status_of(record) == status;
         })) == status;
}

std::int64_t result_field(const std::string& record, std::string_view field) {
  json_object_reader result{*json_object_reader{record}.raw("result")};
  return result.int64(field).value_or(-1);
}

std::int64_t created_at(const std::string& record) {
  return json_object_reader{record}.int64("createdAt").value_or(-1);
}

/// The `data` JSON of each event of a finished task, in stream order.
std::vector<std::string> events_of(std::uint16_t port, const std::string& exec,
                                   const std::string& id) {
  http_connection stream{port};
  stream.send_raw("GET /v1/executions/" + exec + "/tasks/" + id +
                  "/events HTTP/1.1\r\nHost: x\r\n\r\n");
  auto text = stream.read_until_closed();
  std::vector<std::string> data;
  std::size_t at = 0;
  while ((at = text.find("\ndata: ", at)) != std::string::npos) {
    at += 7;
    data.push_back(text.substr(at, text.find('\n', at) - at));
  }
  return data;
}

std::string type_of(const std::string& event) { return *json_object_reader{event}.string("type"); }

std::int64_t int_of(const std::string& event, std::string_view field) {
  return json_object_reader{event}.int64(field).value_or(-1);
}

}  // namespace

TEST_SUITE_BEGIN("server");

TEST_CASE("tasks waiting at a stop finish after the restart and none starts early") {
  constexpr std::int64_t wait_ms = 3000;  // long enough that every wait spans the restart
  const auto ms = std::to_string(wait_ms);
  temp_dir dir;
  {
    server_process server{dir};
    http_connection c{server.port()};
    auto submit = [&](const std::string& exec, const std::string& body) {
      return c.request("POST", "/v1/executions/" + exec + "/tasks", body).status;
    };
    REQUIRE(submit("w", R"({"id":"delayed","name":"echo","delayMs":)" + ms + "}") == 201);
    REQUIRE(submit("w", R"({"id":"retrying","name":"fail","input":{"times":1},)"
                        R"("config":{"initialRetryDelay":)" + ms + "}}") == 201);
    const std::string limit = R"("config":{"rateLimit":{"maxExecutions":1,"windowMs":)" + ms + "}}}";
    REQUIRE(submit("w", R"({"id":"limited1","name":"echo",)" + limit) == 201);
    REQUIRE(submit("w", R"({"id":"limited2","name":"echo",)" + limit) == 201);
    // One attempt at a time in "q": `queued` waits behind a running sleep.
    REQUIRE(c.request("PUT", "/v1/executions/q/config", R"({"concurrency":1})").status == 200);
    REQUIRE(submit("q", R"({"id":"blocker","name":"sleep","input":{"ms":)" + ms + "}}") == 201);
    REQUIRE(submit("q", R"({"id":"queued","name":"echo"})") == 201);

    // Its first attempt failed and the retry is scheduled.
    CHECK(record_when(c, "w", "retrying", [](const std::string& record) {
            return record.find(R"("nextRetryAt":)") != std::string::npos;
          }).find(R"("nextRetryAt":)") != std::string::npos);
    CHECK(reaches(c, "w", "limited2", "rate_limited"));
    CHECK(reaches(c, "q", "blocker", "running"));
    CHECK(status_of(c.request("GET", "/v1/executions/q/tasks/queued").body) == "pending");
    CHECK(status_of(c.request("GET", "/v1/executions/w/tasks/delayed").body) == "pending");
    CHECK(server.stop() == 0);
  }
  server_process again{dir};
  http_connection c{again.port()};
  for (auto task : {std::pair{"w", "delayed"}, {"w", "retrying"}, {"w", "limited1"},
                    {"w", "limited2"}, {"q", "blocker"}, {"q", "queued"}}) {
    CAPTURE(task.second);
    CHECK(status_of(final_record(c, task.first, task.second)) == "completed");
  }
  auto delayed = final_record(c, "w", "delayed");
  CHECK(result_field(delayed, "startedAt") >= created_at(delayed) + wait_ms);
  // The retry started at or after the time the failed attempt scheduled it for.
  auto retrying = events_of(again.port(), "w", "retrying");
  REQUIRE(retrying.size() == 5);  // created, start, retry, start, complete
  CHECK(type_of(retrying[2]) == "retry");
  CHECK(type_of(retrying[3]) == "start");
  CHECK(int_of(retrying[3], "attempt") == 2);
  CHECK(int_of(retrying[3], "at") >= int_of(retrying[2], "nextRetryAt"));
  CHECK(result_field(final_record(c, "w", "retrying"), "retries") == 1);
  // One start of the name per window.
  CHECK(result_field(final_record(c, "w", "limited2"), "startedAt") >=
        result_field(final_record(c, "w", "limited1"), "startedAt") + wait_ms);
  // The sleep cut short by the stop ran again from the start without counting twice.
  CHECK(result_field(final_record(c, "q", "blocker"), "attempts") == 1);
  CHECK(result_field(final_record(c, "q", "queued"), "startedAt") >=
        result_field(final_record(c, "q", "blocker"), "startedAt"));
  CHECK(again.stop() == 0);
}

TEST_CASE("after SIGKILL during submits every acknowledged task is found and reaches its final state") {
  temp_dir dir;
  std::mutex mutex;
  std::vector<std::pair<std::string, std::string>> acknowledged;  // (execution, id)
  {
    server_process server{dir};
    std::atomic<bool> go{true};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t)
      clients.emplace_back([&, t] {
        http_connection c{server.port()};
        for (int i = 0; go; ++i) {
          auto exec = "k" + std::to_string(i % 3);
          auto id = "t" + std::to_string(t) + "-" + std::to_string(i);
          dort::test::http_reply r;
          try {
            r = c.request("POST", "/v1/executions/" + exec + "/tasks",
                          R"({"id":")" + id + R"(","name":"fail","input":{"times":1},)"
                          R"("config":{"initialRetryDelay":5}})");
          } catch (const std::exception&) {
            break;  // the server is gone
          }
          if (r.status != 201) break;
          std::lock_guard guard{mutex};
          acknowledged.emplace_back(exec, id);
        }
      });
    std::mt19937 random{std::random_device{}()};
    std::this_thread::sleep_for(
        std::chrono::milliseconds{std::uniform_int_distribution<int>{200, 600}(random)});
    server.child().kill_hard();
    go = false;
    for (auto& t : clients) t.join();
    server.child().wait();
  }
  REQUIRE(!acknowledged.empty());
  server_process again{dir};
  http_connection c{again.port()};
  int completed_with_one_retry = 0;
  for (auto& [exec, id] : acknowledged) {
    auto record = final_record(c, exec, id);
    if (status_of(record) == "completed" &&
        result_field(record, "retries") == 1 && result_field(record, "attempts") == 2)
      ++completed_with_one_retry;
    else
      FAIL_CHECK("task " << exec << "/" << id << " is " << record);
  }
  CHECK(completed_with_one_retry == static_cast<int>(acknowledged.size()));
  CHECK(again.stop() == 0);
}

TEST_CASE("an attempt in flight at SIGKILL runs again after the restart and counts once") {
  temp_dir dir;
  {
    server_process server{dir};
    http_connection c{server.port()};
    REQUIRE(c.request("POST", "/v1/executions/x/tasks",
                      R"({"id":"long","name":"sleep","input":{"ms":1500}})")
                .status == 201);
    REQUIRE(reaches(c, "x", "long", "running"));
    server.child().kill_hard();
    server.child().wait();
  }
  server_process again{dir};
  http_connection c{again.port()};
  auto record = final_record(c, "x", "long");
  CHECK(status_of(record) == "completed");
  CHECK(result_field(record, "attempts") == 1);
  auto events = events_of(again.port(), "x", "long");
  REQUIRE(events.size() == 4);  // created, start (cut short), start again, complete
  CHECK(type_of(events[1]) == "start");
  CHECK(type_of(events[2]) == "start");
  CHECK(int_of(events[1], "attempt") == 1);
  CHECK(int_of(events[2], "attempt") == 1);
  CHECK(type_of(events[3]) == "complete");
  CHECK(again.stop() == 0);
}

TEST_CASE("after a restart the task gauges count the tasks of executions nobody has asked for") {
  temp_dir dir;
  auto gauge = [](http_connection& c, const std::string& name) {
    auto text = c.request("GET", "/metrics").body;
    auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stoll(text.substr(at + name.size() + 2));
  };
  {
    server_process server{dir};
    http_connection c{server.port()};
    for (int i = 0; i < 3; ++i)
      REQUIRE(c.request("POST", "/v1/executions/g1/tasks",
                        R"({"name":"echo","delayMs":3600000})").status == 201);
    for (int i = 0; i < 2; ++i)
      REQUIRE(c.request("POST", "/v1/executions/g2/tasks",
                        R"({"name":"echo","delayMs":3600000})").status == 201);
    CHECK(gauge(c, "dort_tasks_queued") == 5);
    CHECK(server.stop() == 0);
  }
  server_process again{dir};
  http_connection c{again.port()};
  // The executions wake in the background after the start; nothing here touches them.
  auto limit = std::chrono::steady_clock::now() + final_state_limit;
  while (gauge(c, "dort_tasks_queued") != 5 && std::chrono::steady_clock::now() < limit)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  CHECK(gauge(c, "dort_tasks_queued") == 5);
  CHECK(gauge(c, "dort_tasks_running") == 0);
  // A change after the restart moves the gauge from there, not from zero.
  auto first = c.request("GET", "/v1/executions/g1/tasks?limit=1").body;
  auto id_at = first.find(R"("id":")") + 6;
  auto id = first.substr(id_at, first.find('"', id_at) - id_at);
  CHECK(c.request("POST", "/v1/executions/g1/tasks/" + id + "/cancel").status == 200);
  limit = std::chrono::steady_clock::now() + final_state_limit;
  while (gauge(c, "dort_tasks_queued") != 4 && std::chrono::steady_clock::now() < limit)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  CHECK(gauge(c, "dort_tasks_queued") == 4);
  CHECK(again.stop() == 0);
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("server");

TEST_CASE("a stream replays more stored events than one page holds - in order and each once") {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  // 600 failed attempts, each retried at once: 1 + 600 × 2 + 2 events, over one page of 1,000.
  auto r = c.request("POST", "/v1/executions/pages/tasks",
                     R"({"id":"many","name":"fail","input":{"times":600},)"
                     R"("config":{"maxRetries":600,"initialRetryDelay":0,"maxRetryDelay":0}})");
  REQUIRE(r.status == 201);
  REQUIRE(status_of(final_record(c, "pages", "many")) == "completed");
  auto events = events_of(server.port(), "pages", "many");
  REQUIRE(events.size() == 1'203);
  for (std::size_t i = 0; i < events.size(); ++i) CHECK(int_of(events[i], "seq") == std::int64_t(i + 1));
  CHECK(type_of(events.back()) == "complete");
}

TEST_SUITE_END();
