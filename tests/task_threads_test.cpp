// The task layer's own threads without an actor system, so that ThreadSanitizer sees them: the
// worker pool and the event hub under concurrent use.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "execution/event_hub.hpp"
#include "execution/worker_pool.hpp"

using namespace dort;

TEST_SUITE_BEGIN("without_caf");

TEST_CASE("the worker pool runs all posted work from many threads and finishes it before it stops") {
  std::atomic<int> ran{0};
  {
    worker_pool pool{3};
    std::vector<std::thread> posters;
    for (int t = 0; t < 4; ++t)
      posters.emplace_back([&] {
        for (int i = 0; i < 1'000; ++i) pool.post([&] { ran.fetch_add(1); });
      });
    for (auto& p : posters) p.join();
  }
  CHECK(ran.load() == 4'000);
}

TEST_CASE("the event hub delivers to the task's subscribers only and never after unsubscribe returns") {
  event_hub hub;
  std::atomic<int> a{0}, b{0};
  std::atomic<bool> unsubscribed{false};
  std::atomic<int> after_unsubscribe{0};
  auto sa = hub.subscribe("e", "t1", [&](const task_event&) {
    a.fetch_add(1);
    if (unsubscribed.load()) after_unsubscribe.fetch_add(1);
  });
  hub.subscribe("e", "t2", [&](const task_event&) { b.fetch_add(1); });
  hub.subscribe("e2", "t1", [&](const task_event&) { b.fetch_add(100); });
  std::vector<std::thread> publishers;
  for (int t = 0; t < 3; ++t)
    publishers.emplace_back([&] {
      for (std::uint32_t i = 1; i <= 500; ++i) hub.publish("e", "t1", task_event{i, "x", "{}"});
    });
  std::thread stopper{[&] {
    std::this_thread::yield();
    hub.unsubscribe(sa);
    unsubscribed.store(true);
  }};
  for (auto& p : publishers) p.join();
  stopper.join();
  CHECK(a.load() <= 1'500);
  CHECK(b.load() == 0);
  CHECK(after_unsubscribe.load() == 0);
  CHECK(hub.size() == 2);
  // Names are length-prefixed: ("e1", "x") and ("e", "1x") are different tasks.
  std::atomic<int> c{0};
  hub.subscribe("e1", "x", [&](const task_event&) { c.fetch_add(1); });
  hub.publish("e", "1x", task_event{1, "x", "{}"});
  CHECK(c.load() == 0);
}

TEST_SUITE_END();
