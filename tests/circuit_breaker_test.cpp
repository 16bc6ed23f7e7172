// The circuit breaker of `http` tasks (API.md "Circuit breaker for http tasks"): the circuit
// class on its own, then through an execution on a simulated clock with a stand-in `http`
// handler whose host is up or down as the test says.
#include <doctest/doctest.h>

#include <atomic>

#include "exec_fixture.hpp"
#include "execution/circuit_breaker.hpp"
#include "execution/http_task.hpp"

using namespace dort;
using dort::test::exec_fixture;

TEST_SUITE_BEGIN("without_caf");

TEST_CASE("a circuit opens after failureThreshold consecutive failures and an answer resets the count") {
  circuit_breaker b;
  const circuit_breaker_policy policy{3, 1'000};
  b.failed("h", "t", 0, policy);
  b.failed("h", "t", 0, policy);
  b.answered("h");  // not consecutive any more
  b.failed("h", "t", 0, policy);
  b.failed("h", "t", 0, policy);
  CHECK(b.admit("h", "t", 0));
  CHECK(b.open_count() == 0);
  b.failed("h", "t", 10, policy);
  CHECK(b.open_count() == 1);
  CHECK_FALSE(b.admit("h", "t", 10));
  CHECK_FALSE(b.admit("h", "t", 1'009));
  CHECK(b.admit("other", "t", 10));  // each host has its own circuit
}

TEST_CASE("after openMs one trial goes through - its answer closes - its failure opens again") {
  circuit_breaker b;
  const circuit_breaker_policy policy{1, 1'000};
  b.failed("h", "a", 0, policy);
  CHECK(b.admit("h", "a", 1'000));       // the trial
  CHECK_FALSE(b.admit("h", "b", 1'000));  // one trial at a time
  b.failed("h", "a", 1'100, policy);     // opens again for openMs from now
  CHECK_FALSE(b.admit("h", "b", 2'099));
  CHECK(b.admit("h", "b", 2'100));
  b.answered("h");
  CHECK(b.open_count() == 0);
  CHECK(b.admit("h", "c", 2'100));
  CHECK(b.admit("h", "d", 2'100));
}

TEST_CASE("an abandoned trial lets the next attempt be the trial - late failures do not extend") {
  circuit_breaker b;
  const circuit_breaker_policy policy{1, 1'000};
  b.failed("h", "a", 0, policy);
  CHECK(b.admit("h", "a", 1'000));
  b.abandoned("a");
  CHECK(b.admit("h", "b", 1'000));
  b.failed("h", "late", 1'000, policy);  // a call made before the circuit opened
  CHECK(b.open_count() == 1);
  b.answered("h");
  CHECK(b.open_count() == 0);
}

TEST_CASE("a circuit is named by scheme - host and port") {
  CHECK(http_circuit_host(R"({"url":"http://Example.com/a"})") == "http://example.com:80");
  CHECK(http_circuit_host(R"({"url":"https://example.com:8443/b?c"})") ==
        "https://example.com:8443");
  CHECK(http_circuit_host(R"({"url":"https://example.com/"})") == "https://example.com:443");
  CHECK_FALSE(http_circuit_host(R"({"url":"ftp://example.com/"})"));
}

TEST_SUITE_END();

namespace {

/// An execution whose `http` handler answers unless the test has taken host h.test down.
struct breaker_fixture {
  breaker_fixture() {
    f.services->handlers.add(
        "http",
        [this](std::shared_ptr<task_attempt> a) {
          ++calls;
          if (down && a->input().find("h.test") != std::string::npos)
            a->fail("503 from the host");
          else
            a->complete(R"({"status":200})");
        },
        check_http_input);
    f.client->update_settings(R"({"circuitBreaker":{"failureThreshold":2,"openMs":5000}})");
  }

  std::string submit(const std::string& url) {
    task_config_override o;
    o.max_retries = 20;
    o.initial_retry_delay_ms = 1'000;
    o.max_retry_delay_ms = 1'000;
    o.backoff_multiplier = 1;
    return f.submit("http", R"({"url":")" + url + R"("})", o).task.id;
  }

  /// Advances past the next retry (1,000 ms + at most 25 % jitter).
  void next_retry() {
    f.clock->advance(1'250);
    f.settle();
  }

  exec_fixture f;
  std::atomic<int> calls{0};
  std::atomic<bool> down{true};
};

}  // namespace

TEST_SUITE_BEGIN("execution");

TEST_CASE("attempts to a host whose circuit is open fail at once with circuit_open and no call") {
  breaker_fixture b;
  auto id = b.submit("http://h.test/x");
  b.f.eventually([&] { return b.calls == 1; });
  b.f.settle();
  b.next_retry();
  b.f.eventually([&] { return b.calls == 2; });  // the second failure opens the circuit
  b.f.eventually([&] { return b.f.services->metrics.circuits_open == 1; });
  b.next_retry();
  b.f.eventually([&] { return b.f.client->get(id).attempts == 3; });
  b.f.settle();
  auto t = b.f.client->get(id);
  CHECK(b.calls == 2);
  CHECK(t.attempts == 3);
  CHECK(t.error == "circuit_open");
  CHECK(t.duration == 0);
  CHECK(t.status == task_status::pending);  // a retry is scheduled as for any failed attempt
  auto events = b.f.event_types(id);
  CHECK(events.back() == "retry");
  // Another host is not held back.
  auto other = b.submit("http://other.test/y");
  b.f.wait_for_status(other, task_status::completed);
  CHECK(b.calls == 3);
}

TEST_CASE("after openMs one attempt goes through and its answer closes the circuit") {
  breaker_fixture b;
  auto id = b.submit("http://h.test/x");
  b.f.eventually([&] { return b.calls == 1; });
  b.f.settle();
  b.next_retry();
  b.f.eventually([&] { return b.calls == 2; });
  b.f.settle();
  b.down = false;
  for (int i = 0; i < 10 && b.f.client->get(id).status != task_status::completed; ++i)
    b.next_retry();
  auto t = b.f.wait_for_status(id, task_status::completed);
  CHECK(t.status == task_status::completed);
  CHECK(b.calls == 3);          // refused attempts made no call; the trial did
  CHECK(t.attempts >= 4);       // at least one attempt was refused while the circuit was open
  CHECK(b.f.services->metrics.circuits_open == 0);
}

TEST_CASE("a failed trial opens the circuit again") {
  breaker_fixture b;
  auto id = b.submit("http://h.test/x");
  b.f.eventually([&] { return b.calls == 1; });
  b.f.settle();
  b.next_retry();
  b.f.eventually([&] { return b.calls == 2; });
  b.f.settle();
  for (int i = 0; i < 10 && b.calls == 2; ++i) b.next_retry();
  CHECK(b.calls == 3);  // the trial, failed
  b.f.eventually([&] { return b.f.client->get(id).status == task_status::pending; });
  const auto attempts = b.f.client->get(id).attempts;
  b.next_retry();
  b.f.eventually([&] { return b.f.client->get(id).attempts == attempts + 1; });
  b.f.settle();
  CHECK(b.calls == 3);  // refused again
  CHECK(b.f.services->metrics.circuits_open == 1);
}

TEST_CASE("with circuitBreaker null every attempt makes its call") {
  breaker_fixture b;
  b.f.client->update_settings(R"({"circuitBreaker":null})");
  auto id = b.submit("http://h.test/x");
  b.f.eventually([&] { return b.calls == 1; });
  b.f.settle();
  for (int i = 0; i < 4; ++i) {
    b.next_retry();
    b.f.eventually([&] { return b.calls == i + 2; });
    b.f.settle();
  }
  CHECK(b.calls == 5);
  CHECK(b.f.client->get(id).attempts == 5);
  CHECK(b.f.services->metrics.circuits_open == 0);
}

TEST_SUITE_END();
