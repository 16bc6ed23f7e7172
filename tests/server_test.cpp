// End-to-end tests of `dort serve`: the real binary on a free loopback port with a temporary data
// directory, spoken to over HTTP. Real time: they assert order and outcomes, never durations.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "actors/json_reader.hpp"
#include "child_process.hpp"
#include "http_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

using dort::json_object_reader;
using dort::test::child_process;
using dort::test::http_connection;
using dort::test::http_reply;
using dort::test::server_process;
using dort::test::temp_dir;

namespace {

std::int64_t value_of(const std::string& body) {  // {"value":N}
  return std::stoll(body.substr(9, body.size() - 10));
}

/// Four threads, each on its own connection, increment counter `name` while `go` holds and
/// until a request is refused (503 shutting_down, or the connection closed); the highest value
/// acknowledged goes to `last_acknowledged`.
std::vector<std::thread> increment_from_threads(std::uint16_t port, std::string name,
                                                std::atomic<bool>& go,
                                                std::atomic<std::int64_t>& last_acknowledged) {
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([port, name, &go, &last_acknowledged] {
      http_connection c{port};
      while (go) {
        auto r = c.request("POST", "/v1/objects/counter/" + name + "/incr");
        if (r.status != 200) break;
        auto v = value_of(r.body);
        auto seen = last_acknowledged.load();
        while (v > seen && !last_acknowledged.compare_exchange_weak(seen, v)) {
        }
      }
    });
  return clients;
}

}  // namespace

TEST_SUITE_BEGIN("server");

TEST_CASE("serve answers objects - health and errors over one keep-alive connection") {
  temp_dir dir;
  server_process server{dir, {"--max-body-bytes", "1000"}};
  http_connection c{server.port()};
  REQUIRE(c.connected());
  auto health = c.request("GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == R"({"status":"ok"})");
  CHECK(c.request("POST", "/v1/objects/counter/hot/incr").body == R"({"value":1})");
  CHECK(c.request("POST", "/v1/objects/counter/hot/incr", R"({"by":41})").body ==
        R"({"value":42})");
  CHECK(c.request("POST", "/v1/objects/counter/h%C3%A9/incr").body == R"({"value":1})");
  auto unknown_method = c.request("POST", "/v1/objects/counter/hot/fly");
  CHECK(unknown_method.status == 404);
  CHECK(unknown_method.body.find(R"("code":"unknown_method")") != std::string::npos);
  // A method the class does not declare is 404 before the body is looked at (API.md's order).
  {
    http_connection big{server.port()};
    auto unknown_before_size =
        big.request("POST", "/v1/objects/counter/hot/fly", std::string(2'000, ' '));
    CHECK(unknown_before_size.status == 404);
    CHECK(unknown_before_size.body.find(R"("code":"unknown_method")") != std::string::npos);
  }
  // Executions are reached through their own routes only.
  CHECK(c.request("POST", "/v1/objects/execution/jobs/metrics").body.find(
            R"("code":"unknown_class")") != std::string::npos);
  auto unknown_class = c.request("POST", "/v1/objects/nope/hot/incr");
  CHECK(unknown_class.status == 404);
  CHECK(unknown_class.body.find(R"("code":"unknown_class")") != std::string::npos);
  auto wrong_method = c.request("GET", "/v1/objects/counter/hot/incr");
  CHECK(wrong_method.status == 405);
  CHECK(wrong_method.header("allow") == "POST");
  auto no_route = c.request("GET", "/v2/nothing");
  CHECK(no_route.status == 404);
  CHECK(no_route.body.find(R"("code":"not_found")") != std::string::npos);
  auto bad_escape = c.request("POST", "/v1/objects/counter/h%G1/incr");
  CHECK(bad_escape.status == 400);
  CHECK(bad_escape.body.find(R"("field":"name")") != std::string::npos);
  auto bad_utf8 = c.request("POST", "/v1/objects/counter/h%FF/incr");
  CHECK(bad_utf8.status == 400);
  auto long_name = c.request("POST", "/v1/objects/counter/" + std::string(257, 'x') + "/incr");
  CHECK(long_name.status == 400);
  for (std::string bad : {"{", R"({"by":1} x)", R"({"by":1,"by":2})", "[1]", "\"\xff\""}) {
    CAPTURE(bad);
    auto r = c.request("POST", "/v1/objects/counter/hot/incr", bad);
    CHECK(r.status == 400);
  }
  auto deep = c.request("POST", "/v1/objects/counter/hot/incr",
                        std::string(65, '[') + std::string(65, ']'));
  CHECK(deep.body.find(R"("code":"invalid_json")") != std::string::npos);
  auto media = c.request("POST", "/v1/objects/counter/hot/incr", "{}",
                         {{"Content-Type", "text/plain"}});
  CHECK(media.status == 415);
  CHECK(c.request("POST", "/v1/objects/counter/hot/incr", "{}",
                  {{"Content-Type", "application/json; charset=utf-8"}})
            .status == 200);
  auto wrong_type = c.request("POST", "/v1/objects/counter/hot/incr", R"({"by":"x"})");
  CHECK(wrong_type.status == 400);
  CHECK(wrong_type.body.find(R"("field":"by")") != std::string::npos);
  // Nothing refused changed the counter.
  CHECK(c.request("POST", "/v1/objects/counter/hot/get").body == R"({"value":43})");
  auto metrics = c.request("GET", "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("dort_http_requests_total{code=\"200\"}") != std::string::npos);
  CHECK(metrics.body.find("\ndort_tasks_queued 0\n") != std::string::npos);
  CHECK(metrics.body.find("\ndort_objects_active ") != std::string::npos);
  CHECK(server.stop() == 0);
}

TEST_CASE("accounts over HTTP - deposit - transfer with its credit as a durable send - balance and the errors") {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  REQUIRE(c.connected());
  auto path = [](const std::string& name, const std::string& method) {
    return "/v1/objects/account/" + name + "/" + method;
  };
  CHECK(c.request("POST", path("never", "balance")).body ==
        R"({"balance":0,"received":0,"sent":0})");
  CHECK(c.request("POST", path("alice", "deposit"), R"({"amount":100})").body ==
        R"({"balance":100})");
  CHECK(c.request("POST", path("alice", "transfer"), R"({"to":"b\u00e9","amount":40})").body ==
        R"({"balance":60})");
  // The credit follows the reply: wait for it (real time, bounded).
  std::string credited;
  for (int i = 0; i < 1000; ++i) {
    credited = c.request("POST", path("b%C3%A9", "balance")).body;
    if (credited != R"({"balance":0,"received":0,"sent":0})") break;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  CHECK(credited == R"({"balance":40,"received":1,"sent":0})");
  CHECK(c.request("POST", path("alice", "balance")).body ==
        R"({"balance":60,"received":0,"sent":1})");

  auto expect_error = [&](const std::string& p, const std::string& body, int status,
                          const std::string& code, const std::string& field) {
    CAPTURE(p);
    CAPTURE(body);
    auto r = c.request("POST", p, body);
    CHECK(r.status == status);
    CHECK(r.body.find(R"("code":")" + code + "\"") != std::string::npos);
    if (!field.empty()) CHECK(r.body.find(R"("field":")" + field + "\"") != std::string::npos);
  };
  expect_error(path("alice", "transfer"), R"({"to":"alice","amount":1})", 400, "invalid_field",
               "to");
  expect_error(path("alice", "transfer"), R"({"to":"bob","amount":61})", 409, "invalid_state", "");
  expect_error(path("alice", "transfer"), R"({"amount":1})", 400, "missing_field", "to");
  expect_error(path("alice", "transfer"), R"({"to":"bob"})", 400, "missing_field", "amount");
  expect_error(path("alice", "transfer"), R"({"to":"","amount":1})", 400, "invalid_field", "to");
  expect_error(path("alice", "transfer"), R"({"to":")" + std::string(257, 'x') + R"(","amount":1})",
               400, "invalid_field", "to");
  expect_error(path("alice", "transfer"), R"({"to":7,"amount":1})", 400, "invalid_field", "to");
  expect_error(path("alice", "transfer"), R"({"to":"bob","amount":1,"memo":"x"})", 400,
               "invalid_field", "memo");
  expect_error(path("alice", "deposit"), R"({"amount":0})", 400, "invalid_field", "amount");
  expect_error(path("alice", "deposit"), R"({"amount":1000000000001})", 400, "invalid_field",
               "amount");
  expect_error(path("alice", "deposit"), R"({"amount":1.5})", 400, "invalid_field", "amount");
  expect_error(path("alice", "deposit"), "{}", 400, "missing_field", "amount");
  expect_error(path("alice", "credit"), R"({"amount":5})", 404, "unknown_method", "");
  // Nothing refused changed a balance.
  CHECK(c.request("POST", path("alice", "balance")).body ==
        R"({"balance":60,"received":0,"sent":1})");
  CHECK(server.stop() == 0);
}

TEST_CASE("executions over HTTP - submit - get - list - dlq - metrics - config - cancel and retry") {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  auto submit = [&](const std::string& body) {
    return c.request("POST", "/v1/executions/jobs/tasks", body);
  };
  auto created = submit(R"({"id":"a","name":"echo","input":{"n":12345678901234567}})");
  CHECK(created.status == 201);
  CHECK(created.body.find(R"("status":"pending")") != std::string::npos);
  CHECK(submit(R"({"id":"a","name":"echo","input":{"n":12345678901234567}})").status == 200);
  auto conflict = submit(R"({"id":"a","name":"echo","input":2})");
  CHECK(conflict.status == 409);
  CHECK(conflict.body.find(R"("code":"task_exists")") != std::string::npos);
  auto bad_name = submit(R"({"name":"nope"})");
  CHECK(bad_name.status == 400);
  CHECK(bad_name.body.find(R"("field":"name")") != std::string::npos);
  CHECK(submit(R"({"name":"echo","config":{"timeout":0}})").body.find(
            R"("field":"config.timeout")") != std::string::npos);
  CHECK(submit("[]").body.find(R"("field":"$")") != std::string::npos);
  CHECK(submit("{").body.find(R"("code":"invalid_json")") != std::string::npos);
  CHECK(submit(R"({"id":"f","name":"fail","input":{"permanent":true}})").status == 201);
  std::string record;
  for (int i = 0; i < 500; ++i) {
    record = c.request("GET", "/v1/executions/jobs/tasks/a").body;
    if (record.find(R"("status":"completed")") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  CHECK(record.find(R"("output":{"n":12345678901234567})") != std::string::npos);
  // Values the client owns keep their digits, in the submit answer, the record and the output.
  auto exact = c.request("POST", "/v1/executions/exact/tasks",
                         R"({"id":"digits","name":"echo","input":{"x":1.10,"y":1e3},"metadata":{"m":0.50}})");
  CHECK(exact.body.find(R"("input":{"x":1.10,"y":1e3})") != std::string::npos);
  CHECK(exact.body.find(R"("metadata":{"m":0.50})") != std::string::npos);
  for (int i = 0; i < 500; ++i) {
    record = c.request("GET", "/v1/executions/exact/tasks/digits").body;
    if (record.find(R"("status":"completed")") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  CHECK(record.find(R"("input":{"x":1.10,"y":1e3})") != std::string::npos);
  CHECK(record.find(R"("output":{"x":1.10,"y":1e3})") != std::string::npos);
  auto missing = c.request("GET", "/v1/executions/jobs/tasks/zz");
  CHECK(missing.status == 404);
  CHECK(missing.body.find(R"("code":"task_not_found")") != std::string::npos);
  auto page = c.request("GET", "/v1/executions/jobs/tasks?limit=1");
  CHECK(page.body.find(R"("id":"f")") != std::string::npos);  // newest first
  auto cursor_at = page.body.find(R"("nextCursor":")");
  REQUIRE(cursor_at != std::string::npos);
  auto cursor = page.body.substr(cursor_at + 14, 32);
  auto next = c.request("GET", "/v1/executions/jobs/tasks?limit=1&cursor=" + cursor);
  CHECK(next.body.find(R"("id":"a")") != std::string::npos);
  CHECK(c.request("GET", "/v1/executions/jobs/tasks?limit=0").status == 400);
  CHECK(c.request("GET", "/v1/executions/jobs/tasks?limit=x").status == 400);
  CHECK(c.request("GET", "/v1/executions/jobs/tasks?cursor=nope").status == 400);
  for (int i = 0; i < 500; ++i) {
    if (c.request("GET", "/v1/executions/jobs/dlq").body.find(R"("id":"f")") != std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  CHECK(c.request("GET", "/v1/executions/jobs/dlq").body.find(R"("id":"f")") != std::string::npos);
  auto metrics = c.request("GET", "/v1/executions/jobs/metrics");
  CHECK(metrics.body.find(R"("total":2)") != std::string::npos);
  CHECK(metrics.body.find(R"("failed":1)") != std::string::npos);
  auto config = c.request("PUT", "/v1/executions/jobs/config", R"({"concurrency":4,"config":{"maxRetries":7}})");
  CHECK(config.status == 200);
  CHECK(config.body.find(R"("maxRetries":7)") != std::string::npos);
  CHECK(config.body.find(R"("concurrency":4)") != std::string::npos);
  CHECK(c.request("POST", "/v1/executions/jobs/tasks/a/cancel").status == 409);
  auto retried = c.request("POST", "/v1/executions/jobs/tasks/f/retry");
  CHECK(retried.status == 200);
  CHECK(retried.body.find(R"("status":"pending")") != std::string::npos);
  auto wrong = c.request("DELETE", "/v1/executions/jobs/tasks");
  CHECK(wrong.status == 405);
  CHECK(wrong.header("allow") == "GET, POST");
  CHECK(c.request("GET", "/v1/executions/jobs/nothing").status == 404);
  // An execution never used answers empty and is not created by reading it.
  CHECK(c.request("GET", "/v1/executions/unused/tasks").body == R"({"tasks":[],"nextCursor":null})");
  CHECK(server.stop() == 0);
}

TEST_CASE("batch submit over HTTP - items answered in order - body rules - and tasks/batch as an id") {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  REQUIRE(c.connected());
  const std::string batch = "/v1/executions/jobs/tasks/batch";
  auto r = c.request("POST", batch,
                     R"({"tasks":[{"id":"a","name":"echo","input":{"n":1.10}},)"
                     R"({"name":"nope"},7,{"id":"a","name":"echo","input":{"n":1.10}},)"
                     R"({"id":"a","name":"echo","input":2},{"name":"echo","config":{"maxRetries":-1}}]})");
  CHECK(r.status == 200);
  json_object_reader body{r.body};
  auto items = dort::json_array_items(*body.raw("results"), "results");
  REQUIRE(items.size() == 6);
  auto status_of = [&](std::size_t i) { return *json_object_reader{items[i]}.int64("status"); };
  auto error_of = [&](std::size_t i) {
    json_object_reader item{items[i]};
    return *item.raw("error");
  };
  CHECK(status_of(0) == 201);
  CHECK(items[0].find(R"("input":{"n":1.10})") != std::string::npos);  // as written
  CHECK(status_of(1) == 400);
  CHECK(error_of(1).find(R"("field":"name")") != std::string::npos);
  CHECK(status_of(2) == 400);
  CHECK(error_of(2).find(R"("field":"$")") != std::string::npos);
  CHECK(status_of(3) == 200);
  CHECK(status_of(4) == 409);
  CHECK(error_of(4).find(R"("code":"task_exists")") != std::string::npos);
  CHECK(status_of(5) == 400);
  CHECK(error_of(5).find(R"("field":"config.maxRetries")") != std::string::npos);

  auto expect_body_error = [&](const std::string& text, const std::string& code,
                               const std::string& field) {
    CAPTURE(text);
    auto refused = c.request("POST", batch, text);
    CHECK(refused.status == 400);
    CHECK(refused.body.find(R"("code":")" + code + "\"") != std::string::npos);
    CHECK(refused.body.find(R"("field":")" + field + "\"") != std::string::npos);
  };
  expect_body_error("[1]", "invalid_field", "$");
  expect_body_error("{}", "missing_field", "tasks");
  expect_body_error(R"({"tasks":{}})", "invalid_field", "tasks");
  expect_body_error(R"({"tasks":[]})", "invalid_field", "tasks");
  expect_body_error(R"({"tasks":[{"name":"echo","id":"z"}],"more":1})", "invalid_field", "more");
  std::string many = R"({"tasks":[)";
  for (int i = 0; i < 1001; ++i) many += std::string{i ? "," : ""} + R"({"name":"echo"})";
  expect_body_error(many + "]}", "invalid_field", "tasks");
  CHECK(c.request("POST", batch, "{").status == 400);
  // None of the refused bodies created anything; GET of tasks/batch is the task "batch".
  CHECK(c.request("GET", "/v1/executions/jobs/tasks/z").status == 404);
  auto batch_task = c.request("GET", batch);
  CHECK(batch_task.status == 404);
  CHECK(batch_task.body.find(R"("code":"task_not_found")") != std::string::npos);
  CHECK(c.request("PUT", batch).header("allow") == "DELETE, GET, POST");
  CHECK(server.stop() == 0);
}

TEST_CASE("DELETE of a finished task answers 204 - and dlq purge deletes the failed ones") {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  REQUIRE(c.connected());
  const std::string tasks = "/v1/executions/jobs/tasks";
  auto status_of = [&](const std::string& id) {
    auto r = c.request("GET", tasks + "/" + id);
    return r.status == 200 ? json_object_reader{r.body}.string("status").value_or("") : "";
  };
  auto wait_for = [&](const std::string& id, const std::string& status) {
    for (int i = 0; i < 2000 && status_of(id) != status; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    return status_of(id) == status;
  };
  CHECK(c.request("POST", tasks, R"({"id":"done","name":"echo","input":1})").status == 201);
  CHECK(c.request("POST", tasks, R"({"id":"waits","name":"wait","input":{"ms":60000}})").status ==
        201);
  CHECK(c.request("POST", tasks,
                  R"({"id":"dead","name":"fail","input":{"times":1,"permanent":true}})")
            .status == 201);
  REQUIRE(wait_for("done", "completed"));
  REQUIRE(wait_for("dead", "failed"));
  auto deleted = c.request("DELETE", tasks + "/done");
  CHECK(deleted.status == 204);
  CHECK(deleted.body.empty());
  auto gone = c.request("GET", tasks + "/done");
  CHECK(gone.status == 404);
  CHECK(gone.body.find(R"("code":"task_not_found")") != std::string::npos);
  CHECK(c.request("DELETE", tasks + "/done").status == 404);
  auto running = c.request("DELETE", tasks + "/waits");
  CHECK(running.status == 409);
  CHECK(running.body.find(R"("code":"invalid_state")") != std::string::npos);
  CHECK(c.request("PUT", tasks + "/waits").header("allow") == "DELETE, GET");
  // The id is free again.
  CHECK(c.request("POST", tasks, R"({"id":"done","name":"echo","input":2})").status == 201);
  auto purged = c.request("POST", "/v1/executions/jobs/dlq/purge");
  CHECK(purged.status == 200);
  CHECK(purged.body == R"({"deleted":1})");
  CHECK(c.request("GET", tasks + "/dead").status == 404);
  CHECK(c.request("POST", "/v1/executions/jobs/dlq/purge").body == R"({"deleted":0})");
  CHECK(c.request("GET", "/v1/executions/jobs/dlq/purge").header("allow") == "POST");
  auto metrics = json_object_reader{c.request("GET", "/v1/executions/jobs/metrics").body};
  CHECK(metrics.int64("failed") == 0);
  CHECK(metrics.int64("total") == 2);  // "waits" and the new "done"
  CHECK(server.stop() == 0);
}

TEST_CASE("task events stream as server-sent events - live - in order - and resume after a sequence number") {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  REQUIRE(c.request("POST", "/v1/executions/e/tasks",
                    R"({"id":"s","name":"sleep","input":{"ms":600,"progressMs":200}})")
              .status == 201);
  auto ids_in = [](const std::string& text) {
    std::vector<std::string> lines;
    std::size_t at = 0;
    while ((at = text.find("\nid: ", at)) != std::string::npos) {
      at += 5;
      lines.push_back(text.substr(at, text.find('\n', at) - at));
    }
    return lines;
  };
  {
    http_connection stream{server.port()};
    stream.send_raw("GET /v1/executions/e/tasks/s/events HTTP/1.1\r\nHost: x\r\n\r\n");
    auto text = stream.read_until_closed();
    CHECK(text.find("Content-Type: text/event-stream") != std::string::npos);
    CHECK(ids_in(text) == std::vector<std::string>{"1", "2", "3", "4", "5"});
    CHECK(text.find("event: created\n") != std::string::npos);
    CHECK(text.find("event: progress\ndata: {\"taskId\":\"s\",\"seq\":3") != std::string::npos);
    CHECK(text.rfind("event: complete\n") != std::string::npos);
  }
  {
    http_connection resume{server.port()};
    resume.send_raw("GET /v1/executions/e/tasks/s/events?lastSeq=3 HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(ids_in(resume.read_until_closed()) == std::vector<std::string>{"4", "5"});
  }
  {
    http_connection resume{server.port()};
    resume.send_raw(
        "GET /v1/executions/e/tasks/s/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 4\r\n\r\n");
    CHECK(ids_in(resume.read_until_closed()) == std::vector<std::string>{"5"});
  }
  CHECK(c.request("GET", "/v1/executions/e/tasks/none/events").status == 404);
  CHECK(c.request("GET", "/v1/executions/e/tasks/s/events?lastSeq=x").status == 400);
  CHECK(server.stop() == 0);
}

TEST_CASE("the body limit answers 413 with and without Content-Length") {
  temp_dir dir;
  server_process server{dir, {"--max-body-bytes", "100"}};
  {
    http_connection c{server.port()};
    auto r = c.request("POST", "/v1/objects/counter/x/incr", "{\"by\":1" + std::string(200, ' ') + "}");
    CHECK(r.status == 413);
  }
  {
    http_connection c{server.port()};
    std::string chunk(150, ' ');
    char size[16];
    std::snprintf(size, sizeof size, "%zx", chunk.size());
    c.send_raw("POST /v1/objects/counter/x/incr HTTP/1.1\r\nHost: x\r\nContent-Type: "
               "application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
               std::string{size} + "\r\n" + chunk + "\r\n0\r\n\r\n");
    CHECK(c.read_reply().status == 413);
  }
  {
    http_connection c{server.port()};
    CHECK(c.request("POST", "/v1/objects/counter/x/incr", R"({"by":2})").body ==
          R"({"value":2})");
  }
  CHECK(server.stop() == 0);
}

TEST_CASE("with a token every route but healthz needs it and 401 comes before 404 and 405") {
  temp_dir dir;
  server_process server{dir, {"--token", "s3cret"}};
  http_connection c{server.port()};
  CHECK(c.request("GET", "/healthz").status == 200);
  CHECK(c.request("POST", "/v1/objects/counter/a/incr").status == 401);
  CHECK(c.request("GET", "/nowhere").status == 401);
  CHECK(c.request("GET", "/v1/objects/counter/a/incr").status == 401);
  CHECK(c.request("POST", "/v1/objects/counter/a/incr", "{}",
                  {{"Content-Type", "application/json"}, {"Authorization", "Bearer wrong"}})
            .status == 401);
  auto ok = c.request("POST", "/v1/objects/counter/a/incr", "{}",
                      {{"Content-Type", "application/json"}, {"Authorization", "Bearer s3cret"}});
  CHECK(ok.status == 200);
  CHECK(server.stop() == 0);
}

TEST_CASE("an idle keep-alive connection is closed after the idle timeout") {
  temp_dir dir;
  server_process server{dir, {"--idle-timeout-s", "1"}};
  http_connection c{server.port()};
  CHECK(c.request("GET", "/healthz").status == 200);
  CHECK_FALSE(c.closed_by_server(300));  // still open shortly after a request
  CHECK(c.closed_by_server(5'000));
  CHECK(server.stop() == 0);
}

TEST_CASE("malformed HTTP gets 400 bad_request and the connection is closed") {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  c.send_raw("THIS IS NOT HTTP\r\n\r\n");
  auto r = c.read_reply();
  CHECK(r.status == 400);
  CHECK(r.body.find(R"("code":"bad_request")") != std::string::npos);
  CHECK(c.closed_by_server(5'000));
  CHECK(server.stop() == 0);
}

TEST_CASE("a wrong flag prints an error and exits 2 and help exits 0") {
  {
    child_process bad{DORT_BIN, {"serve", "--no-such-flag"}, STDERR_FILENO};
    std::string text;
    bad.read_all(text);
    auto status = bad.wait();
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 2);
    CHECK(text.find("no-such-flag") != std::string::npos);
  }
  {
    child_process help{DORT_BIN, {"serve", "--help"}, STDOUT_FILENO};
    std::string text;
    help.read_all(text);
    auto status = help.wait();
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(text.find("--max-body-bytes") != std::string::npos);
  }
}

TEST_CASE("graceful stop under load exits 0 and keeps every acknowledged increment") {
  temp_dir dir;
  std::atomic<std::int64_t> last_acknowledged{0};
  {
    server_process server{dir};
    std::atomic<bool> go{true};
    auto clients = increment_from_threads(server.port(), "load", go, last_acknowledged);
    std::this_thread::sleep_for(std::chrono::milliseconds{300});
    auto status = server.stop();
    go = false;
    for (auto& t : clients) t.join();
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(server.log().find("\"stopped\"") != std::string::npos);
  }
  CHECK(last_acknowledged.load() > 0);
  server_process again{dir};
  http_connection c{again.port()};
  CHECK(value_of(c.request("POST", "/v1/objects/counter/load/get").body) >=
        last_acknowledged.load());
  auto st = again.stop();
  CHECK(st == 0);
  if (st != 0) MESSAGE(again.log());
}

TEST_CASE("after SIGKILL during increments every acknowledged one is there and an armed reminder fires") {
  temp_dir dir;
  std::atomic<std::int64_t> last_acknowledged{0};
  {
    server_process server{dir};
    http_connection arm{server.port()};
    REQUIRE(arm.request("POST", "/v1/objects/reminder/r1/arm", R"({"delayMs":500})").status ==
            200);
    std::atomic<bool> go{true};
    auto clients = increment_from_threads(server.port(), "crash", go, last_acknowledged);
    std::mt19937 random{std::random_device{}()};
    std::this_thread::sleep_for(
        std::chrono::milliseconds{std::uniform_int_distribution<int>{50, 300}(random)});
    server.child().kill_hard();
    go = false;
    for (auto& t : clients) t.join();
    server.child().wait();
  }
  CHECK(last_acknowledged.load() > 0);
  server_process again{dir};
  http_connection c{again.port()};
  CHECK(value_of(c.request("POST", "/v1/objects/counter/crash/get").body) >=
        last_acknowledged.load());
  // The reminder was armed before the kill: it fires after the restart, never lost.
  auto limit = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  std::string status;
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
    status = c.request("POST", "/v1/objects/reminder/r1/status").body;
  } while (status.find(R"("firedCount":0)") != std::string::npos &&
           std::chrono::steady_clock::now() < limit);
  CHECK(status.find(R"("firedCount":1)") != std::string::npos);
  auto metrics = c.request("GET", "/metrics").body;
  CHECK(metrics.find("\ndort_alarm_lateness_seconds_count 1\n") != std::string::npos);
  CHECK(metrics.find("dort_alarm_lateness_seconds_bucket{le=\"+Inf\"} 1\n") != std::string::npos);
  CHECK(metrics.find("\ndort_storage_commit_seconds_count 0\n") == std::string::npos);
  CHECK(again.stop() == 0);
}

TEST_CASE("past --max-db-size writes get 507 while reads go on and a higher limit recovers") {
  temp_dir dir;
  int written = 0;
  {
    server_process server{dir, {"--max-db-size", "2097152"}};
    http_connection c{server.port()};
    http_reply r;
    for (int i = 0; i < 200'000; ++i) {
      r = c.request("POST", "/v1/objects/counter/n" + std::to_string(i) + "/incr");
      if (r.status != 200) break;
      ++written;
    }
    CHECK(r.status == 507);
    CHECK(r.body.find(R"("code":"storage_full")") != std::string::npos);
    CHECK(written > 0);
    // Reads and requests that write nothing keep working; what was acknowledged is there.
    CHECK(c.request("POST", "/v1/objects/counter/n0/get").body == R"({"value":1})");
    CHECK(c.request("GET", "/healthz").status == 200);
    CHECK(server.stop() == 0);
  }
  {  // Nothing was corrupted by the refused writes: every index agrees with its records.
    child_process check{DORT_BIN, {"inspect", "--data", dir.path().string(), "check"},
                        STDOUT_FILENO};
    std::string report;
    check.read_all(report);
    CAPTURE(report);
    CHECK(check.wait() == 0);
    CHECK(report.find(R"("problems":0)") != std::string::npos);
  }
  // Raised: writes go on, and everything acknowledged before is there.
  server_process bigger{dir, {"--max-db-size", "67108864"}};
  http_connection c{bigger.port()};
  for (int i = 0; i < 200; ++i)
    CHECK(c.request("POST", "/v1/objects/counter/more" + std::to_string(i) + "/incr").status ==
          200);
  CHECK(c.request("POST", "/v1/objects/counter/n0/incr").body == R"({"value":2})");
  CHECK(c.request("POST", "/v1/objects/counter/n" + std::to_string(written - 1) + "/get").body ==
        R"({"value":1})");
  CHECK(bigger.stop() == 0);
}

TEST_SUITE_END();
