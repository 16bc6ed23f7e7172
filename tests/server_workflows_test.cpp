// Workflows over HTTP against a real `dort serve` (API.md "Workflows"): the routes and their
// status codes, the record as created, events in, the event stream, delete, and a workflow that
// goes on after the server is killed with SIGKILL in the middle of it. Real time: outcomes only.
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

const std::string base = "/v1/executions/e/workflows";

/// The workflow's record once its status is `status` (or the last one after 60 s).
std::string record_when(http_connection& c, const std::string& id, const std::string& status) {
  auto limit = std::chrono::steady_clock::now() + std::chrono::seconds{60};
  for (;;) {
    auto r = c.request("GET", base + "/" + id);
    if ((r.status == 200 && json_object_reader{r.body}.string("status") == status) ||
        std::chrono::steady_clock::now() > limit)
      return r.body;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
}

std::string status_of(const std::string& record) {
  return json_object_reader{record}.string("status").value_or("");
}

}  // namespace

TEST_SUITE_BEGIN("server");

TEST_CASE("the workflow routes answer with API.md's status codes") {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  const std::string body =
      R"({"id":"o-1","input":{"x":1},"steps":[{"name":"a","task":"echo","input":{"$ref":"$input"}},)"
      R"({"name":"approve","kind":"event","event":"ok"},{"name":"b","kind":"set","value":{"$ref":"approve#/by"}}]})";
  auto created = c.request("POST", base, body);
  CHECK(created.status == 201);
  CHECK(status_of(created.body) == "running");
  CHECK(c.request("POST", base, body).status == 200);
  auto other = c.request("POST", base, R"({"id":"o-1","steps":[{"name":"a","task":"echo"}]})");
  CHECK(other.status == 409);
  CHECK(other.body.find(R"("code":"workflow_exists")") != std::string::npos);
  auto bad = c.request("POST", base, R"({"steps":[{"name":"a","task":"nope"}]})");
  CHECK(bad.status == 400);
  CHECK(bad.body.find(R"("field":"steps[0].task")") != std::string::npos);
  CHECK(c.request("POST", base, "{").status == 400);
  CHECK(c.request("GET", base + "/none").status == 404);
  CHECK(c.request("GET", base + "/o-1/steps/none").body.find("step_not_found") != std::string::npos);
  CHECK(c.request("POST", base + "/none/events", "not json").body.find("workflow_not_found") !=
        std::string::npos);
  CHECK(c.request("PUT", base + "/o-1").header("allow") == "DELETE, GET");
  record_when(c, "o-1", "waiting");
  CHECK(c.request("DELETE", base + "/o-1").status == 409);
  auto sent = c.request("POST", base + "/o-1/events", R"({"type":"ok","payload":{"by":"ann"}})");
  CHECK(sent.status == 202);
  CHECK(sent.body == R"({"delivered":true})");
  auto done = c.request("GET", base + "/o-1?waitMs=30000");
  CHECK(status_of(done.body) == "completed");
  CHECK(json_object_reader{done.body}.raw("output") == R"("ann")");
  auto step = c.request("GET", base + "/o-1/steps/a");
  CHECK(json_object_reader{step.body}.raw("output") == R"({"x":1})");
  auto task = c.request("GET", "/v1/executions/e/tasks/o-1%23a");
  CHECK(json_object_reader{task.body}.raw("workflow") == R"({"id":"o-1","step":"a"})");
  CHECK(c.request("POST", "/v1/executions/e/tasks/o-1%23a/retry").status == 409);
  CHECK(c.request("POST", "/v1/executions/e/tasks", R"({"id":"a#b","name":"echo"})").status == 400);
  CHECK(c.request("POST", base + "/o-1/events", R"({"type":"ok"})").status == 409);
  CHECK(c.request("POST", base + "/o-1/cancel").status == 409);
  auto list = c.request("GET", base + "?status=completed");
  CHECK(list.body.find(R"("id":"o-1")") != std::string::npos);
  CHECK(c.request("GET", base + "?limit=0").status == 400);
  auto metrics = c.request("GET", "/metrics");
  CHECK(metrics.body.find("dort_workflows_completed_total 1") != std::string::npos);
  CHECK(c.request("DELETE", base + "/o-1").status == 204);
  CHECK(c.request("GET", "/v1/executions/e/tasks/o-1%23a").status == 404);
  CHECK(server.stop() == 0);
}

TEST_CASE("workflow events stream as server-sent events and end after the final one") {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  REQUIRE(c.request("POST", base,
                    R"({"id":"s","steps":[{"name":"a","task":"echo"},{"name":"b","task":"echo"}]})")
              .status == 201);
  record_when(c, "s", "completed");
  http_connection stream{server.port()};
  stream.send_raw("GET " + base + "/s/events HTTP/1.1\r\nHost: x\r\n\r\n");
  auto text = stream.read_until_closed();
  CHECK(text.find("Content-Type: text/event-stream") != std::string::npos);
  CHECK(text.find("event: created\ndata: {\"workflowId\":\"s\",\"seq\":1") != std::string::npos);
  CHECK(text.find("event: step_complete\n") != std::string::npos);
  CHECK(text.rfind("event: complete\n") != std::string::npos);
  http_connection resume{server.port()};
  resume.send_raw("GET " + base + "/s/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 5\r\n\r\n");
  auto rest = resume.read_until_closed();
  CHECK(rest.find("id: 5\n") == std::string::npos);
  CHECK(rest.find("id: 6\n") != std::string::npos);
  CHECK(server.stop() == 0);
}

TEST_CASE("a workflow goes on after SIGKILL - a completed step never runs again") {
  temp_dir dir;
  std::string first_attempts;
  {
    server_process server{dir};
    http_connection c{server.port()};
    REQUIRE(c.request("POST", base,
                      R"({"id":"k","steps":[{"name":"a","task":"echo","input":1},)"
                      R"({"name":"nap","kind":"sleep","ms":1500},)"
                      R"({"name":"b","task":"echo","input":{"$ref":"a"}}]})")
                .status == 201);
    record_when(c, "k", "waiting");
    server.child().kill_hard();
    server.child().wait();
  }
  server_process server{dir};
  http_connection c{server.port()};
  auto done = record_when(c, "k", "completed");
  CHECK(status_of(done) == "completed");
  CHECK(json_object_reader{done}.raw("output") == "1");
  auto a = c.request("GET", "/v1/executions/e/tasks/k%23a");
  CHECK(json_object_reader{json_object_reader{a.body}.raw("result").value_or("{}")}.int64(
            "attempts") == 1);
  CHECK(server.stop() == 0);
}

TEST_SUITE_END();
