// task_store's record cache: it answers for unfinished tasks without decoding their JSON again,
// and never answers with a record storage does not hold.
#include <doctest/doctest.h>

#include "execution/task_keys.hpp"
#include "execution/task_store.hpp"
#include "store_fixture.hpp"

TEST_SUITE_BEGIN("without_caf");

using namespace dort;
using dort::test::store_fixture;
using dort::test::test_store;

namespace {

task_record running_task(std::string id) {
  task_record t;
  t.id = std::move(id);
  t.name = "echo";
  t.status = task_status::running;
  t.attempts = 1;
  t.seq = 1;
  return t;
}

}  // namespace

TEST_CASE("a record saved by a message whose writes are dropped is forgotten at load") {
  store_fixture f;
  test_store s{f.env, f.writer, "jobs"};
  task_store tasks{s.view()};
  tasks.load();
  tasks.save(running_task("t1"));
  s.commit();
  // A message changes the task, then its writes are dropped.
  auto t = tasks.find("t1");
  REQUIRE(t);
  t->status = task_status::pending;
  t->next_retry_at = 5'000;
  tasks.save(*t);
  CHECK(tasks.find("t1")->status == task_status::pending);  // the message sees its own write
  s.store().discard_message();
  tasks.load();
  auto stored = tasks.find("t1");
  REQUIRE(stored);
  CHECK(stored->status == task_status::running);
  CHECK_FALSE(stored->next_retry_at.has_value());
}

TEST_CASE("a finished record is read from storage - not kept") {
  store_fixture f;
  test_store s{f.env, f.writer, "jobs"};
  task_store tasks{s.view()};
  tasks.load();
  auto t = running_task("t1");
  t.status = task_status::completed;
  t.has_result = true;
  t.output = "1";
  tasks.save(t);
  s.commit();
  // The key written behind the task store's back: a finished record is read from storage each
  // time, so the store answers with what storage holds.
  t.output = "2";
  s.view().put(task_keys::task("t1"), encode_task(t));
  CHECK(tasks.find("t1")->output == "2");
}
