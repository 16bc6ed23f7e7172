// Hostile and careless clients against the real `dort serve`: a slow client sending one byte at a
// time, a thousand idle connections, clients that leave mid-request and mid-stream. None of them
// may hold up other requests, and idle or stalled connections are closed after the timeout.
// Real time: outcomes only (answered, closed), never durations.
#include <doctest/doctest.h>

#include <sys/resource.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "http_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

using dort::test::http_connection;
using dort::test::server_process;
using dort::test::temp_dir;

namespace {

constexpr int idle_timeout_s = 1;
/// Far beyond the idle timeout: a connection still open then was never going to be closed.
constexpr int close_wait_ms = 15'000;

/// Lets this process open as many sockets as the hard limit allows.
void raise_open_files_limit() {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

bool incr_answered(std::uint16_t port) {
  http_connection c{port};
  return c.request("POST", "/v1/objects/counter/other/incr").status == 200;
}

}  // namespace

TEST_SUITE_BEGIN("server");

TEST_CASE("a client sending a request one byte at a time is cut off and holds up nobody") {
  temp_dir dir;
  server_process server{dir, {"--idle-timeout-s", std::to_string(idle_timeout_s)}};
  http_connection slow{server.port()};
  const std::string request =
      "POST /v1/objects/counter/slow/incr HTTP/1.1\r\nHost: x\r\nX-Padding: " +
      std::string(10'000, 'p') + "\r\n\r\n";
  bool cut_off = false;
  auto limit = std::chrono::steady_clock::now() + std::chrono::milliseconds{close_wait_ms};
  for (std::size_t i = 0; i < request.size() && std::chrono::steady_clock::now() < limit; ++i) {
    try {
      slow.send_raw(request.substr(i, 1));
    } catch (const std::exception&) {
      cut_off = true;  // the server closed the connection
      break;
    }
    if (i % 10 == 0) CHECK(incr_answered(server.port()));  // others go on meanwhile
    if (slow.closed_by_server(50)) {
      cut_off = true;
      break;
    }
  }
  CHECK(cut_off);
  // The slow request never reached the object.
  http_connection c{server.port()};
  CHECK(c.request("POST", "/v1/objects/counter/slow/get").body == R"({"value":0})");
  CHECK(server.stop() == 0);
}

TEST_CASE("a thousand idle connections hold up nobody and are closed after the idle timeout") {
  raise_open_files_limit();
  temp_dir dir;
  server_process server{dir, {"--idle-timeout-s", std::to_string(idle_timeout_s)}};
  std::vector<std::unique_ptr<http_connection>> idle;
  for (int i = 0; i < 1000; ++i) {
    idle.push_back(std::make_unique<http_connection>(server.port()));
    REQUIRE(idle.back()->connected());
  }
  CHECK(incr_answered(server.port()));
  int closed = 0;
  for (auto& c : idle)
    if (c->closed_by_server(close_wait_ms)) ++closed;
  CHECK(closed == 1000);
  CHECK(incr_answered(server.port()));
  CHECK(server.stop() == 0);
}

TEST_CASE("clients that leave mid-request or mid-stream cost nothing and change nothing") {
  temp_dir dir;
  server_process server{dir};
  {
    http_connection c{server.port()};
    REQUIRE(c.request("POST", "/v1/executions/e/tasks",
                      R"({"id":"long","name":"sleep","input":{"ms":2000,"progressMs":100}})")
                .status == 201);
  }
  for (int i = 0; i < 50; ++i) {
    {  // half a body, then gone
      http_connection c{server.port()};
      c.send_raw("POST /v1/objects/counter/half/incr HTTP/1.1\r\nHost: x\r\n"
                 "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"by\":");
    }
    {  // headers cut in the middle
      http_connection c{server.port()};
      c.send_raw("POST /v1/objects/counter/half/in");
    }
    {  // a whole request, gone before the answer
      http_connection c{server.port()};
      c.send_raw("POST /v1/objects/counter/left/incr HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    }
    {  // an event stream, gone while it waits for live events
      http_connection c{server.port()};
      c.send_raw("GET /v1/executions/e/tasks/long/events HTTP/1.1\r\nHost: x\r\n\r\n");
      if (i % 10 == 0) CHECK(c.read_reply().status == 200);
    }
  }
  http_connection c{server.port()};
  CHECK(c.request("POST", "/v1/objects/counter/half/get").body == R"({"value":0})");
  // Each complete request was handled once, whether or not its client stayed for the answer.
  std::string left;
  auto limit = std::chrono::steady_clock::now() + std::chrono::milliseconds{close_wait_ms};
  do {
    left = c.request("POST", "/v1/objects/counter/left/get").body;
  } while (left != R"({"value":50})" && std::chrono::steady_clock::now() < limit);
  CHECK(left == R"({"value":50})");
  CHECK(incr_answered(server.port()));
  // The task the streams watched goes on to its end, and a stream of it still works.
  http_connection stream{server.port()};
  stream.send_raw("GET /v1/executions/e/tasks/long/events HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(stream.read_until_closed().find("event: complete") != std::string::npos);
  // Nothing is left in flight: the graceful stop has nothing to wait for.
  CHECK(server.stop() == 0);
  CHECK(server.log().find("\"level\":\"error\"") == std::string::npos);
}

TEST_SUITE_END();
