// The directory on its own, without an actor system, so that ThreadSanitizer sees only dort's
// threads and locks (tests/CMakeLists.txt runs this suite under TSan).
#include <doctest/doctest.h>

#include <atomic>
#include <barrier>
#include <thread>
#include <vector>

#include "runtime/directory.hpp"

using namespace dort;

TEST_SUITE_BEGIN("without_caf");

TEST_CASE("the directory spawns exactly once per id when many threads race for it") {
  directory dir;
  constexpr int ids = 100;
  constexpr int threads = 8;
  std::vector<object_id> keys;
  for (int i = 0; i < ids; ++i) keys.push_back(object_id::from_name("t", std::to_string(i)));
  std::vector<std::atomic<int>> spawns(ids);
  std::barrier start{threads};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int round = 0; round < 50; ++round)
        for (int i = 0; i < ids; ++i) {
          int k = (i * 7 + t * 13 + round) % ids;
          dir.find_or_spawn(keys[static_cast<std::size_t>(k)], [&] {
            spawns[static_cast<std::size_t>(k)].fetch_add(1);
            return directory::live_object{caf::actor{}, std::make_shared<activity_stamp>()};
          });
        }
    });
  for (auto& w : workers) w.join();
  for (auto& s : spawns) CHECK(s.load() == 1);
  CHECK(dir.all().size() == ids);
}

TEST_CASE("a failed spawn leaves no entry - and the next caller spawns again") {
  directory dir;
  auto id = object_id::from_name("t", "x");
  CHECK_THROWS(dir.find_or_spawn(id, []() -> directory::live_object { throw std::runtime_error{"no"}; }));
  CHECK(dir.all().empty());
  int spawned = 0;
  dir.find_or_spawn(id, [&] {
    ++spawned;
    return directory::live_object{caf::actor{}, std::make_shared<activity_stamp>()};
  });
  CHECK(spawned == 1);
}

TEST_CASE("only objects quiet since the cutoff are offered to the idle sweeper") {
  directory dir;
  auto quiet = std::make_shared<activity_stamp>();
  auto busy = std::make_shared<activity_stamp>();
  dir.find_or_spawn(object_id::from_name("t", "quiet"),
                    [&] { return directory::live_object{caf::actor{}, quiet}; });
  dir.find_or_spawn(object_id::from_name("t", "busy"),
                    [&] { return directory::live_object{caf::actor{}, busy}; });
  auto cutoff = activity_stamp::clock::now() + std::chrono::milliseconds{1};
  std::this_thread::sleep_until(cutoff + std::chrono::milliseconds{1});
  busy->touch();
  CHECK(dir.quiet_since(cutoff).size() == 1);
  CHECK(dir.quiet_since(quiet->last()).empty());
  CHECK(dir.quiet_since(activity_stamp::clock::now() + std::chrono::seconds{1}).size() == 2);
}

TEST_SUITE_END();
