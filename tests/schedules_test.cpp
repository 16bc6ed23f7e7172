// Schedules (API.md "Schedules (periodic tasks)") through an execution on a simulated clock:
// run times, run ids, the one run a past startAt gives, the runs missed while down (only the
// latest is made up), skipped runs, replacing and deleting, and the checks of the PUT body.
#include <doctest/doctest.h>

#include "actors/json_reader.hpp"
#include "error_code_of.hpp"
#include "exec_fixture.hpp"

using namespace dort;
using dort::test::code_of;
using dort::test::exec_fixture;

namespace {

constexpr std::string_view echo_task = R"("task":{"name":"echo","input":1})";

std::string put(exec_fixture& f, const std::string& name, const std::string& body) {
  json_writer out;
  out.begin_object().key("name").value(name).key("body").raw(body).end_object();
  return f.client->stub().call("schedule_put", out.str());
}

json_object_reader get(exec_fixture& f, const std::string& name) {
  json_writer out;
  out.begin_object().key("name").value(name).end_object();
  return json_object_reader{f.client->stub().call("schedule_get", out.str())};
}

/// The field of the error a PUT of `body` fails with, and its code.
std::pair<errc, std::string> refusal(exec_fixture& f, const std::string& body,
                                     const std::string& name = "s") {
  try {
    put(f, name, body);
  } catch (const error& e) {
    return {e.code(), e.field()};
  }
  return {errc{}, ""};
}

/// Waits until the run `id` exists and has completed.
void wait_completed(exec_fixture& f, const std::string& id) {
  f.eventually([&] { return code_of([&] { f.client->get(id); }) == errc{}; });
  f.wait_for_status(id, task_status::completed);
}

}  // namespace

TEST_SUITE_BEGIN("execution");

TEST_CASE("an everyMs schedule runs every period from its creation with ids name at runAt") {
  exec_fixture f;
  const auto t0 = f.clock->now_ms();
  json_object_reader created{put(f, "tick", R"({"everyMs":60000,)" + std::string{echo_task} + "}")};
  CHECK(created.int64("nextRunAt") == t0 + 60'000);
  CHECK(created.int64("createdAt") == t0);
  CHECK_FALSE(created.has("lastRunAt"));
  CHECK(created.int64("everyMs") == 60'000);
  f.clock->advance(59'999);
  f.settle();
  CHECK(f.client->list().tasks.empty());
  f.clock->advance(1);
  const auto first = "tick@" + std::to_string(t0 + 60'000);
  wait_completed(f, first);
  auto record = get(f, "tick");
  CHECK(record.int64("lastRunAt") == t0 + 60'000);
  CHECK(record.int64("nextRunAt") == t0 + 120'000);
  f.clock->advance(60'000);
  wait_completed(f, "tick@" + std::to_string(t0 + 120'000));
  CHECK(f.client->list().tasks.size() == 2);
}

TEST_CASE("an execution runs a schedule whose startAt is past once at once - for the latest run time") {
  exec_fixture f;
  const auto t0 = f.clock->now_ms();
  json_object_reader r{put(f, "late", R"({"everyMs":60000,"startAt":)" +
                                          std::to_string(t0 - 150'000) + "," +
                                          std::string{echo_task} + "}")};
  wait_completed(f, "late@" + std::to_string(t0 - 30'000));
  CHECK(f.client->list().tasks.size() == 1);
  auto record = get(f, "late");
  CHECK(record.int64("lastRunAt") == t0 - 30'000);
  CHECK(record.int64("nextRunAt") == t0 + 30'000);
}

TEST_CASE("runs missed while the server was down are not made up except the latest") {
  exec_fixture f;
  const auto t0 = f.clock->now_ms();
  put(f, "tick", R"({"everyMs":60000,)" + std::string{echo_task} + "}");
  f.client.reset();
  f.rt.reset();
  f.services.reset();
  f.clock->advance(300'000);  // five run times pass while down
  f.start();
  f.eventually([&] { return f.client->list().tasks.size() == 1; });
  f.settle();
  auto tasks = f.client->list().tasks;
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].id == "tick@" + std::to_string(t0 + 300'000));
  CHECK(get(f, "tick").int64("nextRunAt") == t0 + 360'000);
}

TEST_CASE("a cron schedule runs at the matching minutes in UTC") {
  exec_fixture f;
  const auto t0 = f.clock->now_ms();  // 2026-01-01T00:00Z
  json_object_reader r{put(f, "five", R"({"cron":"*/5 * * * *",)" + std::string{echo_task} + "}")};
  CHECK(r.string("cron") == "*/5 * * * *");
  CHECK(r.int64("nextRunAt") == t0 + 300'000);  // strictly after the creation time
  f.clock->advance(300'000);
  wait_completed(f, "five@" + std::to_string(t0 + 300'000));
}

TEST_CASE("a run past the queue limit is skipped and counted") {
  exec_fixture f{[](exec_fixture& x) { x.services_options.max_queued_tasks = 1; }};
  task_request blocker;
  blocker.name = "echo";
  blocker.delay_ms = 10'000'000;  // stays queued
  f.client->submit(blocker);
  put(f, "tick", R"({"everyMs":60000,)" + std::string{echo_task} + "}");
  f.clock->advance(60'000);
  f.eventually([&] { return get(f, "tick").int64("skippedRuns") == 1; });
  CHECK(f.services->metrics.schedule_runs_skipped == 1);
  CHECK(f.client->list().tasks.size() == 1);
}

TEST_CASE("a PUT on an existing name keeps createdAt and lastRunAt and computes nextRunAt anew") {
  exec_fixture f;
  const auto t0 = f.clock->now_ms();
  put(f, "tick", R"({"everyMs":60000,)" + std::string{echo_task} + "}");
  f.clock->advance(60'000);
  f.eventually([&] { return get(f, "tick").has("lastRunAt"); });
  f.clock->advance(10'000);
  json_object_reader r{put(f, "tick", R"({"cron":"0 * * * *",)" + std::string{echo_task} + "}")};
  CHECK(r.int64("createdAt") == t0);
  CHECK(r.int64("lastRunAt") == t0 + 60'000);
  CHECK(r.int64("nextRunAt") == t0 + 3'600'000);
  CHECK_FALSE(r.has("everyMs"));
}

TEST_CASE("schedules are listed in name order - deleted - and unknown ones are not found") {
  exec_fixture f;
  f.client->put_schedule("b", R"({"everyMs":60000,)" + std::string{echo_task} + "}");
  auto a = f.client->put_schedule("a", R"({"everyMs":1000,)" + std::string{echo_task} + "}");
  CHECK(a.every_ms == 1'000);
  CHECK(a.task == R"({"name":"echo","input":1})");
  auto all = f.client->schedules();
  REQUIRE(all.size() == 2);
  CHECK(all[0].name == "a");
  CHECK(all[1].name == "b");
  CHECK(f.client->schedule("b").next_run_at == f.clock->now_ms() + 60'000);
  f.client->delete_schedule("a");
  CHECK(code_of([&] { f.client->schedule("a"); }) == errc::schedule_not_found);
  CHECK(code_of([&] { f.client->delete_schedule("a"); }) == errc::schedule_not_found);
  f.clock->advance(1'000);  // the deleted schedule does not run
  f.settle();
  CHECK(f.client->list().tasks.empty());
}

TEST_CASE("a schedule PUT names the field at fault") {
  exec_fixture f;
  const std::string task{echo_task};
  CHECK(refusal(f, "{" + task + "}") == std::pair{errc::missing_field, std::string{"everyMs"}});
  CHECK(refusal(f, R"({"everyMs":60000,"cron":"* * * * *",)" + task + "}") ==
        std::pair{errc::invalid_field, std::string{"cron"}});
  CHECK(refusal(f, R"({"everyMs":999,)" + task + "}") ==
        std::pair{errc::invalid_field, std::string{"everyMs"}});
  CHECK(refusal(f, R"({"everyMs":31536000001,)" + task + "}") ==
        std::pair{errc::invalid_field, std::string{"everyMs"}});
  CHECK(refusal(f, R"({"cron":"* * * *",)" + task + "}") ==
        std::pair{errc::invalid_field, std::string{"cron"}});
  CHECK(refusal(f, R"({"cron":"0 0 31 2 *",)" + task + "}") ==
        std::pair{errc::invalid_field, std::string{"cron"}});  // never runs
  CHECK(refusal(f, R"({"everyMs":60000})") == std::pair{errc::missing_field, std::string{"task"}});
  CHECK(refusal(f, R"({"everyMs":60000,"task":{"name":"nope"}})") ==
        std::pair{errc::invalid_field, std::string{"task.name"}});
  CHECK(refusal(f, R"({"everyMs":60000,"task":{"name":"echo","id":"x"}})") ==
        std::pair{errc::invalid_field, std::string{"task.id"}});
  CHECK(refusal(f, R"({"everyMs":60000,"task":{"name":"echo","idempotencyKey":"x"}})") ==
        std::pair{errc::invalid_field, std::string{"task.idempotencyKey"}});
  CHECK(refusal(f, R"({"everyMs":60000,"task":{"name":"echo","config":{"maxRetries":-1}}})") ==
        std::pair{errc::invalid_field, std::string{"task.config.maxRetries"}});
  CHECK(refusal(f, R"({"everyMs":60000,"task":[]})") ==
        std::pair{errc::invalid_field, std::string{"task"}});
  CHECK(refusal(f, R"({"everyMs":60000,"startAt":-1,)" + task + "}") ==
        std::pair{errc::invalid_field, std::string{"startAt"}});
  CHECK(refusal(f, R"({"everyMs":60000,"more":1,)" + task + "}") ==
        std::pair{errc::invalid_field, std::string{"more"}});
  CHECK(refusal(f, "{\"everyMs\":60000," + task + "}", "a b") ==
        std::pair{errc::invalid_field, std::string{"name"}});
  CHECK(refusal(f, "{\"everyMs\":60000," + task + "}", std::string(129, 'x')) ==
        std::pair{errc::invalid_field, std::string{"name"}});
  CHECK(f.rt->stats().writes == 0);  // none of them stored anything
}

TEST_SUITE_END();
