// Workflows (API.md "Workflows") through an execution on a simulated clock: creation and its
// checks, each step kind, references, events in and out, failures (onError, onTimeout, abort),
// parent steps with children and finalize, cancel, retry, timeouts, delete, restart, metrics.
#include <doctest/doctest.h>

#include <atomic>

#include "actors/json_reader.hpp"
#include "error_code_of.hpp"
#include "exec_fixture.hpp"
#include "execution/workflow_builder.hpp"
#include "execution/workflow_client.hpp"
#include "persistence/object_store.hpp"

using namespace dort;
using dort::test::code_of;
using dort::test::exec_fixture;

namespace {

struct wf_fixture : exec_fixture {
  using exec_fixture::exec_fixture;

  workflow_client workflows() { return workflow_client{*rt, "jobs"}; }

  workflow_view create(const std::string& body, bool* created = nullptr) {
    return workflows().create(body, created);
  }

  workflow_view wait_for(const std::string& id, const std::string& status) {
    workflow_view v;
    eventually([&] {
      v = workflows().get(id);
      return v.status == status;
    });
    return v;
  }

  /// The code and field of the error that creating `body` fails with.
  std::pair<errc, std::string> refusal(const std::string& body) {
    try {
      create(body);
    } catch (const error& e) {
      return {e.code(), e.field()};
    }
    return {errc{}, ""};
  }

  /// The `output` of step `name` as JSON text.
  std::string step_output(const std::string& id, const std::string& name) {
    return json_object_reader{workflows().step(id, name)}.raw("output").value_or("<none>");
  }

  std::vector<std::string> event_types(const std::string& id) {
    json_object_reader page{workflows().events(id)};
    std::vector<std::string> types;
    for (const auto& e : json_array_items(page.raw("events").value_or("[]")))
      types.push_back(json_object_reader{e}.required_string("type"));
    return types;
  }
};

const std::string three_echoes = R"({"id":"w","input":{"n":7},"steps":[
  {"name":"a","task":"echo","input":{"v":{"$ref":"$input#/n"}}},
  {"name":"b","task":"echo","input":{"prev":{"$ref":"a"},"deep":{"$ref":"a#/v"}}},
  {"name":"c","kind":"set","value":[{"$ref":"b#/deep"},{"$ref":"b#/missing"}]}]})";

}  // namespace

TEST_SUITE_BEGIN("execution");

TEST_CASE("a workflow runs its steps in order and ends with the last step's output") {
  wf_fixture f;
  bool created = false;
  auto v = f.create(three_echoes, &created);
  CHECK(created);
  CHECK(v.status == "running");
  CHECK(v.current_step == "a");
  REQUIRE(v.steps.size() == 3);
  CHECK(v.steps[0].status == "running");
  CHECK(v.steps[0].task_id == "w#a");
  CHECK(v.steps[1].status == "pending");
  auto done = f.wait_for("w", "completed");
  CHECK(done.output_json == "[7,null]");
  CHECK(!done.current_step);
  CHECK(f.step_output("w", "a") == R"({"v":7})");
  CHECK(f.step_output("w", "b") == R"({"prev":{"v":7},"deep":7})");
  CHECK(f.event_types("w") == std::vector<std::string>{"created", "step_start", "step_complete",
                                                       "step_start", "step_complete",
                                                       "step_start", "step_complete",
                                                       "complete"});
}

TEST_CASE("a create with the same id and content answers the existing workflow - other content is workflow_exists") {
  wf_fixture f;
  f.create(three_echoes);
  bool created = true;
  auto again = f.create(three_echoes, &created);
  CHECK_FALSE(created);
  CHECK(again.id == "w");
  CHECK(f.refusal(R"({"id":"w","steps":[{"name":"a","task":"echo"}]})").first ==
        errc::workflow_exists);
}

TEST_CASE("client-owned numbers keep their digits through references") {
  wf_fixture f;
  f.create(R"({"id":"big","input":{"n":123456789012345678901234567890,"f":1.10},
    "steps":[{"name":"a","task":"echo","input":{"$ref":"$input"}}]})");
  auto done = f.wait_for("big", "completed");
  CHECK(done.output_json == R"({"n":123456789012345678901234567890,"f":1.10})");
}

TEST_CASE("create checks every step before creating anything and names the field at fault") {
  wf_fixture f;
  auto field = [&](const std::string& steps) { return f.refusal(R"({"steps":)" + steps + "}"); };
  CHECK(f.refusal("{}") == std::pair{errc::missing_field, std::string{"steps"}});
  CHECK(field("[]") == std::pair{errc::invalid_field, std::string{"steps"}});
  CHECK(field("[1]") == std::pair{errc::invalid_field, std::string{"steps[0]"}});
  CHECK(field(R"([{"name":"a","task":"echo"},{"name":"a","task":"echo"}])") ==
        std::pair{errc::invalid_field, std::string{"steps[1].name"}});
  CHECK(field(R"([{"name":"bad name","task":"echo"}])") ==
        std::pair{errc::invalid_field, std::string{"steps[0].name"}});
  CHECK(field(R"([{"name":"a","task":"nope"}])") ==
        std::pair{errc::invalid_field, std::string{"steps[0].task"}});
  CHECK(field(R"([{"name":"a","kind":"dance"}])") ==
        std::pair{errc::invalid_field, std::string{"steps[0].kind"}});
  CHECK(field(R"([{"name":"a","task":"echo","input":{"a":{"$ref":"b"}}},{"name":"b","task":"echo"}])") ==
        std::pair{errc::invalid_field, std::string{"steps[0].input.a"}});
  CHECK(field(R"([{"name":"a","task":"wait","input":{}}])") ==
        std::pair{errc::missing_field, std::string{"steps[0].input.duration"}});
  CHECK(field(R"([{"name":"a","kind":"sleep"}])") ==
        std::pair{errc::missing_field, std::string{"steps[0].ms"}});
  CHECK(field(R"([{"name":"a","kind":"sleep","ms":1,"until":2}])") ==
        std::pair{errc::invalid_field, std::string{"steps[0].until"}});
  CHECK(field(R"([{"name":"a","kind":"parent"}])") ==
        std::pair{errc::missing_field, std::string{"steps[0].task"}});
  CHECK(field(R"([{"name":"a","kind":"parent","task":"echo","children":[]}])") ==
        std::pair{errc::invalid_field, std::string{"steps[0].children"}});
  CHECK(field(R"([{"name":"a","kind":"parent","children":[{"task":"echo"},{"task":"nope"}]}])") ==
        std::pair{errc::invalid_field, std::string{"steps[0].children[1].task"}});
  CHECK(field(R"([{"name":"a","kind":"parent","children":[],"finalize":{"task":"nope"}}])") ==
        std::pair{errc::invalid_field, std::string{"steps[0].finalize.task"}});
  CHECK(field(R"([{"name":"a","kind":"event"}])") ==
        std::pair{errc::missing_field, std::string{"steps[0].event"}});
  CHECK(field(R"([{"name":"a","task":"echo","config":{"maxRetries":-1}}])") ==
        std::pair{errc::invalid_field, std::string{"steps[0].config.maxRetries"}});
  CHECK(f.refusal(R"({"id":"a#b","steps":[{"name":"a","task":"echo"}]})") ==
        std::pair{errc::invalid_field, std::string{"id"}});
  CHECK(f.workflows().list().find("\"workflows\":[]") != std::string::npos);  // nothing created
}

TEST_CASE("a set step first is completed at creation and the next step is current") {
  wf_fixture f;
  auto v = f.create(R"({"id":"s","steps":[{"name":"a","kind":"set","value":{"x":1}},
    {"name":"b","task":"hold"}]})");
  CHECK(v.steps[0].status == "completed");
  CHECK(v.current_step == "b");
  CHECK(v.steps[1].status == "running");
  CHECK(f.step_output("s", "a") == R"({"x":1})");
}

TEST_CASE("a sleep step never ends early and its output is null") {
  wf_fixture f;
  auto v = f.create(R"({"id":"z","steps":[{"name":"nap","kind":"sleep","ms":5000},
    {"name":"after","task":"echo","input":{"$ref":"nap"}}]})");
  CHECK(v.status == "waiting");
  CHECK(v.steps[0].status == "waiting");
  f.clock->advance(4'999);
  f.settle();
  CHECK(f.workflows().get("z").status == "waiting");
  f.clock->advance(1);
  auto done = f.wait_for("z", "completed");
  CHECK(f.step_output("z", "nap") == "null");
  CHECK(done.output_json == "null");
}

TEST_CASE("an event sent before its step is reached waits for it - one sent to a waiting step is delivered") {
  wf_fixture f;
  f.create(R"({"id":"e","steps":[{"name":"first","task":"hold"},
    {"name":"one","kind":"event","event":"go"},{"name":"two","kind":"event","event":"go"}]})");
  CHECK_FALSE(f.workflows().send_event("e", "go", R"({"n":1})"));
  f.eventually([&] { return f.held.size() == 1; });
  f.held.at(0)->complete("1");
  f.eventually([&] { return f.workflows().get("e").current_step == "two"; });
  CHECK(f.step_output("e", "one") == R"({"n":1})");
  CHECK(f.workflows().get("e").status == "waiting");
  CHECK(f.workflows().send_event("e", "go", R"({"n":2})"));
  auto done = f.wait_for("e", "completed");
  CHECK(done.output_json == R"({"n":2})");
  CHECK(code_of([&] { f.workflows().send_event("e", "go"); }) == errc::invalid_state);
}

TEST_CASE("an event step's timeout fails the workflow or with continue goes on") {
  wf_fixture f;
  f.create(R"({"id":"t1","steps":[{"name":"ask","kind":"event","event":"x","timeout":1000}]})");
  f.create(R"({"id":"t2","steps":[{"name":"ask","kind":"event","event":"x","timeout":1000,
    "onTimeout":"continue"},{"name":"next","kind":"set","value":2}]})");
  f.clock->advance(999);
  f.settle();
  CHECK(f.workflows().get("t1").status == "waiting");
  f.clock->advance(1);
  auto failed = f.wait_for("t1", "failed");
  CHECK(failed.error_step == "ask");
  CHECK(failed.steps[0].status == "timed_out");
  auto went_on = f.wait_for("t2", "completed");
  CHECK(went_on.steps[0].status == "timed_out");
  CHECK(went_on.output_json == "2");
}

TEST_CASE("a failed task step fails the workflow - with onError continue the workflow goes on") {
  wf_fixture f;
  f.create(R"({"id":"f1","steps":[{"name":"a","task":"doomed"},{"name":"b","task":"echo"}]})");
  f.create(R"({"id":"f2","steps":[{"name":"a","task":"doomed","onError":"continue"},
    {"name":"b","task":"echo","input":{"$ref":"a"}}]})");
  auto failed = f.wait_for("f1", "failed");
  CHECK(failed.error_step == "a");
  CHECK(failed.error_message == "doomed");
  CHECK(failed.steps[1].status == "pending");
  auto went_on = f.wait_for("f2", "completed");
  CHECK(went_on.steps[0].status == "failed");
  CHECK(went_on.output_json == "null");  // a reference to a step that did not complete
}

TEST_CASE("a handler's workflow abort fails the workflow at once without retries or onError") {
  wf_fixture f;
  f.create(R"({"id":"ab","config":{"maxRetries":5,"initialRetryDelay":1},"steps":[
    {"name":"a","task":"fail","input":{"times":3,"abort":"workflow"},"onError":"continue"},
    {"name":"b","task":"echo"}]})");
  auto failed = f.wait_for("ab", "failed");
  CHECK(failed.error_step == "a");
  CHECK(f.client->get("ab#a").attempts == 1);
  CHECK(failed.steps[1].status == "pending");
}

TEST_CASE("a child's workflow abort fails the workflow and abandons the other children") {
  wf_fixture f;
  f.create(R"({"id":"pa","steps":[{"name":"fan","kind":"parent","children":[
    {"task":"hold"},{"task":"fail","input":{"abort":"workflow"}}]}]})");
  auto failed = f.wait_for("pa", "failed");
  CHECK(failed.error_step == "fan");
  f.eventually([&] { return f.held.size() == 1; });
  f.eventually([&] { return f.held.at(0)->abandoned(); });
  CHECK(f.client->get("pa#fan[0]").status == task_status::cancelled);
}

TEST_CASE("a parent step runs its children and gives finalize every child's status in order") {
  wf_fixture f;
  f.create(R"({"id":"p","steps":[{"name":"fan","kind":"parent","children":[
    {"task":"echo","input":1},{"task":"doomed"},{"task":"echo","input":3}],
    "finalize":{"task":"echo"}}]})");
  auto done = f.wait_for("p", "completed");
  CHECK(done.output_json ==
        R"({"output":null,"children":[{"taskId":"p#fan[0]","status":"completed","output":1},)"
        R"({"taskId":"p#fan[1]","status":"failed","error":"doomed"},)"
        R"({"taskId":"p#fan[2]","status":"completed","output":3}]})");
  auto child = f.client->get("p#fan[1]");
  CHECK(child.workflow_id == "p");
  CHECK(child.workflow_step == "fan");
  CHECK(f.client->get("p#fan[finalize]").workflow_step == "fan");
  auto step = json_object_reader{f.workflows().step("p", "fan")};
  CHECK(step.raw("children") == R"({"total":3,"completed":2,"failed":1,"cancelled":0})");
}

TEST_CASE("a parent task's output names the children - a malformed one is invalid_children") {
  wf_fixture f;
  f.create(R"({"id":"pt","steps":[{"name":"plan","kind":"parent","task":"echo",
    "input":{"output":"o","children":[{"task":"echo","input":"x"}]}}]})");
  auto done = f.wait_for("pt", "completed");
  CHECK(done.output_json ==
        R"({"output":"o","children":[{"taskId":"pt#plan[0]","status":"completed","output":"x"}]})");
  f.create(R"({"id":"bad","steps":[{"name":"plan","kind":"parent","task":"echo",
    "input":{"children":[{"task":"nope"}]}}]})");
  auto failed = f.wait_for("bad", "failed");
  CHECK(failed.error_message == "invalid_children");
}

TEST_CASE("a parent step with 1000 children creates them in bounded chunks") {
  wf_fixture f;
  std::string children = "[";
  for (int i = 0; i < 1'000; ++i) children += std::string{i ? "," : ""} + R"({"task":"echo"})";
  children += "]";
  f.create(R"({"id":"many","steps":[{"name":"fan","kind":"parent","children":)" + children + "}]}");
  auto done = f.wait_for("many", "completed");
  auto step = json_object_reader{f.workflows().step("many", "fan")};
  CHECK(step.raw("children") == R"({"total":1000,"completed":1000,"failed":0,"cancelled":0})");
}

TEST_CASE("delete removes a workflow of more step tasks than one message deletes in chunks") {
  wf_fixture f;
  std::string children = "[";
  for (int i = 0; i < 600; ++i) children += std::string{i ? "," : ""} + R"({"task":"echo"})";
  children += "]";
  f.create(R"({"id":"big","steps":[{"name":"p1","kind":"parent","children":)" + children +
           R"(},{"name":"p2","kind":"parent","children":)" + children + "}]}");
  f.wait_for("big", "completed");
  const auto before = object_store::reads_total();
  f.workflows().remove("big");
  CHECK(object_store::reads_total() - before > 1'200);  // every step task looked up
  CHECK(code_of([&] { f.workflows().get("big"); }) == errc::workflow_not_found);
  CHECK(code_of([&] { f.client->get("big#p1[0]"); }) == errc::task_not_found);
  CHECK(code_of([&] { f.client->get("big#p2[599]"); }) == errc::task_not_found);
  CHECK(f.client->metrics().total == 0);
}

TEST_CASE("cancel abandons the running step task and nothing more starts") {
  wf_fixture f;
  f.create(R"({"id":"c","steps":[{"name":"a","task":"hold"},{"name":"b","task":"echo"}]})");
  f.eventually([&] { return f.held.size() == 1; });
  auto v = f.workflows().cancel("c");
  CHECK(v.status == "cancelled");
  CHECK(v.steps[0].status == "cancelled");
  CHECK(f.held.at(0)->abandoned());
  CHECK(f.client->get("c#a").status == task_status::cancelled);
  f.settle();
  CHECK(code_of([&] { f.client->get("c#b"); }) == errc::task_not_found);
  CHECK(code_of([&] { f.workflows().cancel("c"); }) == errc::invalid_state);
}

TEST_CASE("retry goes on from the failed step - completed steps keep their outputs") {
  wf_fixture f;
  f.create(R"({"id":"r","config":{"maxRetries":0},"steps":[{"name":"a","task":"echo","input":1},
    {"name":"b","task":"fail","input":{"times":1}},{"name":"c","task":"echo","input":{"$ref":"b"}}]})");
  f.wait_for("r", "failed");
  CHECK(code_of([&] { f.client->retry("r#b"); }) == errc::invalid_state);
  auto again = f.workflows().retry("r");
  CHECK(again.status == "running");
  CHECK(again.current_step == "b");
  auto done = f.wait_for("r", "completed");
  CHECK(done.output_json == R"({"attempts":2})");
  CHECK(f.client->get("r#a").attempts == 1);  // a completed step never runs again
  CHECK(f.client->get("r#b").retries == 0);
  CHECK(code_of([&] { f.workflows().retry("r"); }) == errc::invalid_state);
}

TEST_CASE("a workflow past its timeout ends timed_out and its step task is cancelled") {
  wf_fixture f;
  f.create(R"({"id":"to","timeout":10000,"steps":[{"name":"a","task":"hold"}]})");
  f.eventually([&] { return f.held.size() == 1; });
  f.clock->advance(9'999);
  f.settle();
  CHECK(f.workflows().get("to").status == "running");
  f.clock->advance(1);
  auto v = f.wait_for("to", "timed_out");
  CHECK(v.error_step == "a");
  CHECK(f.held.at(0)->abandoned());
  CHECK(f.event_types("to").back() == "timed_out");
}

TEST_CASE("step tasks are tasks with a workflow field that cannot be retried or deleted alone") {
  wf_fixture f;
  f.create(R"({"id":"st","steps":[{"name":"a","task":"echo"}]})");
  f.wait_for("st", "completed");
  auto t = f.client->get("st#a");
  CHECK(t.workflow_id == "st");
  CHECK(code_of([&] { f.client->remove("st#a"); }) == errc::invalid_state);
  task_request r;
  r.name = "echo";
  r.id = "x#y";
  CHECK(code_of([&] { f.client->submit(r); }) == errc::invalid_field);
}

TEST_CASE("delete removes a finished workflow with its step tasks - an unfinished one is invalid_state") {
  wf_fixture f;
  f.create(R"({"id":"d","steps":[{"name":"a","task":"hold"}]})");
  CHECK(code_of([&] { f.workflows().remove("d"); }) == errc::invalid_state);
  f.eventually([&] { return f.held.size() == 1; });
  f.held.at(0)->complete("1");
  f.wait_for("d", "completed");
  f.workflows().remove("d");
  CHECK(code_of([&] { f.workflows().get("d"); }) == errc::workflow_not_found);
  CHECK(code_of([&] { f.client->get("d#a"); }) == errc::task_not_found);
  f.create(R"({"id":"d","steps":[{"name":"a","task":"echo"}]})");  // the id is free again
}

TEST_CASE("retention removes a finished workflow with its step tasks after completedMs") {
  wf_fixture f;
  f.client->update_settings(R"({"retention":{"completedMs":60000}})");
  f.create(R"({"id":"old","steps":[{"name":"a","task":"echo"}]})");
  f.wait_for("old", "completed");
  f.clock->advance(59'000);
  f.settle();
  CHECK(f.workflows().get("old").status == "completed");
  CHECK(f.client->get("old#a").status == task_status::completed);  // not removed on its own
  f.clock->advance(2'000);
  f.eventually([&] { return code_of([&] { f.workflows().get("old"); }) == errc::workflow_not_found; });
  CHECK(code_of([&] { f.client->get("old#a"); }) == errc::task_not_found);
}

TEST_CASE("a workflow goes on from its durable state after a restart") {
  wf_fixture f;
  f.create(R"({"id":"rs","steps":[{"name":"a","task":"echo","input":1},
    {"name":"wait","kind":"event","event":"go"},{"name":"b","task":"echo","input":{"$ref":"wait"}}]})");
  f.eventually([&] { return f.workflows().get("rs").current_step == "wait"; });
  f.restart();
  CHECK(f.workflows().send_event("rs", "go", "5"));
  auto done = f.wait_for("rs", "completed");
  CHECK(done.output_json == "5");
  CHECK(f.client->get("rs#a").attempts == 1);
}

TEST_CASE("a get with waitMs answers when the workflow ends") {
  wf_fixture f;
  f.create(R"({"id":"wm","steps":[{"name":"a","task":"hold"}]})");
  f.eventually([&] { return f.held.size() == 1; });
  std::thread finisher{[&] {
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
    f.held.at(0)->complete("9");
  }};
  auto v = f.workflows().get("wm", 60'000);  // the simulated clock does not move: only the end answers
  finisher.join();
  CHECK(v.status == "completed");
  CHECK(v.output_json == "9");
}

TEST_CASE("a handler sees its workflow step and reads an earlier step's output") {
  wf_fixture f;
  f.services->handlers.add_blocking(
      "look",
      [](task_attempt& a) {
        auto ref = a.workflow();
        REQUIRE(ref);
        auto earlier = a.step_output("first");
        auto none = a.step_output("look");  // not completed yet
        return "[\"" + ref->workflow_id + "\",\"" + ref->step + "\"," + earlier.value_or("0") +
               "," + (none ? "1" : "null") + "]";
      },
      f.services->workers);
  f.create(R"({"id":"h","steps":[{"name":"first","task":"echo","input":{"k":5}},
    {"name":"look","task":"look"}]})");
  auto done = f.wait_for("h", "completed");
  CHECK(done.output_json == R"(["h","look",{"k":5},null])");
}

TEST_CASE("a prepare hook runs once per workflow and task name before its first attempt") {
  wf_fixture f;
  std::atomic<int> runs{0};
  f.services->handlers.add_prepare("with_setup", [&](const workflow_step_ref& ref) {
    ++runs;
    return "\"ready for " + ref.workflow_id + "\"";
  });
  f.services->handlers.add_blocking(
      "with_setup", [](task_attempt& a) { return a.prepared().value_or("null"); },
      f.services->workers);
  f.create(R"({"id":"pr","steps":[{"name":"fan","kind":"parent","children":[
    {"task":"with_setup"},{"task":"with_setup"},{"task":"with_setup"}]},
    {"name":"again","task":"with_setup"}]})");
  auto done = f.wait_for("pr", "completed");
  CHECK(runs == 1);
  CHECK(done.output_json == R"("ready for pr")");
  f.create(R"({"id":"pr2","steps":[{"name":"one","task":"with_setup"}]})");
  f.wait_for("pr2", "completed");
  CHECK(runs == 2);
}

TEST_CASE("a task handler may create a workflow with a deterministic id as often as it runs") {
  wf_fixture f;
  // An asynchronous handler: the create is a message to the other execution, answered later.
  f.services->handlers.add("spawn", [&f](std::shared_ptr<task_attempt> a) {
    auto body = R"({"id":"for-)" + a->task_id() +
                R"(","steps":[{"name":"s","task":"echo","input":1}]})";
    f.rt->get("execution", "children")
        .send("workflow_create", body, [a](expected<std::string> reply) {
          if (!reply) return a->fail(reply.err().what());
          if (a->attempt() == 1) return a->fail("fail once after creating");
          a->complete("{}");
        });
  });
  auto t = f.submit("spawn", std::nullopt, dort::test::retries(1, 1));
  f.eventually([&] {
    auto task = f.client->get(t.task.id);
    return task.attempts == 1 && task.status == task_status::pending;
  });
  f.clock->advance(10);  // its retry: the workflow is created again, the same
  f.wait_for_status(t.task.id, task_status::completed);
  workflow_client other{*f.rt, "children"};
  auto w = other.get("for-" + t.task.id);
  f.eventually([&] { return other.get(w.id).status == "completed"; });
  CHECK(json_array_items(*json_object_reader{other.list()}.raw("workflows")).size() == 1);
}

TEST_CASE("a workflow described with workflow_builder runs like its JSON") {
  wf_fixture f;
  auto body = workflow_builder{}
                  .id("b")
                  .input(R"({"name":"ann"})")
                  .task("greet", "echo", R"({"who":)" + workflow_builder::ref("$input#/name") + "}")
                  .sleep_ms("pause", 0)
                  .set("out", "[" + workflow_builder::ref("greet#/who") + "]")
                  .json();
  auto v = f.create(body);
  CHECK(v.id == "b");
  auto done = f.wait_for("b", "completed");
  CHECK(done.output_json == R"(["ann"])");
  bool created = true;
  f.create(body, &created);
  CHECK_FALSE(created);
}

TEST_CASE("the execution's metrics count workflows by status and list pages newest first") {
  wf_fixture f;
  f.create(R"({"id":"m1","steps":[{"name":"a","task":"echo"}]})");
  f.create(R"({"id":"m2","steps":[{"name":"a","task":"hold"}]})");
  f.create(R"({"id":"m3","steps":[{"name":"a","kind":"event","event":"x"}]})");
  f.wait_for("m1", "completed");
  auto metrics = json_object_reader{f.client->stub().call("metrics", "{}")};
  CHECK(metrics.raw("workflows") ==
        R"({"total":3,"running":1,"waiting":1,"completed":1,"failed":0,"cancelled":0,"timedOut":0})");
  auto page = json_object_reader{f.workflows().list({}, 2)};
  auto items = json_array_items(*page.raw("workflows"));
  REQUIRE(items.size() == 2);
  CHECK(json_object_reader{items[0]}.required_string("id") == "m3");
  CHECK_FALSE(json_object_reader{items[0]}.has("steps"));
  auto rest = json_object_reader{f.workflows().list({}, 2, page.string("nextCursor"))};
  CHECK(json_array_items(*rest.raw("workflows")).size() == 1);
  auto waiting = json_object_reader{f.workflows().list(std::string{"waiting"})};
  CHECK(json_array_items(*waiting.raw("workflows")).size() == 1);
}

TEST_CASE("a workflow create counts as one queued task against the admission limit") {
  wf_fixture f{[](exec_fixture& x) { x.services_options.max_queued_tasks = 1; }};
  f.create(R"({"id":"q1","steps":[{"name":"a","kind":"event","event":"x"}]})");
  task_request r;
  r.name = "echo";
  r.delay_ms = 100'000;
  f.client->submit(r);  // one task queued: the limit
  CHECK(f.refusal(R"({"id":"q2","steps":[{"name":"a","task":"echo"}]})").first == errc::backpressure);
  bool created = true;
  f.create(R"({"id":"q1","steps":[{"name":"a","kind":"event","event":"x"}]})", &created);
  CHECK_FALSE(created);  // a repeat is never refused
}

TEST_SUITE_END();
