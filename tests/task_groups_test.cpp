// Task groups (API.md "Submit" `group`, "Semantics" groups): the field stored, returned and
// compared like the rest of a task's content, and each group's `maxQueued`.
#include <doctest/doctest.h>

#include "error_code_of.hpp"
#include "exec_fixture.hpp"

using namespace dort;
using dort::test::code_of;
using dort::test::exec_fixture;

namespace {

task_request delayed(std::string id, std::optional<std::string> group) {
  task_request r;
  r.name = "echo";
  r.id = std::move(id);
  r.group = std::move(group);
  r.delay_ms = 1'000'000;  // stays pending
  return r;
}

}  // namespace

TEST_SUITE_BEGIN("execution");

TEST_CASE("a task's group is stored - returned in its record - and part of its content") {
  exec_fixture f;
  auto created = f.client->submit(delayed("a", "user-1"));
  CHECK(created.created);
  CHECK(created.task.group == "user-1");
  CHECK(f.client->get("a").group == "user-1");
  auto json = f.client->stub().call("get", R"({"id":"a"})");
  CHECK(json.find(R"("group":"user-1","status":"pending")") != std::string::npos);
  CHECK_FALSE(f.client->submit(delayed("a", "user-1")).created);  // the same content
  CHECK(code_of([&] { f.client->submit(delayed("a", "user-2")); }) == errc::task_exists);
  CHECK(code_of([&] { f.client->submit(delayed("a", std::nullopt)); }) == errc::task_exists);
  // Without a group the record has no group field.
  f.client->submit(delayed("b", std::nullopt));
  CHECK(f.client->stub().call("get", R"({"id":"b"})").find("group") == std::string::npos);
}

TEST_CASE("a group is 1 to 256 bytes") {
  exec_fixture f;
  auto field_of = [&](const std::string& group) {
    try {
      f.client->submit(delayed("x", group));
    } catch (const error& e) {
      return e.code() == errc::invalid_field ? e.field() : std::string{"other"};
    }
    return std::string{};
  };
  CHECK(field_of("") == "group");
  CHECK(field_of(std::string(257, 'g')) == "group");
  CHECK(field_of(std::string(256, 'g')).empty());
  CHECK(code_of([&] { f.client->stub().call("submit", R"({"name":"echo","group":5})"); }) ==
        errc::invalid_field);
}

TEST_CASE("a submit past its group's maxQueued is refused with backpressure - other groups go on") {
  exec_fixture f;
  f.client->update_settings(R"({"groups":{"maxQueued":2}})");
  f.client->submit(delayed("a1", "a"));
  f.client->submit(delayed("a2", "a"));
  CHECK(code_of([&] { f.client->submit(delayed("a3", "a")); }) == errc::backpressure);
  CHECK(f.client->submit(delayed("b1", "b")).created);
  CHECK(f.client->submit(delayed("n1", std::nullopt)).created);  // no group: no group limit
  CHECK(f.client->submit(delayed("n2", std::nullopt)).created);
  CHECK(f.client->submit(delayed("n3", std::nullopt)).created);
  // A repeat is not a new task: never refused.
  CHECK_FALSE(f.client->submit(delayed("a1", "a")).created);
  // A task that leaves the queue frees its place.
  f.client->cancel("a1");
  CHECK(f.client->submit(delayed("a3", "a")).created);
  // A batch counts the items before it.
  auto results = f.client->submit_batch({delayed("b2", "b"), delayed("b3", "b")});
  REQUIRE(results.size() == 2);
  CHECK(results[0].has_value());
  REQUIRE_FALSE(results[1].has_value());
  CHECK(results[1].err().code() == errc::backpressure);
}

TEST_CASE("a group's queued count survives a restart and follows retries") {
  exec_fixture f;
  f.client->update_settings(R"({"groups":{"maxQueued":1}})");
  task_request r;
  r.name = "fail";
  r.id = "f";
  r.group = "g";
  r.input_json = R"({"times":1,"permanent":true})";
  f.client->submit(r);
  f.wait_for_status("f", task_status::failed);
  f.client->submit(delayed("w", "g"));
  f.restart();
  CHECK(code_of([&] { f.client->submit(delayed("w2", "g")); }) == errc::backpressure);
  f.client->cancel("w");
  f.client->update_settings(R"({"concurrency":1})");
  f.submit("hold");  // takes the one slot: a retried task stays queued
  f.eventually([&] { return f.held.size() == 1; });
  f.client->retry("f");  // queued again: the group is full once more
  CHECK(code_of([&] { f.client->submit(delayed("w2", "g")); }) == errc::backpressure);
}

TEST_SUITE_END();
