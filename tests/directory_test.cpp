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
            return caf::actor{};
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
  CHECK_THROWS(dir.find_or_spawn(id, []() -> caf::actor { throw std::runtime_error{"no"}; }));
  CHECK(dir.all().empty());
  int spawned = 0;
  dir.find_or_spawn(id, [&] {
    ++spawned;
    return caf::actor{};
  });
  CHECK(spawned == 1);
}

TEST_SUITE_END();
