// The group-commit writer on its own threads (no CAF): completion order around failures, the
// fault-injection seam, and many objects submitting from many threads (run under ThreadSanitizer).
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "fault_injector.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/object_store.hpp"
#include "temp_dir.hpp"

using namespace dort;
using dort::test::fault_injector;
using dort::test::temp_dir;

namespace {

/// What one object's commit callback was told, in order.
struct completion_log {
  struct entry {
    std::uint64_t seq;
    bool failed;
  };
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<entry> entries;

  object_store::commit_callback callback() {
    return [this](std::uint64_t, std::uint64_t seq, std::optional<error> failure) {
      std::lock_guard guard{mutex};
      entries.push_back({seq, failure.has_value()});
      changed.notify_all();
    };
  }

  std::vector<entry> wait_for(std::size_t count) {
    std::unique_lock lock{mutex};
    REQUIRE(
        changed.wait_for(lock, std::chrono::seconds{10}, [&] { return entries.size() >= count; }));
    return entries;
  }
};

environment_options strict_in(const temp_dir& dir) {
  environment_options options;
  options.dir = dir.path();
  options.mode = durability::strict;
  return options;
}

/// A strict-mode writer with a fault injector, and one object's store whose completions are
/// logged.
struct faulty_writer {
  explicit faulty_writer(std::string object) : name(std::move(object)) {}

  /// Returns what object `id` holds on disk under `key`.
  std::optional<std::string> on_disk(std::string_view key) {
    auto txn = env.begin_read();
    std::string full;
    encode_data_key(id, key, full);
    auto value = txn.get(env.data_db(), full);
    return value ? std::optional<std::string>{std::string{*value}} : std::nullopt;
  }

  std::string name;
  object_id id{object_id::from_name("test", name)};
  temp_dir dir;
  environment env{strict_in(dir)};
  std::shared_ptr<fault_injector> faults = std::make_shared<fault_injector>();
  completion_log log;
  group_commit writer{env, faults};
  object_store store{env, writer, id, "test", name, {}, log.callback()};
};

}  // namespace

TEST_SUITE_BEGIN("without_caf");

TEST_CASE("a failed commit releases an earlier batch of the same object first - as a success") {
  faulty_writer f{"a"};
  // Message 1 is held in its commit, so message 2 queues behind it; once 1 is committed (and
  // waits for the sync the next commit would bring), message 2's commit fails.
  f.faults->plan_commit(fault_injector::plan::hold);
  f.faults->plan_commit(fault_injector::plan::fail);
  f.store.view().put("k1", "v1");
  auto first = f.store.finish_message();
  f.faults->wait_until_held();
  f.store.view().put("k2", "v2");
  auto second = f.store.finish_message();
  REQUIRE(first);
  REQUIRE(second);
  f.faults->release();
  auto entries = f.log.wait_for(2);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].seq == *first);
  CHECK_FALSE(entries[0].failed);
  CHECK(entries[1].seq == *second);
  CHECK(entries[1].failed);
  // Message 1 is on disk; message 2 is not.
  CHECK(f.on_disk("k1") == "v1");
  CHECK_FALSE(f.on_disk("k2"));
}

TEST_CASE("a commit that took over 10 ms is told to the slow-operation sink - with its objects and writes") {
  std::mutex mutex;
  std::vector<slow_operation> seen;
  temp_dir dir;
  auto options = strict_in(dir);
  options.on_slow_operation = [&](const slow_operation& op) {
    std::lock_guard guard{mutex};
    seen.push_back(op);  // `what` names a string literal
  };
  environment env{options};
  auto faults = std::make_shared<fault_injector>();
  completion_log log;
  group_commit writer{env, faults};
  const auto id = object_id::from_name("test", "slow");
  object_store store{env, writer, id, "test", "slow", {}, log.callback()};
  faults->plan_commit(fault_injector::plan::hold);  // a disk that stalls
  store.view().put("a", "1");
  store.view().put("b", "2");
  REQUIRE(store.finish_message());
  faults->wait_until_held();
  std::this_thread::sleep_for(std::chrono::milliseconds{20});
  faults->release();
  log.wait_for(1);
  std::lock_guard guard{mutex};
  auto commit = std::find_if(seen.begin(), seen.end(),
                             [](const slow_operation& op) { return op.what == "commit"; });
  REQUIRE(commit != seen.end());
  CHECK(commit->took >= std::chrono::milliseconds{20});
  CHECK(commit->objects == 1);
  CHECK(commit->writes >= 2);
}

TEST_CASE("a failed sync fails the batch waiting for it") {
  faulty_writer f{"s"};
  f.faults->fail_next_sync();
  f.store.view().put("k", "v");
  auto seq = f.store.finish_message();
  auto entries = f.log.wait_for(1);
  CHECK(entries[0].seq == *seq);
  CHECK(entries[0].failed);
}

TEST_CASE("many threads each committing their own object see every write durable in order") {
  temp_dir dir;
  environment_options options = strict_in(dir);
  options.mode = durability::relaxed;  // the threads, not the disk, are under test
  environment env{options};
  constexpr int threads = 8;
  constexpr int messages = 200;
  std::atomic<int> out_of_order{0};
  {
    group_commit writer{env};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        std::mutex mutex;
        std::condition_variable changed;
        std::uint64_t durable = 0;
        auto name = "t" + std::to_string(t);
        object_store store{env,
                           writer,
                           object_id::from_name("test", name),
                           "test",
                           name,
                           {},
                           [&](std::uint64_t, std::uint64_t seq, std::optional<error> failure) {
                             std::lock_guard guard{mutex};
                             if (failure || seq < durable) ++out_of_order;
                             durable = seq;
                             changed.notify_all();
                           }};
        for (int m = 0; m < messages; ++m) {
          store.view().put("k" + std::to_string(m % 7), std::to_string(m));
          auto seq = store.finish_message();
          if (m % 10 == 9 || m == messages - 1) {  // pipelined: wait only now and then
            std::unique_lock lock{mutex};
            changed.wait(lock, [&] { return durable >= *seq; });
          }
        }
      });
    for (auto& th : pool) th.join();
    CHECK(writer.writes() > 0);
  }
  CHECK(out_of_order.load() == 0);
  auto txn = env.begin_read();
  for (int t = 0; t < threads; ++t) {
    std::string key;
    encode_data_key(object_id::from_name("test", "t" + std::to_string(t)),
                    "k" + std::to_string((messages - 1) % 7), key);
    CHECK(txn.get(env.data_db(), key) ==
          std::optional<std::string_view>{std::to_string(messages - 1)});
  }
}

TEST_SUITE_END();
