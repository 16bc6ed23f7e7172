// Retention (API.md "Retention and purge") on a simulated clock: finished tasks are deleted by
// the execution itself once their `completedMs` or `failedMs` has passed since `completedAt` —
// record, indexes and events — never earlier, in bounded steps, across a restart, with the
// metrics and a deleted task's id and idempotency key free again.
#include <doctest/doctest.h>

#include "error_code_of.hpp"
#include "exec_fixture.hpp"

using namespace dort;
using dort::test::code_of;
using dort::test::exec_fixture;

namespace {

bool is_gone(exec_fixture& f, const std::string& id) {
  return code_of([&] { f.client->get(id); }) == errc::task_not_found;
}

task_request echo(std::string id, std::optional<std::string> key = {}) {
  task_request r;
  r.name = "echo";
  r.id = std::move(id);
  r.input_json = "1";
  r.idempotency_key = std::move(key);
  return r;
}

}  // namespace

TEST_SUITE_BEGIN("execution");

TEST_CASE("a completed task is deleted completedMs after completedAt and not earlier") {
  exec_fixture f;
  f.client->update_settings(R"({"retention":{"completedMs":60000}})");
  f.client->submit(echo("done", "key-1"));
  f.wait_for_status("done", task_status::completed);
  f.clock->advance(59'999);
  f.settle();
  CHECK(f.client->get("done").status == task_status::completed);
  f.clock->advance(1);
  f.eventually([&] { return is_gone(f, "done"); });
  auto m = f.client->metrics();
  CHECK(m.total == 0);
  CHECK(m.completed == 0);
  CHECK(f.client->list().tasks.empty());
  CHECK(code_of([&] { f.client->events("done"); }) == errc::task_not_found);
}

TEST_CASE("a deleted task's id and idempotency key are free again and its events are gone") {
  exec_fixture f;
  f.client->update_settings(R"({"retention":{"completedMs":1000}})");
  f.client->submit(echo("done", "key-1"));
  f.wait_for_status("done", task_status::completed);
  f.clock->advance(1'000);
  f.eventually([&] { return is_gone(f, "done"); });
  auto again = f.client->submit(echo("done", "key-1"));
  CHECK(again.created);
  f.wait_for_status("done", task_status::completed);
  // The new task's log starts afresh: none of the deleted task's events is left.
  CHECK(f.event_types("done") == std::vector<std::string>{"created", "start", "complete"});
}

TEST_CASE("a changed retention applies to tasks that finished before the change") {
  exec_fixture f;
  f.client->submit(echo("old"));
  f.wait_for_status("old", task_status::completed);
  f.clock->advance(10'000);
  f.settle();
  CHECK(f.client->get("old").status == task_status::completed);  // 7 days by default
  f.client->update_settings(R"({"retention":{"completedMs":5000}})");
  f.eventually([&] { return is_gone(f, "old"); });
}

TEST_CASE("retention deletes more finished tasks than one step takes") {
  exec_fixture f;
  f.client->update_settings(R"({"retention":{"completedMs":1000}})");
  std::vector<task_request> batch;
  for (int i = 0; i < 700; ++i) batch.push_back(echo("t" + std::to_string(i)));
  f.client->submit_batch(batch);
  f.eventually([&] { return f.client->metrics().completed == 700; });
  f.clock->advance(1'000);
  f.eventually([&] { return f.client->metrics().total == 0; });
  CHECK(f.client->list().tasks.empty());
}

TEST_CASE("retention goes on after a restart") {
  exec_fixture f;
  f.client->update_settings(R"({"retention":{"completedMs":3000}})");
  f.client->submit(echo("done"));
  f.wait_for_status("done", task_status::completed);
  f.restart();
  f.clock->advance(3'000);  // the execution is not active: its durable alarm brings it back
  f.eventually([&] { return is_gone(f, "done"); });
}

TEST_CASE("a retried task leaves the retention of its failure") {
  exec_fixture f;
  f.client->update_settings(R"({"retention":{"completedMs":1000000,"failedMs":1000}})");
  auto id = f.submit("fail", R"({"times":1,"permanent":true})").task.id;
  f.wait_for_status(id, task_status::failed);
  f.clock->advance(500);
  f.client->retry(id);
  f.wait_for_status(id, task_status::completed);
  f.clock->advance(600);  // past the failure's retention, far from the completion's
  f.settle();
  CHECK(f.client->get(id).status == task_status::completed);
}

TEST_CASE("failed tasks keep failedMs - cancelled ones completedMs") {
  exec_fixture f;
  f.client->update_settings(R"({"retention":{"completedMs":1000,"failedMs":5000}})");
  auto failed = f.submit("doomed").task.id;
  task_request later = echo("cancelled");
  later.delay_ms = 100'000;
  f.client->submit(later);
  f.client->cancel("cancelled");
  f.wait_for_status(failed, task_status::failed);
  f.clock->advance(1'000);
  f.eventually([&] { return is_gone(f, "cancelled"); });
  f.settle();
  CHECK(f.client->get(failed).status == task_status::failed);
  CHECK(f.client->dlq().tasks.size() == 1);
  f.clock->advance(4'000);
  f.eventually([&] { return is_gone(f, failed); });
  CHECK(f.client->dlq().tasks.empty());
  CHECK(f.client->metrics().total == 0);
}

TEST_SUITE_END();
