// The runtime with the `execution` class on a simulated clock, for the task layer's suites:
// test handlers (`hold`, `doomed`, `upper`), waits for states (`eventually`, `settle`) and
// restarts. Tests wait (real time, bounded) for states, never for durations.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "execution/execution_client.hpp"
#include "execution/execution_object.hpp"
#include "fault_injector.hpp"
#include "runtime/runtime.hpp"
#include "temp_dir.hpp"

namespace dort::test {

/// Attempts of the test's `hold` handler, which end only when the test says so.
struct held_attempts {
  std::mutex mutex;
  std::vector<std::shared_ptr<task_attempt>> attempts;

  std::size_t size() {
    std::lock_guard guard{mutex};
    return attempts.size();
  }
  std::shared_ptr<task_attempt> at(std::size_t i) {
    std::lock_guard guard{mutex};
    return attempts.at(i);
  }
};

struct exec_fixture {
  /// `configure` may change the limits and options below before the runtime starts.
  explicit exec_fixture(const std::function<void(exec_fixture&)>& configure = {}) {
    if (configure) configure(*this);
    start();
  }

  void start() {
    runtime_options options;
    options.data_dir = dir.path();
    options.scheduler_threads = 2;
    options.clock = clock;
    options.commit_faults = faults;
    options.limits = limits;
    rt = std::make_unique<runtime>(options);
    services = std::make_shared<task_services>(*clock, services_options);
    services->handlers.add("hold", [this](std::shared_ptr<task_attempt> a) {
      std::lock_guard guard{held.mutex};
      held.attempts.push_back(std::move(a));
    });
    services->handlers.add("doomed", [](std::shared_ptr<task_attempt> a) {
      a->fail("doomed", true);
    });
    services->handlers.add_blocking(
        "upper", [](task_attempt& a) { return "\"" + a.task_id() + "\""; }, services->workers);
    register_execution(*rt, services);
    rt->start_alarms();
    client = std::make_unique<execution_client>(*rt, "jobs");
  }

  void restart() {
    client.reset();
    rt.reset();
    services.reset();
    start();
  }

  /// Waits (real time, at most 10 s) until `condition` holds.
  void eventually(const std::function<bool()>& condition) {
    auto limit = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    while (!condition()) {
      REQUIRE(std::chrono::steady_clock::now() < limit);
      std::this_thread::sleep_for(std::chrono::milliseconds{1});
    }
  }

  /// Waits until the runtime is idle: the timer and alarm threads wait for times still to come,
  /// no blocking handler runs, and a round trip through the execution meets no other message
  /// (so everything posted before it was handled, and its writes are durable). What a test
  /// checks then cannot change until the test acts; "nothing happened" needs no sleep. A test
  /// that must not activate the execution makes the round trip `via` another one.
  void settle(const std::string& via = "jobs") {
    execution_client probe{*rt, via};
    constexpr std::size_t clock_threads = 2;  // the timer service and the alarm scheduler
    for (int round = 0; round < 1'000; ++round) {
      eventually([&] {
        return clock->idle_waiters() == clock_threads && services->workers.idle();
      });
      const auto before = rt->stats().messages;
      probe.metrics();
      if (rt->stats().messages == before + 1 && clock->idle_waiters() == clock_threads &&
          services->workers.idle())
        return;
    }
    FAIL("the runtime did not settle");
  }

  task_record wait_for_status(const std::string& id, task_status status) {
    task_record t;
    eventually([&] {
      t = client->get(id);
      return t.status == status;
    });
    return t;
  }

  submit_result submit(std::string name, std::optional<std::string> input = {},
                       std::optional<task_config_override> config = {}) {
    task_request r;
    r.name = std::move(name);
    r.input_json = std::move(input);
    r.config = std::move(config);
    return client->submit(r);
  }

  std::vector<std::string> event_types(const std::string& id) {
    std::vector<std::string> types;
    for (auto& e : client->events(id).events) types.push_back(e.type);
    return types;
  }

  temp_dir dir;
  std::shared_ptr<simulated_clock> clock = std::make_shared<simulated_clock>();
  std::shared_ptr<fault_injector> faults = std::make_shared<fault_injector>();
  storage_limits limits;
  task_services_options services_options{2};
  held_attempts held;
  std::unique_ptr<runtime> rt;
  std::shared_ptr<task_services> services;
  std::unique_ptr<execution_client> client;
};

inline task_config_override retries(std::int64_t max, std::int64_t initial_ms) {
  task_config_override o;
  o.max_retries = max;
  o.initial_retry_delay_ms = initial_ms;
  return o;
}

}  // namespace dort::test
