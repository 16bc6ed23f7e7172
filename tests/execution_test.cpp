// The task layer through the runtime, on a simulated clock: retries, backoff, timeouts, delays
// and rate-limit windows move only when the test advances time. Attempts report back through the
// execution's mailbox, so the tests wait (real time, bounded) for states, never for durations.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "actors/json_reader.hpp"
#include "error_code_of.hpp"
#include "exec_fixture.hpp"
#include "fault_injector.hpp"
#include "execution/execution_client.hpp"
#include "execution/execution_object.hpp"
#include "execution/task_keys.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/object_store.hpp"
#include "runtime/runtime.hpp"
#include "temp_dir.hpp"
#include "test_scale.hpp"

using namespace dort;
using dort::test::code_of;
using dort::test::fault_injector;
using dort::test::temp_dir;

using dort::test::exec_fixture;
using dort::test::held_attempts;
using dort::test::retries;

TEST_SUITE_BEGIN("execution");

TEST_CASE("an echo task completes with its input as output and a full record") {
  exec_fixture f;
  auto submitted = f.submit("echo", R"({"n":12345678901234567,"s":"é"})");
  CHECK(submitted.created);
  CHECK(submitted.task.status == task_status::pending);
  CHECK_FALSE(submitted.task.has_result);
  auto t = f.wait_for_status(submitted.task.id, task_status::completed);
  CHECK(t.output == R"({"n":12345678901234567,"s":"é"})");
  CHECK(t.attempts == 1);
  CHECK(t.retries == 0);
  CHECK(t.started_at == f.clock->now_ms());
  CHECK(t.completed_at == f.clock->now_ms());
  CHECK(t.duration == 0);
  CHECK_FALSE(t.was_rate_limited);
  CHECK_FALSE(t.next_retry_at);
  CHECK(t.id.size() == 36);  // a generated UUID
  CHECK(f.event_types(t.id) == std::vector<std::string>{"created", "start", "complete"});
  // The API record has no null field and result.status equals status.
  auto json = f.client->stub().call("get", R"({"id":")" + t.id + R"("})");
  CHECK(json.find("null") == std::string::npos);
  CHECK(json.find(R"("result":{"taskId":")" + t.id + R"(","status":"completed")") !=
        std::string::npos);
}

TEST_CASE("a failing task is retried with exponential backoff and jitter then completes") {
  exec_fixture f;
  auto id = f.submit("fail", R"({"times": 2})", retries(3, 1'000)).task.id;
  auto t = f.wait_for_status(id, task_status::pending);
  f.eventually([&] { return f.client->get(id).next_retry_at.has_value(); });
  t = f.client->get(id);
  auto now = f.clock->now_ms();
  CHECK(*t.next_retry_at >= now + 1'000);
  CHECK(*t.next_retry_at <= now + 1'250);
  CHECK(t.error == "failed on purpose");
  f.clock->advance(*t.next_retry_at - now - 1);
  f.settle();
  CHECK(f.client->get(id).attempts == 1);  // never early
  f.clock->advance(1);
  f.eventually([&] { return f.client->get(id).attempts == 2 && f.client->get(id).next_retry_at; });
  t = f.client->get(id);
  now = f.clock->now_ms();
  CHECK(*t.next_retry_at >= now + 2'000);
  CHECK(*t.next_retry_at <= now + 2'500);
  f.clock->advance(2'500);
  t = f.wait_for_status(id, task_status::completed);
  CHECK(t.attempts == 3);
  CHECK(t.retries == 2);
  CHECK(t.output == R"({"attempts":3})");
  CHECK(f.event_types(id) == std::vector<std::string>{"created", "start", "retry", "start",
                                                      "retry", "start", "complete"});
  // The process-wide metrics count what became durable.
  auto& m = f.services->metrics;
  f.eventually([&] { return m.completed.load() == 1; });
  CHECK(m.submitted.load() == 1);
  CHECK(m.retries.load() == 2);
  CHECK(m.failed.load() == 0);
  CHECK(m.running.load() == 0);
  CHECK(m.queued.load() == 0);
}

TEST_CASE("retries run out into failed and the dead-letter list and a permanent error fails at once") {
  exec_fixture f;
  auto id = f.submit("fail", R"({"times": 10})", retries(1, 10)).task.id;
  f.eventually([&] { return f.client->get(id).next_retry_at.has_value(); });
  f.clock->advance(20);
  auto t = f.wait_for_status(id, task_status::failed);
  CHECK(t.attempts == 2);
  CHECK(t.retries == 1);
  CHECK(t.completed_at);
  CHECK(f.event_types(id).back() == "error");
  auto perm = f.submit("fail", R"({"permanent": true, "message": "no"})").task.id;
  t = f.wait_for_status(perm, task_status::failed);
  CHECK(t.attempts == 1);
  CHECK(t.error == "no");
  auto dlq = f.client->dlq();
  REQUIRE(dlq.tasks.size() == 2);
  CHECK(dlq.tasks[0].id == perm);  // newest first
  CHECK(dlq.tasks[1].id == id);
  auto m = f.client->metrics();
  CHECK(m.total == 2);
  CHECK(m.failed == 2);
  CHECK(m.average_retries == doctest::Approx(0.5));
}

TEST_CASE("an attempt past its timeout fails and its late result is ignored") {
  exec_fixture f;
  task_config_override o;
  o.timeout_ms = 1'000;
  o.max_retries = 0;
  auto id = f.submit("sleep", R"({"ms": 5000})", o).task.id;
  f.wait_for_status(id, task_status::running);
  f.clock->advance(999);
  f.settle();
  CHECK(f.client->get(id).status == task_status::running);
  f.clock->advance(1);
  auto t = f.wait_for_status(id, task_status::failed);
  CHECK(t.error->find("timed out") != std::string::npos);
  CHECK(t.duration == 1'000);
  f.clock->advance(10'000);  // the sleep's own completion comes, and is ignored
  // What remains is the execution's timer for the retention of its failed task.
  f.eventually([&] { return f.services->timers.size() == 1; });
  f.settle();
  t = f.client->get(id);
  CHECK(t.status == task_status::failed);
  CHECK(t.attempts == 1);
}

TEST_CASE("ready tasks start by priority then submission order within the concurrency") {
  exec_fixture f;
  f.client->configure({}, 1);
  auto blocker = f.submit("hold").task.id;
  f.eventually([&] { return f.held.size() == 1; });
  std::vector<std::pair<std::string, std::int64_t>> order = {
      {"low-a", 0}, {"high", 5}, {"low-b", 0}, {"neg", -3}, {"mid", 2}};
  for (auto& [id, prio] : order) {
    task_request r;
    r.name = "hold";
    r.id = id;
    r.priority = prio;
    f.client->submit(r);
  }
  CHECK(f.client->metrics().running == 1);
  std::vector<std::string> started;
  for (std::size_t i = 0; i < order.size(); ++i) {
    f.held.at(i)->complete("{}");
    f.eventually([&] { return f.held.size() == i + 2; });
    started.push_back(f.held.at(i + 1)->task_id());
  }
  CHECK(started == std::vector<std::string>{"high", "mid", "low-a", "low-b", "neg"});
  (void)blocker;
}

TEST_CASE("a rate limit holds tasks of its name back until the sliding window allows") {
  exec_fixture f;
  task_config_override o;
  o.rate_limit = rate_limit{2, 1'000};
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(f.submit("echo", "1", o).task.id);
  f.wait_for_status(ids[0], task_status::completed);
  f.wait_for_status(ids[1], task_status::completed);
  auto held = f.wait_for_status(ids[2], task_status::rate_limited);
  CHECK(f.client->metrics().rate_limited == 1);
  CHECK(f.event_types(ids[2]) == std::vector<std::string>{"created", "rate_limited"});
  f.clock->advance(999);
  f.settle();
  CHECK(f.client->get(ids[2]).status == task_status::rate_limited);
  f.clock->advance(1);
  auto t = f.wait_for_status(ids[2], task_status::completed);
  CHECK(t.was_rate_limited);
  (void)held;
}

TEST_CASE("idempotency keys and repeated ids return the original task and conflicts are refused") {
  exec_fixture f;
  task_request r;
  r.name = "echo";
  r.input_json = "1";
  r.idempotency_key = "pay-1";
  auto first = f.client->submit(r);
  r.id = "other";
  r.input_json = "2";
  auto again = f.client->submit(r);
  CHECK_FALSE(again.created);
  CHECK(again.task.id == first.task.id);
  task_request s;
  s.name = "echo";
  s.id = "t1";
  s.input_json = R"({"a":1})";
  CHECK(f.client->submit(s).created);
  CHECK_FALSE(f.client->submit(s).created);
  s.input_json = R"({"a":2})";
  CHECK(code_of([&] { f.client->submit(s); }) == errc::task_exists);
  s.input_json = R"({"a":1})";
  s.config = retries(3, 1'000);  // the defaults spelled out: same effective config
  CHECK_FALSE(f.client->submit(s).created);
  CHECK(f.client->metrics().total == 2);
}

TEST_CASE("a delayed task waits and cancel and retry follow the status rules") {
  exec_fixture f;
  task_request r;
  r.name = "echo";
  r.delay_ms = 5'000;
  auto id = f.client->submit(r).task.id;
  f.clock->advance(4'999);
  f.settle();
  CHECK(f.client->get(id).status == task_status::pending);
  auto cancelled = f.client->cancel(id);
  CHECK(cancelled.status == task_status::cancelled);
  CHECK(cancelled.has_result);
  CHECK(cancelled.completed_at);
  CHECK(code_of([&] { f.client->cancel(id); }) == errc::invalid_state);
  f.clock->advance(10);
  f.settle();
  CHECK(f.client->get(id).status == task_status::cancelled);  // its wait left with the cancel
  auto retried = f.client->retry(id);
  CHECK(retried.status == task_status::pending);
  auto done = f.wait_for_status(id, task_status::completed);
  CHECK(code_of([&] { f.client->retry(id); }) == errc::invalid_state);
  CHECK(code_of([&] { f.client->get("nope"); }) == errc::task_not_found);
  CHECK(code_of([&] { f.client->cancel("nope"); }) == errc::task_not_found);
  (void)done;
}

TEST_CASE("an attempt that times out is abandoned and its handler is told") {
  exec_fixture f;
  task_config_override o;
  o.timeout_ms = 1'000;
  o.max_retries = 1;
  o.initial_retry_delay_ms = 10;
  auto id = f.submit("hold", {}, o).task.id;
  f.eventually([&] { return f.held.size() == 1; });
  f.clock->advance(999);
  f.settle();
  CHECK_FALSE(f.held.at(0)->abandoned());
  f.clock->advance(1);
  f.eventually([&] { return f.held.at(0)->abandoned(); });
  bool hook_ran = false;
  f.held.at(0)->on_abandon([&] { hook_ran = true; });  // set late: it runs at once
  CHECK(hook_ran);
  f.clock->advance(20);  // the retry's attempt is a new one, not abandoned
  f.eventually([&] { return f.held.size() == 2; });
  CHECK_FALSE(f.held.at(1)->abandoned());
  f.held.at(1)->complete(R"("done")");
  CHECK(f.wait_for_status(id, task_status::completed).attempts == 2);
}

TEST_CASE("a running task can be cancelled and its result is discarded") {
  exec_fixture f;
  auto id = f.submit("hold").task.id;
  f.eventually([&] { return f.held.size() == 1; });
  CHECK_FALSE(f.held.at(0)->abandoned());
  bool hook_ran = false;
  f.held.at(0)->on_abandon([&] { hook_ran = true; });
  CHECK(f.client->cancel(id).status == task_status::cancelled);
  CHECK(f.held.at(0)->abandoned());  // the handler may stop its work
  CHECK(hook_ran);
  f.held.at(0)->complete(R"("late")");
  f.settle();
  auto t = f.client->get(id);
  CHECK(t.status == task_status::cancelled);
  CHECK_FALSE(t.output);
}

TEST_CASE("list pages newest first with stable cursors and filters") {
  exec_fixture f;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    task_request r;
    r.name = i % 2 == 0 ? "echo" : "hold";
    r.id = "t" + std::to_string(i);
    ids.push_back(f.client->submit(r).task.id);
  }
  auto page = f.client->list({std::nullopt, std::nullopt, 2, std::nullopt});
  REQUIRE(page.tasks.size() == 2);
  CHECK(page.tasks[0].id == "t4");
  CHECK(page.tasks[1].id == "t3");
  REQUIRE(page.next_cursor);
  task_request later;
  later.name = "echo";
  later.id = "t5";
  f.client->submit(later);  // submitted after the first page: shifts nothing that follows
  auto next = f.client->list({std::nullopt, std::nullopt, 2, page.next_cursor});
  REQUIRE(next.tasks.size() == 2);
  CHECK(next.tasks[0].id == "t2");
  CHECK(next.tasks[1].id == "t1");
  auto last = f.client->list({std::nullopt, std::nullopt, 2, next.next_cursor});
  REQUIRE(last.tasks.size() == 1);
  CHECK(last.tasks[0].id == "t0");
  CHECK_FALSE(last.next_cursor);
  auto holds = f.client->list({std::nullopt, std::string{"hold"}, 10, std::nullopt});
  REQUIRE(holds.tasks.size() == 2);
  CHECK(holds.tasks[0].id == "t3");
  f.eventually([&] {
    return f.client->list({task_status::completed, std::nullopt, 10, std::nullopt}).tasks.size() == 4;
  });
  CHECK(f.client->list({task_status::running, std::nullopt, 10, std::nullopt}).tasks.size() == 2);
  CHECK(code_of([&] { f.client->list({std::nullopt, std::nullopt, 2, "00000000000000010000000000000000"}); }) ==
        errc::invalid_field);
  CHECK(code_of([&] { f.client->list({std::nullopt, std::nullopt, 0, std::nullopt}); }) ==
        errc::invalid_field);
  CHECK(code_of([&] { f.client->list({std::nullopt, std::nullopt, 1001, std::nullopt}); }) ==
        errc::invalid_field);
}

TEST_CASE("submit checks fields - sizes - handler names and built-in inputs") {
  exec_fixture f;
  auto call = [&](std::string body) { f.client->stub().call("submit", body); };
  CHECK(code_of([&] { call(R"({"input": 1})"); }) == errc::missing_field);
  CHECK(code_of([&] { call(R"({"name": "nope"})"); }) == errc::invalid_field);
  CHECK(code_of([&] { call(R"({"name": "echo", "priority": 1000001})"); }) == errc::invalid_field);
  CHECK(code_of([&] { call(R"({"name": "echo", "delayMs": -1})"); }) == errc::invalid_field);
  CHECK(code_of([&] { call(R"({"name": "echo", "extra": 1})"); }) == errc::invalid_field);
  CHECK(code_of([&] { call(R"({"name": "echo", "id": ""})"); }) == errc::invalid_field);
  CHECK(code_of([&] { call(R"({"name": "echo", "config": {"timeout": 0}})"); }) ==
        errc::invalid_field);
  CHECK(code_of([&] { call(R"({"name": "wait", "input": {"duration": "P1Y"}})"); }) ==
        errc::invalid_field);
  CHECK(code_of([&] { call(R"({"name": "echo", "input": ")" + std::string(300'000, 'x') + "\"}"); }) ==
        errc::too_large);
  CHECK(code_of([&] { call(R"({"name": "echo", "metadata": ")" + std::string(17'000, 'x') + "\"}"); }) ==
        errc::too_large);
  try {
    call(R"({"name": "wait", "input": {"duration": "soon"}})");
    FAIL("accepted a bad duration");
  } catch (const error& e) {
    CHECK(e.field() == "input.duration");
  }
  CHECK(f.client->metrics().total == 0);
  CHECK(f.rt->stats().writes == 0);  // refused submits wrote nothing, reads neither
}

TEST_CASE("a wait task completes through the alarm at its time") {
  exec_fixture f;
  auto id = f.submit("wait", R"({"duration": "PT2S"})").task.id;
  f.eventually([&] { return f.client->metrics().running == 1; });
  f.clock->advance(1'999);
  f.settle();
  CHECK(f.client->get(id).status == task_status::running);
  f.clock->advance(1);
  auto t = f.wait_for_status(id, task_status::completed);
  CHECK(t.output == R"({"waitedMs":2000})");
  CHECK(t.duration == 2'000);
}

TEST_CASE("a watch sees stored then live events in order - progress included - exactly once") {
  exec_fixture f;
  auto id = f.submit("sleep", R"({"ms": 300, "progressMs": 100})").task.id;
  f.wait_for_status(id, task_status::running);
  std::mutex mutex;
  std::vector<task_event> seen;
  task_watch watch{*f.client, *f.services, id, 0, [&](const task_event& e) {
                     std::lock_guard guard{mutex};
                     seen.push_back(e);
                   }};
  for (int i = 0; i < 3; ++i) {
    f.clock->advance(100);
    f.settle();
  }
  f.wait_for_status(id, task_status::completed);
  f.eventually([&] {
    std::lock_guard guard{mutex};
    return !seen.empty() && seen.back().type == "complete";
  });
  std::lock_guard guard{mutex};
  std::vector<std::string> types;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    CHECK(seen[i].seq == i + 1);
    types.push_back(seen[i].type);
  }
  CHECK(types == std::vector<std::string>{"created", "start", "progress", "progress", "complete"});
  CHECK(seen[2].json.find(R"("progress":{"elapsedMs":100})") != std::string::npos);
}

TEST_CASE("a task running when the runtime stops is attempted again after restart and the cut-short attempt does not count") {
  exec_fixture f;
  task_config_override o;
  o.timeout_ms = 5'000;
  auto id = f.submit("hold", {}, o).task.id;
  f.eventually([&] { return f.held.size() == 1; });
  CHECK(f.client->get(id).attempts == 1);
  f.restart();
  // The execution's durable alarm wakes it a second after the attempt's deadline (any message
  // to it would have done so at once).
  f.clock->advance(5'999);
  f.settle("probe");
  CHECK(f.held.size() == 1);
  f.clock->advance(1);
  f.eventually([&] { return f.held.size() == 2; });
  auto t = f.client->get(id);
  CHECK(t.status == task_status::running);
  CHECK(t.attempts == 1);
  auto events = f.client->events(id).events;
  REQUIRE(events.size() == 3);
  CHECK(events[1].json.find(R"("attempt":1)") != std::string::npos);
  CHECK(events[2].json.find(R"("attempt":1)") != std::string::npos);  // start repeated
  f.held.at(0)->complete("6");  // the cut-short attempt's instance is gone: ignored
  f.held.at(1)->complete("7");
  t = f.wait_for_status(id, task_status::completed);
  CHECK(t.output == "7");
  CHECK(t.attempts == 1);
  CHECK(t.retries == 0);
}

TEST_CASE("delayed and retrying tasks survive a restart and none starts early") {
  exec_fixture f;
  task_request r;
  r.name = "echo";
  r.delay_ms = 10'000;
  auto delayed = f.client->submit(r).task.id;
  auto retrying = f.submit("fail", R"({"times": 1})", retries(2, 20'000)).task.id;
  f.eventually([&] { return f.client->get(retrying).next_retry_at.has_value(); });
  f.restart();
  f.clock->advance(9'999);
  f.settle();
  CHECK(f.client->get(delayed).status == task_status::pending);
  f.clock->advance(1);
  f.wait_for_status(delayed, task_status::completed);
  CHECK(f.client->get(retrying).status == task_status::pending);
  f.clock->advance(20'000);
  auto t = f.wait_for_status(retrying, task_status::completed);
  CHECK(t.attempts == 2);
}

TEST_CASE("configure merges defaults used by later tasks and checks its ranges") {
  exec_fixture f;
  task_config_override o;
  o.max_retries = 7;
  auto s = f.client->configure(o, 4);
  CHECK(s.defaults.max_retries == 7);
  CHECK(s.defaults.timeout_ms == 30'000);
  CHECK(s.concurrency == 4);
  CHECK(f.submit("echo").task.config.max_retries == 7);
  CHECK(code_of([&] { f.client->configure({}, 0); }) == errc::invalid_field);
  CHECK(code_of([&] { f.client->configure({}, 1025); }) == errc::invalid_field);
  CHECK(f.client->configure({}).concurrency == 4);
}

TEST_CASE("reading an execution that was never used creates nothing") {
  exec_fixture f;
  execution_client unused{*f.rt, "never-used"};
  CHECK(unused.list().tasks.empty());
  CHECK(unused.dlq().tasks.empty());
  CHECK(unused.metrics().total == 0);
  CHECK(unused.stub().call("config").find(R"("concurrency":16)") != std::string::npos);
  CHECK(code_of([&] { unused.get("x"); }) == errc::task_not_found);
  CHECK(f.rt->stats().writes == 0);
}

TEST_CASE("a configure that changes nothing stores nothing - one that changes a setting stores it") {
  exec_fixture f;
  execution_client unused{*f.rt, "settings"};
  CHECK(unused.update_settings(R"({"concurrency":16,"retention":{"failedMs":2592000000}})") ==
        execution_settings{});
  CHECK(unused.update_settings(R"({"circuitBreaker":{"failureThreshold":5},"groups":{"maxQueued":null}})") ==
        execution_settings{});
  CHECK(f.rt->stats().writes == 0);
  auto changed = unused.update_settings(R"({"groups":{"concurrency":2},"retention":{"completedMs":5}})");
  CHECK(changed.groups.concurrency == 2);
  CHECK(changed.retention.completed_ms == 5);
  CHECK(f.rt->stats().writes > 0);
  CHECK(unused.settings() == changed);
}

TEST_CASE("a blocking handler runs on the worker pool") {
  exec_fixture f;
  task_request r;
  r.name = "upper";
  r.id = "abc";
  f.client->submit(r);
  CHECK(f.wait_for_status("abc", task_status::completed).output == R"("abc")");
}

TEST_CASE("a handler that throws fails only its attempt and the execution goes on") {
  exec_fixture f;
  f.services->handlers.add("throws_once", [](std::shared_ptr<task_attempt> a) {
    if (a->attempt() == 1) throw std::runtime_error{"crashed"};
    a->complete("1");
  });
  f.services->handlers.add("throws_anything", [](std::shared_ptr<task_attempt>) { throw 42; });
  f.services->handlers.add("throws_permanent", [](std::shared_ptr<task_attempt>) {
    throw permanent_error{"never"};
  });
  f.services->handlers.add_blocking(
      "blocking_throws", [](task_attempt&) -> std::string { throw std::runtime_error{"bad"}; },
      f.services->workers);
  auto once = f.submit("throws_once", {}, retries(1, 1)).task.id;
  auto anything = f.submit("throws_anything", {}, retries(0, 1)).task.id;
  auto permanent = f.submit("throws_permanent", {}, retries(3, 1)).task.id;
  auto blocking = f.submit("blocking_throws", {}, retries(0, 1)).task.id;
  auto fine = f.submit("echo", R"({"ok":true})").task.id;
  f.eventually([&] { return f.client->get(once).next_retry_at.has_value(); });
  CHECK(f.client->get(once).error == "crashed");
  f.clock->advance(10);
  auto t = f.wait_for_status(once, task_status::completed);
  CHECK(t.attempts == 2);
  CHECK(t.output == "1");
  CHECK(f.wait_for_status(anything, task_status::failed).error == "the task handler threw");
  t = f.wait_for_status(permanent, task_status::failed);
  CHECK(t.attempts == 1);
  CHECK(t.error == "never");
  CHECK(f.wait_for_status(blocking, task_status::failed).error == "bad");
  CHECK(f.wait_for_status(fine, task_status::completed).output == R"({"ok":true})");
}

namespace {

/// An execution class of its own: runs every task itself, whatever its name.
class doubling_execution : public execution_object {
 public:
  using execution_object::execution_object;

 protected:
  void check_task(std::string_view name, std::string_view) override {
    if (name != "double") throw error{errc::invalid_field, "only 'double' tasks", "name"};
  }
  void run_task(std::shared_ptr<task_attempt> attempt) override {
    json_object_reader in{attempt->input()};
    attempt->complete(std::to_string(2 * in.required_int64("n")));
  }
};

}  // namespace

TEST_CASE("a class derived from the execution runs tasks with its own handler") {
  exec_fixture f;
  auto services = f.services;
  f.rt->register_class("doubler", [services](object_context& context) {
    return std::make_unique<doubling_execution>(context, services);
  });
  execution_client doubler{*f.rt, "d", "doubler"};
  task_request r;
  r.name = "double";
  r.input_json = R"({"n": 21})";
  auto id = doubler.submit(r).task.id;
  task_record t;
  f.eventually([&] {
    t = doubler.get(id);
    return t.status == task_status::completed;
  });
  CHECK(t.output == "42");
  r.name = "echo";
  CHECK(code_of([&] { doubler.submit(r); }) == errc::invalid_field);
}

TEST_CASE("retry delays stop growing at maxRetryDelay") {
  exec_fixture f;
  task_config_override o;
  o.max_retries = 5;
  o.initial_retry_delay_ms = 1'000;
  o.max_retry_delay_ms = 1'500;
  auto id = f.submit("fail", R"({"times": 3})", o).task.id;
  std::vector<std::int64_t> delays;
  for (std::int64_t attempt = 1; attempt <= 3; ++attempt) {
    f.eventually([&] {
      auto t = f.client->get(id);
      return t.attempts == attempt && t.next_retry_at.has_value();
    });
    auto t = f.client->get(id);
    delays.push_back(*t.next_retry_at - f.clock->now_ms());
    f.clock->advance(delays.back());
  }
  f.wait_for_status(id, task_status::completed);
  CHECK(delays[0] >= 1'000);
  CHECK(delays[0] <= 1'250);
  CHECK(delays[1] >= 1'500);  // 2,000 capped at 1,500
  CHECK(delays[1] <= 1'875);
  CHECK(delays[2] >= 1'500);
  CHECK(delays[2] <= 1'875);
}

TEST_CASE("a rate limit of 10 per window is never exceeded in any window and held tasks start by themselves") {
  exec_fixture f;
  task_config_override o;
  o.rate_limit = rate_limit{10, 1'000};
  std::vector<std::string> ids;
  for (int i = 0; i < 35; ++i) ids.push_back(f.submit("echo", std::to_string(i), o).task.id);
  // Time moves in small steps, each once the runtime is idle again.
  for (int step = 0; step < 100 && f.client->metrics().completed < 35; ++step) {
    f.clock->advance(100);
    f.settle();
  }
  CHECK(f.client->metrics().completed == 35);
  std::vector<std::int64_t> starts;
  for (auto& id : ids) {
    auto t = f.wait_for_status(id, task_status::completed);
    starts.push_back(*t.started_at);
  }
  std::sort(starts.begin(), starts.end());
  for (std::size_t i = 0; i + 10 < starts.size(); ++i)
    CHECK(starts[i + 10] - starts[i] >= 1'000);  // any 11 starts span at least a window
  CHECK(f.client->get(ids.back()).was_rate_limited);
  CHECK_FALSE(f.client->get(ids.front()).was_rate_limited);
}

TEST_CASE("concurrent duplicate submits with one idempotency key create one task") {
  exec_fixture f;
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::set<std::string> ids;
  int created = 0;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        task_request r;
        r.name = "echo";
        r.id = "attempt-" + std::to_string(t) + "-" + std::to_string(i);
        r.idempotency_key = "once";
        auto result = f.client->submit(r);
        std::lock_guard guard{mutex};
        ids.insert(result.task.id);
        created += result.created ? 1 : 0;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(created == 1);
  CHECK(ids.size() == 1);
  CHECK(f.client->metrics().total == 1);
}

TEST_CASE("cancel of a rate-limited task and of a scheduled retry") {
  exec_fixture f;
  task_config_override limited;
  limited.rate_limit = rate_limit{1, 60'000};
  f.submit("echo", "1", limited);
  auto held = f.submit("echo", "2", limited).task.id;
  f.wait_for_status(held, task_status::rate_limited);
  auto retrying = f.submit("fail", R"({"times": 5})", retries(3, 60'000)).task.id;
  f.eventually([&] { return f.client->get(retrying).next_retry_at.has_value(); });
  CHECK(f.client->cancel(held).status == task_status::cancelled);
  auto c = f.client->cancel(retrying);
  CHECK(c.status == task_status::cancelled);
  CHECK_FALSE(c.next_retry_at);
  f.clock->advance(120'000);  // neither wakes up again
  f.settle();
  CHECK(f.client->get(held).status == task_status::cancelled);
  CHECK(f.client->get(retrying).attempts == 1);
  auto m = f.client->metrics();
  CHECK(m.cancelled == 2);
  CHECK(m.rate_limited == 0);
  CHECK(m.pending == 0);
}

TEST_CASE("metrics count by status and average duration and retries over finished tasks") {
  exec_fixture f;
  auto a = f.submit("sleep", R"({"ms": 100})").task.id;
  auto b = f.submit("sleep", R"({"ms": 300})").task.id;
  f.eventually([&] { return f.client->metrics().running == 2; });
  f.clock->advance(100);
  f.wait_for_status(a, task_status::completed);
  f.clock->advance(200);
  f.wait_for_status(b, task_status::completed);
  auto perm = f.submit("fail", R"({"permanent": true})").task.id;
  f.wait_for_status(perm, task_status::failed);
  auto m = f.client->metrics();
  CHECK(m.total == 3);
  CHECK(m.completed == 2);
  CHECK(m.failed == 1);
  CHECK(m.average_duration == doctest::Approx(400.0 / 3));
  CHECK(m.average_retries == 0);
  f.client->retry(perm);  // its second attempt of a lifetime succeeds ("times" defaults to 1)
  f.wait_for_status(perm, task_status::completed);
  m = f.client->metrics();
  CHECK(m.failed == 0);
  CHECK(m.completed == 3);
  CHECK(m.average_duration == doctest::Approx(400.0 / 3));
}

TEST_CASE("events resume after a sequence number") {
  exec_fixture f;
  auto id = f.submit("echo", "1").task.id;
  f.wait_for_status(id, task_status::completed);
  auto later = f.client->events(id, 1);
  REQUIRE(later.events.size() == 2);
  CHECK(later.events[0].seq == 2);
  CHECK(later.events[0].type == "start");
  CHECK(later.final);
  CHECK(f.client->events(id, 3).events.empty());
}

namespace {

std::atomic<int> own_alarm_runs{0};

/// An execution that also keeps an alarm of its own.
class alarmed_execution : public execution_object {
 public:
  using execution_object::execution_object;
  std::string handle(std::string_view method, std::string_view payload) override {
    if (method == "arm") {
      set_alarm(now_ms() + 1'000);
      return "{}";
    }
    return execution_object::handle(method, payload);
  }
  void alarm(const alarm_info& info) override {
    if (info.name.empty()) {
      ++own_alarm_runs;
      return;
    }
    execution_object::alarm(info);
  }
};

}  // namespace

TEST_CASE("a derived class's own alarm and the task layer's alarm do not disturb each other") {
  exec_fixture f;
  auto services = f.services;
  f.rt->register_class("alarmed", [services](object_context& context) {
    return std::make_unique<alarmed_execution>(context, services);
  });
  execution_client client{*f.rt, "x", "alarmed"};
  own_alarm_runs = 0;
  client.stub().call("arm");
  task_request r;
  r.name = "echo";
  r.delay_ms = 2'000;
  auto id = client.submit(r).task.id;
  f.clock->advance(1'000);
  f.eventually([&] { return own_alarm_runs == 1; });
  CHECK(client.get(id).status == task_status::pending);
  f.clock->advance(1'000);
  f.eventually([&] { return client.get(id).status == task_status::completed; });
  CHECK(own_alarm_runs == 1);
}

TEST_CASE("restart with pending - retrying - rate-limited and running tasks and each finishes") {
  exec_fixture f;
  task_config_override limited;
  limited.rate_limit = rate_limit{1, 10'000};
  limited.timeout_ms = 2'000;
  auto first = f.submit("hold", {}, limited).task.id;  // running at the restart
  auto held = f.submit("hold", {}, limited).task.id;   // rate-limited
  f.wait_for_status(held, task_status::rate_limited);
  task_request r;
  r.name = "echo";
  r.delay_ms = 3'000;
  auto delayed = f.client->submit(r).task.id;
  auto retrying = f.submit("fail", R"({"times": 1})", retries(2, 4'000)).task.id;
  f.eventually([&] { return f.client->get(retrying).next_retry_at.has_value(); });
  f.restart();
  // At the running attempt's deadline it is taken back; its cut-short start still counts in the
  // rate-limit window (the start happened), so it waits for the window like the held one.
  f.clock->advance(2'000);
  f.wait_for_status(first, task_status::rate_limited);
  f.clock->advance(3'000);
  f.wait_for_status(delayed, task_status::completed);
  f.wait_for_status(retrying, task_status::completed);
  f.clock->advance(5'000);  // the window of the first start has passed
  f.eventually([&] { return f.held.size() == 2; });
  CHECK(f.held.at(1)->task_id() == first);
  f.held.at(1)->complete("1");
  auto t = f.wait_for_status(first, task_status::completed);
  CHECK(t.attempts == 1);
  f.clock->advance(10'000);
  f.eventually([&] { return f.held.size() == 3; });
  f.held.at(2)->complete("2");
  t = f.wait_for_status(held, task_status::completed);
  CHECK(t.was_rate_limited);
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("execution");

TEST_CASE("an attempt starts only once the state change that started it is durable") {
  exec_fixture f;
  f.faults->plan_commit(fault_injector::plan::hold);
  auto submitted = std::async(std::launch::async, [&] { return f.submit("hold"); });
  f.faults->wait_until_held();
  // The submit made the task running; its commit is held, so no handler may run yet.
  CHECK(f.held.size() == 0);
  f.faults->release();
  auto id = submitted.get().task.id;
  f.eventually([&] { return f.held.size() == 1; });
  CHECK(f.held.at(0)->task_id() == id);
}

TEST_CASE("a commit that fails starts nothing") {
  exec_fixture f;
  f.faults->plan_commit(fault_injector::plan::fail);
  CHECK(code_of([&] { f.submit("hold"); }) == errc::storage_failure);
  auto second = f.submit("hold").task.id;
  f.eventually([&] { return f.held.size() >= 1; });
  CHECK(f.held.size() == 1);
  CHECK(f.held.at(0)->task_id() == second);
  CHECK(f.client->metrics().total == 1);
}

TEST_CASE("a message that throws after writing leaves no running task without an attempt") {
  // A record that outgrows the value limit makes the `fail` report's message throw.
  exec_fixture f{[](exec_fixture& fx) { fx.limits.max_value_bytes = 8 * 1024; }};
  task_config_override o;
  o.max_retries = 0;
  auto id = f.submit("hold", "\"" + std::string(5'000, 'i') + "\"", o).task.id;
  f.eventually([&] { return f.held.size() == 1; });
  f.held.at(0)->fail(std::string(4'000, 'e'));
  // The instance is rebuilt from storage, which holds the task running: it runs again, and the
  // attempt that could not be recorded does not count.
  f.eventually([&] { return f.held.size() == 2; });
  CHECK(f.held.at(1)->task_id() == id);
  CHECK(f.held.at(1)->attempt() == 1);
  auto t = f.client->get(id);
  CHECK(t.status == task_status::running);
  CHECK(t.attempts == 1);
  f.held.at(1)->complete("1");
  CHECK(f.wait_for_status(id, task_status::completed).attempts == 1);
}

TEST_CASE("an instance rebuilt after a failed commit abandons its running attempts") {
  exec_fixture f;
  auto id = f.submit("hold").task.id;
  f.eventually([&] { return f.held.size() == 1; });
  std::atomic<bool> abandoned{false};
  f.held.at(0)->on_abandon([&] { abandoned = true; });
  f.faults->plan_commit(fault_injector::plan::fail);
  f.held.at(0)->progress("1");  // a message whose commit fails
  f.eventually([&] { return abandoned.load(); });
  CHECK(f.held.at(0)->abandoned());
  // The next instance finds the task running on disk and runs it again.
  CHECK(f.client->get(id).status == task_status::running);
  f.eventually([&] { return f.held.size() == 2; });
  CHECK(f.held.at(1)->attempt() == 1);
}

TEST_CASE("a handler's failure message is cut to its limit and oversized progress is dropped") {
  exec_fixture f;
  task_config_override o;
  o.max_retries = 0;
  auto id = f.submit("hold", {}, o).task.id;
  f.eventually([&] { return f.held.size() == 1; });
  f.held.at(0)->progress("\"" + std::string(execution_object::max_progress_bytes, 'p') + "\"");
  f.held.at(0)->progress("2");
  // 1.2 MiB would make the record larger than the 1 MiB value limit.
  f.held.at(0)->fail(std::string(1'200'000, 'e'));
  auto t = f.wait_for_status(id, task_status::failed);
  REQUIRE(t.error);
  CHECK(t.error->size() == execution_object::max_error_bytes);
  auto events = f.client->events(id).events;
  std::vector<std::string> types;
  for (auto& e : events) types.push_back(e.type);
  CHECK(types == std::vector<std::string>{"created", "start", "progress", "error"});
}

TEST_CASE("a rate limit counts the starts of every task of its name whatever their own limits") {
  exec_fixture f;
  task_config_override wide;
  wide.rate_limit = rate_limit{5, 10'000};
  task_config_override narrow;
  narrow.rate_limit = rate_limit{2, 1'000};
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(f.submit("hold", {}, wide).task.id);
  f.eventually([&] { return f.held.size() == 5; });
  f.clock->advance(2'000);
  // A task with a shorter window starts: its window holds none of the five starts.
  auto narrow_id = f.submit("hold", {}, narrow).task.id;
  f.eventually([&] { return f.held.size() == 6; });
  CHECK(f.held.at(5)->task_id() == narrow_id);
  // The wide limit still sees six starts in its window: the next wide task waits until the
  // first start leaves it (at 10,000 ms after it).
  auto t0 = f.clock->now_ms() - 2'000;
  auto held_id = f.submit("hold", {}, wide).task.id;
  f.wait_for_status(held_id, task_status::rate_limited);
  auto events = f.client->events(held_id).events;
  REQUIRE(events.size() == 2);
  CHECK(events[1].json.find("\"until\":" + std::to_string(t0 + 10'000)) != std::string::npos);
}

TEST_CASE("an idempotent repeat is answered while the queue is full") {
  exec_fixture f{[](exec_fixture& fx) { fx.services_options.max_queued_tasks = 2; }};
  task_request r;
  r.name = "echo";
  r.delay_ms = 60'000;
  r.idempotency_key = "first";
  auto first = f.client->submit(r);
  r.idempotency_key.reset();
  r.id = "second";
  auto second = f.client->submit(r);
  r.id = "third";
  CHECK(code_of([&] { f.client->submit(r); }) == errc::backpressure);
  r.id.reset();
  r.idempotency_key = "first";
  auto repeat = f.client->submit(r);
  CHECK_FALSE(repeat.created);
  CHECK(repeat.task.id == first.task.id);
  r.idempotency_key.reset();
  r.id = "second";
  auto same = f.client->submit(r);
  CHECK_FALSE(same.created);
  CHECK(same.task.id == "second");
}

TEST_CASE("inputs and outputs keep integers beyond 64 bits digit for digit") {
  exec_fixture f;
  const std::string input = R"({"n":123456789012345678901234567890,"f":1e400})";
  auto id = f.submit("echo", input).task.id;
  auto t = f.wait_for_status(id, task_status::completed);
  CHECK(t.input == input);
  CHECK(t.output == input);
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("execution");

/// Writes the storage of execution "jobs" as `queued` submits of `hold` tasks would leave it.
void fill_queue(const std::filesystem::path& dir, std::uint64_t queued) {
  environment_options env_options;
  env_options.dir = dir;
  env_options.mode = durability::relaxed;
  environment env{env_options};
  group_commit writer{env};
  std::mutex mutex;
  std::condition_variable changed;
  std::uint64_t durable = 0;
  bool failed = false;
  object_store store{env, writer, object_id::from_name("execution", "jobs"), "execution", "jobs",
                     {}, [&](std::uint64_t, std::uint64_t seq, std::optional<error> failure) {
                       std::lock_guard guard{mutex};
                       failed = failed || failure.has_value();
                       durable = seq;
                       changed.notify_all();
                     }};
  task_record t;
  t.name = "hold";
  t.status = task_status::pending;
  t.created_at = 1;
  for (std::uint64_t seq = 1; seq <= queued; ++seq) {
    t.id = "t" + std::to_string(seq);
    t.seq = seq;
    store.view().put(task_keys::task(t.id), encode_task(t));
    store.view().put(task_keys::all(seq), t.id);
    store.view().put(task_keys::by_status(task_status::pending, seq), t.id);
    store.view().put(task_keys::queue(0, seq), t.id);
    if (seq % 50'000 != 0 && seq != queued) continue;
    if (seq == queued) {
      task_counters counters;
      counters.next_seq = queued + 1;
      counters.of(task_status::pending) = static_cast<std::int64_t>(queued);
      store.view().put(task_keys::counters, counters.encode());
    }
    auto last = store.finish_message();
    std::unique_lock lock{mutex};
    changed.wait(lock, [&] { return durable >= *last; });
    REQUIRE_FALSE(failed);
    store.on_durable(store.generation(), *last);
  }
}

TEST_CASE("events are read in pages of at most 1000 and the client reads every page") {
  exec_fixture f;
  auto id = f.submit("hold").task.id;
  f.eventually([&] { return f.held.size() == 1; });
  for (int i = 0; i < 2'500; ++i) f.held.at(0)->progress(std::to_string(i));
  f.eventually([&] { return f.client->get(id).has_result && f.client->events(id).events.size() == 2'502; });
  f.held.at(0)->complete("1");
  f.wait_for_status(id, task_status::completed);
  json_object_reader page{f.client->stub().call("events", R"({"id":")" + id + R"(","after":0})")};
  CHECK(json_array_items(*page.raw("events")).size() == 1'000);
  CHECK(page.boolean("more") == true);
  CHECK(page.boolean("final") == false);
  auto all = f.client->events(id);
  REQUIRE(all.events.size() == 2'503);
  for (std::size_t i = 0; i < all.events.size(); ++i) CHECK(all.events[i].seq == i + 1);
  CHECK(all.final);
}

TEST_CASE("a progress report writes its event alone and a restart continues after it") {
  exec_fixture f;
  auto id = f.submit("hold", R"({"big":")" + std::string(10'000, 'x') + R"("})").task.id;
  f.eventually([&] { return f.held.size() == 1; });
  f.eventually([&] { return f.client->events(id).events.size() == 2; });  // created, start
  const auto writes_before = f.rt->stats().writes;
  f.held.at(0)->progress("1");
  f.eventually([&] { return f.client->events(id).events.size() == 3; });
  // One key: the event. The record (with its 10 KB input) is not written again.
  CHECK(f.rt->stats().writes - writes_before == 1);
  f.held.at(0)->progress("2");
  f.eventually([&] { return f.client->events(id).events.size() == 4; });
  f.restart();  // the attempt is cut short; its progress stays
  f.client->get(id);  // activates the execution, which runs the task again
  f.eventually([&] { return f.held.size() == 2; });
  f.held.at(1)->complete("3");
  f.wait_for_status(id, task_status::completed);
  auto events = f.client->events(id).events;
  std::vector<std::string> types;
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].seq == i + 1);
    types.push_back(events[i].type);
  }
  CHECK(types == std::vector<std::string>{"created", "start", "progress", "progress", "start",
                                          "complete"});
  CHECK(events[2].json.find("\"progress\":1") != std::string::npos);
}

TEST_CASE("an execution with 1000000 queued tasks activates - answers a get and starts tasks in bounded reads") {
  constexpr std::uint64_t queued = dort::test::at_scale(1'000'000);
  exec_fixture f{[&](exec_fixture& fx) { fill_queue(fx.dir.path(), queued); }};
  const auto before = object_store::reads_total();
  auto first = f.client->get("t1");
  CHECK(first.id == "t1");
  CHECK(first.status == task_status::running);  // started by the activation, before the get
  // Activation took back nothing and started the first 16 (the concurrency), in order.
  f.eventually([&] { return f.held.size() == 16; });
  const auto reads = object_store::reads_total() - before;
  CHECK(reads < 10'000);
  CHECK(f.held.at(0)->task_id() == "t1");
  CHECK(f.held.at(15)->task_id() == "t16");
  CHECK(f.client->metrics().pending == static_cast<std::int64_t>(queued) - 16);
  MESSAGE("reads for activation, a get and 16 starts: " << reads);
  // A name no task has: one page looks at a bounded number of tasks and hands back a cursor.
  const auto before_list = object_store::reads_total();
  auto page = f.client->list({std::nullopt, std::string{"rare"}, 10, std::nullopt});
  CHECK(page.tasks.empty());
  CHECK(page.next_cursor);
  CHECK(object_store::reads_total() - before_list < 25'000);
  auto next = f.client->list({std::nullopt, std::string{"hold"}, 2, page.next_cursor});
  REQUIRE(next.tasks.size() == 2);
  CHECK(next.tasks[0].id == "t" + std::to_string(queued - 10'000));
}

TEST_CASE("reports that arrive together are one message - and a throw in it leaves memory as storage") {
  // A record that outgrows the value limit makes the `fail` report's message throw.
  exec_fixture f{[](exec_fixture& fx) { fx.limits.max_value_bytes = 8 * 1024; }};
  task_config_override o;
  o.max_retries = 3;
  o.initial_retry_delay_ms = 1'000;
  auto a = f.submit("hold", {}, o).task.id;
  auto b = f.submit("hold", "\"" + std::string(5'000, 'i') + "\"", o).task.id;
  f.eventually([&] { return f.held.size() == 2; });
  // An attempt whose handler blocks the execution's thread until the test lets it go, so that
  // the two reports below wait in the inbox for one message.
  std::promise<void> go;
  auto released = go.get_future().share();
  std::atomic<bool> blocking{false};
  f.services->handlers.add("block", [&blocking, released](std::shared_ptr<task_attempt> attempt) {
    blocking = true;
    released.wait();
    attempt->complete("1");
  });
  // Its reply may wait behind the blocked thread: it is taken at the end.
  auto blocker = std::async(std::launch::async, [&] { return f.submit("block").task.id; });
  f.eventually([&] { return blocking.load(); });
  f.held.at(0)->fail("a retries");              // would be stored pending, retry at +1 s
  f.held.at(1)->fail(std::string(4'000, 'e'));  // makes b's record too large: throws
  go.set_value();
  blocker.get();
  // The one message of the three reports (a's, b's, the blocker's) threw: the tasks are running
  // on disk, so they run again and no cut-short attempt counts; a's retry, lost with the
  // message, is not in memory either (its cached record went with the rest).
  f.eventually([&] { return f.held.size() == 4; });
  std::set<std::string> again{f.held.at(2)->task_id(), f.held.at(3)->task_id()};
  CHECK(again == std::set<std::string>{a, b});
  CHECK(f.held.at(2)->attempt() == 1);
  CHECK(f.held.at(3)->attempt() == 1);
  auto ta = f.client->get(a);
  CHECK(ta.status == task_status::running);
  CHECK(ta.attempts == 1);
  CHECK_FALSE(ta.next_retry_at.has_value());
}

TEST_CASE("a batch answers each item like a submit - in order - each seeing the items before it") {
  exec_fixture f{[](exec_fixture& fx) { fx.services_options.max_queued_tasks = 4; }};
  auto item = [](std::string name, std::optional<std::string> id = {},
                 std::optional<std::string> key = {}, std::optional<std::string> input = {}) {
    task_request r;
    r.name = std::move(name);
    r.id = std::move(id);
    r.idempotency_key = std::move(key);
    r.input_json = std::move(input);
    return r;
  };
  auto results = f.client->submit_batch({
      item("hold", "a"),                           // created
      item("no_such_handler", "b"),                // refused: unknown name
      item("hold", "c", "key-1"),                  // created
      item("hold", "d", "key-1"),                  // a repeat of c by its key
      item("hold", "a"),                           // a repeat of a by id and content
      item("hold", "a", {}, "1"),                  // a's id with other content
      item("hold", "e"),                           // created: the 3rd queued
      item("hold", "f"),                           // created: the 4th
      item("hold", "g"),                           // refused: the queue is full
  });
  REQUIRE(results.size() == 9);
  CHECK(results[0].value().created);
  CHECK(results[1].err().code() == errc::invalid_field);
  CHECK(results[1].err().field() == "name");
  CHECK(results[2].value().created);
  CHECK_FALSE(results[3].value().created);
  CHECK(results[3].value().task.id == "c");
  CHECK_FALSE(results[4].value().created);
  CHECK(results[5].err().code() == errc::task_exists);
  CHECK(results[6].value().created);
  CHECK(results[7].value().created);
  CHECK(results[8].err().code() == errc::backpressure);
  CHECK(f.client->metrics().total == 4);
  CHECK(code_of([&] { f.client->get("b"); }) == errc::task_not_found);
  CHECK(code_of([&] { f.client->get("g"); }) == errc::task_not_found);
}

TEST_CASE("a batch whose commit fails creates none of its tasks") {
  exec_fixture f;
  task_request one;
  one.name = "hold";
  one.id = "one";
  task_request two = one;
  two.id = "two";
  f.faults->plan_commit(fault_injector::plan::fail);
  CHECK(code_of([&] { f.client->submit_batch({one, two}); }) == errc::storage_failure);
  CHECK(code_of([&] { f.client->get("one"); }) == errc::task_not_found);
  CHECK(code_of([&] { f.client->get("two"); }) == errc::task_not_found);
  CHECK(f.client->metrics().total == 0);
  auto again = f.client->submit_batch({one, two});
  CHECK(again.at(0).value().created);
  CHECK(again.at(1).value().created);
  f.eventually([&] { return f.held.size() == 2; });
}

TEST_CASE("a finished task is deleted at once - its id and key free again - and metrics exact") {
  exec_fixture f;
  task_request r;
  r.name = "upper";
  r.id = "x";
  r.idempotency_key = "key-x";
  f.client->submit(r);
  f.eventually([&] { return f.client->get("x").status == task_status::completed; });
  CHECK(f.client->metrics().completed == 1);
  f.client->remove("x");
  CHECK(code_of([&] { f.client->get("x"); }) == errc::task_not_found);
  CHECK(code_of([&] { f.client->remove("x"); }) == errc::task_not_found);
  auto m = f.client->metrics();
  CHECK(m.total == 0);
  CHECK(m.completed == 0);
  CHECK(f.client->list().tasks.empty());
  CHECK(code_of([&] { f.client->events("x"); }) == errc::task_not_found);
  // Free again: the same id and key make a new task (of another handler: content is free too).
  r.name = "hold";
  auto again = f.client->submit(r);
  CHECK(again.created);
  // The old task's events went with it: its third ("complete") would still be listed.
  f.eventually([&] { return f.held.size() == 1; });
  auto events = f.client->events("x").events;
  REQUIRE(events.size() == 2);
  CHECK(events[0].type == "created");
  CHECK(events[1].type == "start");
  // A task that is not finished is not deleted.
  CHECK(code_of([&] { f.client->remove("x"); }) == errc::invalid_state);
}

TEST_CASE("purging the dead letters deletes every failed task in chunks and answers the count") {
  exec_fixture f;
  std::vector<task_request> doomed(300);
  for (std::size_t i = 0; i < doomed.size(); ++i) {
    doomed[i].name = "doomed";
    doomed[i].id = "d" + std::to_string(i);
  }
  f.client->submit_batch(doomed);
  f.eventually([&] { return f.client->metrics().failed == 300; });
  auto kept = f.submit("upper").task.id;
  f.eventually([&] { return f.client->get(kept).status == task_status::completed; });
  CHECK(f.client->purge_dead_letters() == 300);
  auto m = f.client->metrics();
  CHECK(m.failed == 0);
  CHECK(m.total == 1);
  CHECK(f.client->dlq().tasks.empty());
  CHECK(code_of([&] { f.client->get("d0"); }) == errc::task_not_found);
  CHECK(code_of([&] { f.client->get("d299"); }) == errc::task_not_found);
  CHECK(f.client->get(kept).status == task_status::completed);
  CHECK(f.client->purge_dead_letters() == 0);
}

TEST_SUITE_END();
