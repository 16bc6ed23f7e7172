// Task groups (API.md "Submit" `group`, "Semantics" groups): the field stored, returned and
// compared like the rest of a task's content; groups taking turns (tasks without a group as one
// group of their own); each group's `maxQueued`, `concurrency` and `rateLimit`.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>

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

task_request held(std::string id, std::optional<std::string> group, std::int64_t priority = 0) {
  task_request r;
  r.name = "hold";
  r.id = std::move(id);
  r.group = std::move(group);
  r.priority = priority;
  return r;
}

/// The ids of the held attempts, in the order they started.
std::vector<std::string> started_ids(exec_fixture& f) {
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < f.held.size(); ++i) ids.push_back(f.held.at(i)->task_id());
  return ids;
}

/// Completes the held attempt of task `id` and waits for it to be completed.
void finish(exec_fixture& f, const std::string& id) {
  for (std::size_t i = 0; i < f.held.size(); ++i)
    if (f.held.at(i)->task_id() == id) f.held.at(i)->complete("null");
  f.wait_for_status(id, task_status::completed);
}

/// With one slot: completes each attempt as it starts, `n` times, and returns the start order.
std::vector<std::string> run_one_by_one(exec_fixture& f, std::size_t n) {
  for (std::size_t done = 0; done < n; ++done) {
    f.eventually([&] { return f.held.size() > done; });
    finish(f, f.held.at(done)->task_id());
  }
  auto ids = started_ids(f);
  ids.resize(n);  // the next may have started already
  return ids;
}

/// Leaves the execution one slot and takes it with the task "blocker" (no group), held, so
/// that what the test submits next queues.
void take_the_one_slot(exec_fixture& f) {
  f.client->update_settings(R"({"concurrency":1})");
  f.client->submit(held("blocker", std::nullopt));
  f.eventually([&] { return f.held.size() == 1; });
}

/// Restarts the runtime and forgets the attempts of the instance before.
void restart(exec_fixture& f) {
  f.settle();
  f.restart();
  std::lock_guard guard{f.held.mutex};
  f.held.attempts.clear();
}

}  // namespace

TEST_SUITE_BEGIN("execution");

TEST_CASE("groups take turns - a group that never started first - tasks without a group as one group") {
  exec_fixture f;
  take_the_one_slot(f);
  for (auto id : {"a1", "a2", "a3", "a4", "a5"}) f.client->submit(held(id, "a"));
  f.client->submit(held("b1", "b"));
  f.client->submit(held("n1", std::nullopt));
  f.client->submit(held("b2", "b"));
  f.client->submit(held("n2", std::nullopt));
  auto order = run_one_by_one(f, 10);
  // a and b never started (a's oldest task first); the tasks without a group last started with
  // the blocker, then each takes its turn by its last start; b and n run empty first.
  CHECK(order == std::vector<std::string>{"blocker", "a1", "b1", "n1", "a2", "b2", "n2", "a3",
                                          "a4", "a5"});
}

TEST_CASE("a higher priority goes first whatever the turns") {
  exec_fixture f;
  take_the_one_slot(f);
  f.client->submit(held("a1", "a"));
  f.client->submit(held("a2", "a", 5));
  f.client->submit(held("b1", "b"));
  f.client->submit(held("b2", "b", 5));
  f.client->submit(held("n1", std::nullopt, 9));
  auto order = run_one_by_one(f, 6);
  CHECK(order == std::vector<std::string>{"blocker", "n1", "a2", "b2", "a1", "b1"});
}

TEST_CASE("one group's backlog of 10000 does not starve a group that comes later") {
  exec_fixture f;
  take_the_one_slot(f);
  for (int batch = 0; batch < 10; ++batch) {
    std::vector<task_request> items;
    for (int i = 0; i < 1'000; ++i) items.push_back(held("big-" + std::to_string(batch * 1'000 + i), "big"));
    for (auto& r : f.client->submit_batch(items)) REQUIRE(r.has_value());
  }
  f.client->submit(held("small", "small"));
  auto order = run_one_by_one(f, 4);
  CHECK(order == std::vector<std::string>{"blocker", "big-0", "small", "big-1"});
  // The turns survive a restart: big started last (its attempt is cut short and runs again),
  // so small goes first.
  f.eventually([&] { return f.held.size() == 5; });
  f.client->submit(held("small-2", "small"));
  restart(f);
  f.client->metrics();
  f.eventually([&] { return f.held.size() == 1; });
  CHECK(f.held.at(0)->task_id() == "small-2");
}

TEST_CASE("a group runs at most its concurrency at once - other groups and ungrouped tasks go on") {
  exec_fixture f;
  f.client->update_settings(R"({"groups":{"concurrency":2}})");
  for (auto id : {"a1", "a2", "a3", "a4"}) f.client->submit(held(id, "a"));
  f.client->submit(held("b1", "b"));
  f.client->submit(held("n1", std::nullopt));
  f.client->submit(held("n2", std::nullopt));
  f.eventually([&] { return f.held.size() == 5; });
  f.settle();
  CHECK(f.held.size() == 5);
  CHECK(f.client->get("a3").status == task_status::pending);
  CHECK(f.client->get("a4").status == task_status::pending);
  finish(f, "a1");
  f.eventually([&] { return f.held.size() == 6; });
  CHECK(f.held.at(5)->task_id() == "a3");
  f.settle();
  CHECK(f.client->get("a4").status == task_status::pending);
  // A higher limit lets the waiting task go at once.
  f.client->update_settings(R"({"groups":{"concurrency":3}})");
  f.eventually([&] { return f.held.size() == 7; });
  CHECK(f.held.at(6)->task_id() == "a4");
}

TEST_CASE("a group at its concurrency stays held after a restart - and goes on when its attempt ends") {
  exec_fixture f;
  f.client->update_settings(R"({"groups":{"concurrency":1}})");
  f.client->submit(held("a1", "a"));
  f.client->submit(held("a2", "a"));
  f.eventually([&] { return f.held.size() == 1; });
  restart(f);  // a1's attempt is cut short: it runs again, a2 still waits for it
  f.client->submit(held("b1", "b"));
  f.eventually([&] { return f.held.size() == 2; });
  f.settle();
  CHECK(f.held.size() == 2);
  CHECK(f.client->get("a2").status == task_status::pending);
  auto ids = started_ids(f);
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::string>{"a1", "b1"});
  finish(f, "a1");
  f.eventually([&] { return f.held.size() == 3; });
  CHECK(f.held.at(2)->task_id() == "a2");
  // A cancelled attempt frees its group's place too.
  f.client->submit(held("a3", "a"));
  f.client->cancel("a2");
  f.eventually([&] { return f.held.size() == 4; });
  CHECK(f.held.at(3)->task_id() == "a3");
}

TEST_CASE("a group's rateLimit holds its tasks rate_limited - other groups and ungrouped tasks go on") {
  exec_fixture f;
  f.client->update_settings(R"({"groups":{"rateLimit":{"maxExecutions":1,"windowMs":1000}}})");
  f.client->submit(held("a1", "a"));
  f.client->submit(held("a2", "a"));
  f.client->submit(held("b1", "b"));
  f.client->submit(held("n1", std::nullopt));
  f.client->submit(held("n2", std::nullopt));
  f.eventually([&] { return f.held.size() == 4; });
  f.settle();
  CHECK(f.held.size() == 4);
  auto a2 = f.client->get("a2");
  CHECK(a2.status == task_status::rate_limited);
  CHECK_FALSE(f.client->get("b1").was_rate_limited);
  CHECK_FALSE(f.client->get("n2").was_rate_limited);
  // Its window passes (the first start leaves it): it starts by itself.
  f.clock->advance(999);
  f.settle();
  CHECK(f.client->get("a2").status == task_status::rate_limited);
  f.clock->advance(1);
  f.eventually([&] { return f.held.size() == 5; });
  CHECK(f.held.at(4)->task_id() == "a2");
  CHECK(f.client->get("a2").was_rate_limited);
}

TEST_CASE("a cancelled task leaves its group's turn to the next of the group") {
  exec_fixture f;
  take_the_one_slot(f);
  f.client->submit(held("a1", "a"));
  f.client->submit(held("a2", "a"));
  f.client->submit(held("b1", "b"));
  f.client->cancel("a1");
  f.client->cancel("b1");
  auto order = run_one_by_one(f, 2);
  CHECK(order == std::vector<std::string>{"blocker", "a2"});
  f.settle();
  CHECK(f.held.size() == 2);
}

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

TEST_CASE("random submits and cancels start in the order of a model of API.md's turns") {
  // One slot: while the running task holds it, a few tasks are submitted (random group or none,
  // random priority) and ready ones cancelled; then it ends and the next start must be the
  // model's choice: the highest priority, then the group (tasks without one as a group of their
  // own) whose last start is oldest, never-started groups first by their oldest ready task.
  struct model_task {
    std::string id;
    std::int64_t priority;
    std::uint64_t seq;
    std::string group;  // "" for none
  };
  std::vector<model_task> ready;
  std::map<std::string, std::uint64_t> last_start;
  std::uint64_t starts = 0, seq = 0;
  auto model_next = [&] {
    std::int64_t top = ready.front().priority;
    for (auto& t : ready) top = std::max(top, t.priority);
    std::map<std::string, const model_task*> heads;  // each group's oldest task at `top`
    for (auto& t : ready)
      if (t.priority == top && (!heads.contains(t.group) || t.seq < heads[t.group]->seq))
        heads[t.group] = &t;
    const model_task* best = nullptr;
    std::uint64_t best_rank = 0;
    for (auto& [group, head] : heads) {
      auto it = last_start.find(group);
      auto rank = it != last_start.end() ? (std::uint64_t{1} << 62) + it->second : head->seq;
      if (!best || rank < best_rank) best = head, best_rank = rank;
    }
    auto chosen = *best;
    last_start[chosen.group] = ++starts;
    std::erase_if(ready, [&](const model_task& t) { return t.id == chosen.id; });
    return chosen.id;
  };

  exec_fixture f;
  f.client->update_settings(R"({"concurrency":1})");
  std::mt19937 random{2026};
  auto submit = [&](const std::string& id) {
    const auto g = random() % 4;
    const std::string group = g == 0 ? "" : "g" + std::to_string(g);
    const auto priority = static_cast<std::int64_t>(random() % 2);
    f.client->submit(held(id, group.empty() ? std::nullopt : std::optional{group}, priority));
    ready.push_back({id, priority, ++seq, group});
  };
  submit("t0");
  auto running = model_next();
  f.eventually([&] { return f.held.size() == 1; });
  REQUIRE(f.held.at(0)->task_id() == running);
  int next_id = 1;
  for (int step = 0; step < 150; ++step) {
    for (auto n = random() % 4; n > 0; --n) submit("t" + std::to_string(next_id++));
    if (!ready.empty() && random() % 4 == 0) {
      auto victim = ready[random() % ready.size()].id;
      f.client->cancel(victim);
      std::erase_if(ready, [&](const model_task& t) { return t.id == victim; });
    }
    if (ready.empty()) submit("t" + std::to_string(next_id++));
    const auto before = f.held.size();
    finish(f, running);
    running = model_next();
    f.eventually([&] { return f.held.size() == before + 1; });
    REQUIRE_MESSAGE(f.held.at(before)->task_id() == running, "step ", step);
  }
}

TEST_SUITE_END();
