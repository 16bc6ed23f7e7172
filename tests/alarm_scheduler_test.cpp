// The scheduler and an object's alarms without actors, on a simulated clock: the test decides
// when time moves, and sees what the scheduler waits for through `waiting_for`.
#include <doctest/doctest.h>

#include <algorithm>
#include <condition_variable>
#include <limits>
#include <memory>
#include <set>
#include <thread>

#include "alarms/alarm_scheduler.hpp"
#include "alarms/object_alarms.hpp"
#include "store_fixture.hpp"

using namespace dort;
using dort::test::store_fixture;
using dort::test::test_store;

namespace {

/// What the scheduler fired, in order.
class fire_log {
 public:
  void add(alarm_fire fire) {
    std::lock_guard guard{mutex_};
    fires_.push_back(std::move(fire));
    changed_.notify_all();
  }

  /// Waits until `count` fires have come, and returns them.
  std::vector<alarm_fire> wait_for(std::size_t count) {
    std::unique_lock lock{mutex_};
    changed_.wait(lock, [&] { return fires_.size() >= count; });
    return fires_;
  }

  std::size_t size() {
    std::lock_guard guard{mutex_};
    return fires_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<alarm_fire> fires_;
};

/// An object with alarms, committing through the fixture's writer.
struct alarm_object {
  alarm_object(store_fixture& f, alarm_dbs dbs, const std::string& name)
      : store{f.env, f.writer, name},
        alarms{f.env, dbs, object_id::from_name("test", name), "test", name} {}

  /// Sets alarm `alarm` to `due_ms` in one message and waits until it is durable.
  void set(const std::string& alarm, std::int64_t due_ms) {
    alarms.set(alarm, due_ms);
    alarms.finish(store.store());
    store.commit();
  }

  object_id id() const { return store_id; }

  test_store store;
  object_alarms alarms;
  object_id store_id = store.store().id();
};

struct scheduler_fixture {
  explicit scheduler_fixture(
      std::size_t window_max = alarm_scheduler::default_window_max,
      std::size_t max_undelivered = alarm_scheduler::default_max_undelivered)
      : dbs(alarm_dbs::open(f.env)),
        scheduler(
            f.env, dbs, clock, [this](alarm_fire fire) { log.add(std::move(fire)); }, window_max,
            max_undelivered) {}

  /// Waits until the scheduler is idle and waiting for `deadline_ms`.
  void wait_until_waiting_for(std::int64_t deadline_ms) {
    while (clock.waiting_for() != deadline_ms) std::this_thread::yield();
  }

  store_fixture f;
  alarm_dbs dbs;
  simulated_clock clock{1'000'000};
  fire_log log;
  alarm_scheduler scheduler;
};

}  // namespace

TEST_SUITE_BEGIN("without_caf");

TEST_CASE("an alarm fires at its time and never before") {
  scheduler_fixture s;
  alarm_object o{s.f, s.dbs, "a"};
  auto due = s.clock.now_ms() + 1'000;
  o.set("", due);
  s.scheduler.start();
  s.wait_until_waiting_for(due);
  s.clock.advance(999);
  s.wait_until_waiting_for(due);  // woke, looked, and went back to waiting: nothing fired
  CHECK(s.log.size() == 0);
  s.clock.advance(1);
  auto fires = s.log.wait_for(1);
  CHECK(fires[0].id == o.id());
  CHECK(fires[0].alarm_name == "");
  CHECK(fires[0].due_ms == due);
  CHECK(fires[0].retry_count == 0);
  CHECK(fires[0].class_name == "test");
  CHECK(fires[0].object_name == "a");
}

TEST_CASE("an alarm set after start joins the window and a time in the past fires at once") {
  scheduler_fixture s;
  s.scheduler.start();
  alarm_object o{s.f, s.dbs, "a"};
  o.set("late", s.clock.now_ms() - 5'000);
  s.scheduler.refresh(o.id(), "late");
  CHECK(s.log.wait_for(1)[0].alarm_name == "late");
}

TEST_CASE("replacing and deleting an alarm moves and removes its firing") {
  scheduler_fixture s;
  alarm_object o{s.f, s.dbs, "a"};
  auto now = s.clock.now_ms();
  o.set("x", now + 100);
  o.set("y", now + 100);
  s.scheduler.start();
  o.set("x", now + 500);  // replaced
  s.scheduler.refresh(o.id(), "x");
  o.alarms.del("y");
  o.alarms.finish(o.store.store());
  o.store.commit();
  s.scheduler.refresh(o.id(), "y");
  s.wait_until_waiting_for(now + 500);
  s.clock.advance(500);
  auto fires = s.log.wait_for(1);
  REQUIRE(fires.size() == 1);
  CHECK(fires[0].alarm_name == "x");
  CHECK(fires[0].due_ms == now + 500);
}

TEST_CASE("no more alarms are undelivered than the bound and each delivery lets one more fire") {
  scheduler_fixture s{alarm_scheduler::default_window_max, 2};
  std::vector<std::unique_ptr<alarm_object>> objects;
  for (int i = 0; i < 5; ++i) {
    objects.push_back(std::make_unique<alarm_object>(s.f, s.dbs, "o" + std::to_string(i)));
    objects.back()->set("", s.clock.now_ms());
  }
  s.scheduler.start();
  s.log.wait_for(2);
  s.wait_until_waiting_for(std::numeric_limits<std::int64_t>::max());
  CHECK(s.log.size() == 2);
  for (std::size_t fired = 3; fired <= 5; ++fired) {
    s.scheduler.delivered();
    CHECK(s.log.wait_for(fired).size() == fired);
  }
  // Delivered is not done: all five stay in flight until refreshed, none fires twice.
  s.scheduler.delivered();
  s.scheduler.delivered();
  s.wait_until_waiting_for(std::numeric_limits<std::int64_t>::max());
  CHECK(s.log.size() == 5);
  CHECK(s.scheduler.in_memory() == 5);
}

TEST_CASE("a fired alarm is not fired again until its outcome is refreshed") {
  scheduler_fixture s;
  alarm_object o{s.f, s.dbs, "a"};
  auto now = s.clock.now_ms();
  o.set("r", now);
  s.scheduler.start();
  s.log.wait_for(1);
  s.clock.advance(10'000);
  s.wait_until_waiting_for(std::numeric_limits<std::int64_t>::max());
  CHECK(s.log.size() == 1);  // still in flight: not fired twice
  // The run failed: its retry is committed, then refreshed.
  std::mt19937_64 random{1};
  o.alarms.begin_run("r");
  auto retry_at = o.alarms.retry_or_drop("r", s.clock.now_ms(), retry_policy{}, random);
  REQUIRE(retry_at.has_value());
  o.alarms.finish(o.store.store());
  o.store.commit();
  s.scheduler.refresh(o.id(), "r");
  s.wait_until_waiting_for(*retry_at);
  s.clock.advance(*retry_at - s.clock.now_ms());
  auto fires = s.log.wait_for(2);
  CHECK(fires[1].retry_count == 1);
  CHECK(fires[1].due_ms == *retry_at);
}

TEST_CASE("many objects with the same due time all fire exactly once") {
  scheduler_fixture s;
  auto due = s.clock.now_ms() + 1'000;
  std::vector<std::unique_ptr<alarm_object>> objects;
  for (int i = 0; i < 200; ++i) {
    objects.push_back(std::make_unique<alarm_object>(s.f, s.dbs, "o" + std::to_string(i)));
    objects.back()->set("", due);
  }
  s.scheduler.start();
  s.wait_until_waiting_for(due);
  s.clock.advance(1'000);
  auto fires = s.log.wait_for(200);
  std::set<object_id> ids;
  for (auto& fire : fires) ids.insert(fire.id);
  CHECK(ids.size() == 200);
  s.clock.advance(1'000'000);
  s.wait_until_waiting_for(std::numeric_limits<std::int64_t>::max());
  CHECK(s.log.size() == 200);
}

TEST_CASE("memory holds only the near window of the index and refills from it in due order") {
  scheduler_fixture s{10};
  alarm_object o{s.f, s.dbs, "a"};
  auto now = s.clock.now_ms();
  for (int i = 0; i < 95; ++i) {
    o.alarms.set("n" + std::to_string(i), now + 1'000 + i);
  }
  o.alarms.finish(o.store.store());
  o.store.commit();
  s.scheduler.start();
  s.wait_until_waiting_for(now + 1'000);
  CHECK(s.scheduler.in_memory() == 10);
  // An alarm past the window's end stays on disk; one inside it joins, within the bound.
  o.set("far", now + 50'000);
  s.scheduler.refresh(o.id(), "far");
  CHECK(s.scheduler.in_memory() == 10);
  o.set("near", now + 1'000);
  s.scheduler.refresh(o.id(), "near");
  CHECK(s.scheduler.in_memory() == 10);  // joined, and the latest entry went back to the index
  s.clock.advance(100'000);
  auto fires = s.log.wait_for(97);
  for (std::size_t i = 1; i < fires.size(); ++i) CHECK(fires[i - 1].due_ms <= fires[i].due_ms);
  CHECK(fires.back().alarm_name == "far");
}

TEST_CASE("alarms set while running never grow memory past the window") {
  scheduler_fixture s{10};
  s.scheduler.start();
  alarm_object o{s.f, s.dbs, "a"};
  auto now = s.clock.now_ms();
  for (int i = 0; i < 30; ++i) {
    o.set("n" + std::to_string(i), now + 1'000 + (29 - i));  // later ones due earlier
    s.scheduler.refresh(o.id(), "n" + std::to_string(i));
    CHECK(s.scheduler.in_memory() <= 10);
  }
  s.clock.advance(100'000);
  auto fires = s.log.wait_for(30);
  for (std::size_t i = 1; i < fires.size(); ++i) CHECK(fires[i - 1].due_ms <= fires[i].due_ms);
}

TEST_CASE("pending alarms survive a restart and overdue ones fire at start") {
  store_fixture f;
  auto dbs = alarm_dbs::open(f.env);
  simulated_clock clock{1'000'000};
  object_id id;
  {
    alarm_object o{f, dbs, "a"};
    o.set("", clock.now_ms() + 60'000);
    id = o.id();
  }
  clock.advance(3'600'000);  // the process was down for an hour
  fire_log log;
  alarm_scheduler scheduler{f.env, dbs, clock, [&](alarm_fire fire) { log.add(std::move(fire)); }};
  scheduler.start();
  auto fires = log.wait_for(1);
  CHECK(fires[0].id == id);
  CHECK(fires[0].due_ms == 1'060'000);
}

TEST_CASE("an object sees its pending alarm changes and a discarded message sets no alarm") {
  store_fixture f;
  auto dbs = alarm_dbs::open(f.env);
  alarm_object o{f, dbs, "a"};
  o.alarms.set("", 100);
  o.alarms.set("", 200);
  CHECK(o.alarms.get("") == 200);
  o.alarms.discard();  // the handler threw
  CHECK_FALSE(o.alarms.get("").has_value());
  o.set("", 300);
  o.set("other", 400);
  CHECK(o.alarms.get("") == 300);
  CHECK(o.alarms.get("other") == 400);
  // While "" runs, it is hidden; a run that sets nothing clears it.
  o.alarms.begin_run("");
  CHECK_FALSE(o.alarms.get("").has_value());
  CHECK(o.alarms.get("other") == 400);
  o.alarms.finish(o.store.store());
  o.store.commit();
  CHECK_FALSE(o.alarms.get("").has_value());
  // A run that sets its alarm again keeps the new time.
  o.alarms.begin_run("other");
  o.alarms.set("other", 900);
  o.alarms.finish(o.store.store());
  o.store.commit();
  CHECK(o.alarms.get("other") == 900);
  // And all of it is what a fresh load from the index sees.
  object_alarms reloaded{f.env, dbs, o.id(), "test", "a"};
  CHECK_FALSE(reloaded.get("").has_value());
  CHECK(reloaded.get("other") == 900);
  CHECK(reloaded.size() == 1);
}

TEST_CASE("retries follow the policy and the alarm is dropped after the last one") {
  store_fixture f;
  auto dbs = alarm_dbs::open(f.env);
  alarm_object o{f, dbs, "a"};
  o.set("", 0);
  std::mt19937_64 random{7};
  retry_policy policy;
  std::int64_t now = 1'000'000;
  for (std::uint32_t retry = 1; retry <= 6; ++retry) {
    o.alarms.begin_run("");
    auto at = o.alarms.retry_or_drop("", now, policy, random);
    o.alarms.finish(o.store.store());
    o.store.commit();
    REQUIRE(at.has_value());
    auto base = *policy.base_delay_ms(retry);
    CHECK(*at - now >= base);
    CHECK(*at - now <= base + base / 4);
    CHECK(o.alarms.committed("")->retry_count == retry);
    now = *at;
  }
  o.alarms.begin_run("");
  CHECK_FALSE(o.alarms.retry_or_drop("", now, policy, random).has_value());
  o.alarms.finish(o.store.store());
  o.store.commit();
  CHECK(o.alarms.size() == 0);
}

TEST_SUITE_END();
