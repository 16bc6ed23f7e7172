// What every execution object of a runtime shares: the task handlers by name, the worker pool
// for blocking handlers, the timer thread for handlers that wait, the event hub that streams
// task events, and the admission limit. Made once per runtime by `register_execution`.
#pragma once

#include <cstdint>
#include <memory>

#include "alarms/clock.hpp"
#include "execution/event_hub.hpp"
#include "execution/prepared_results.hpp"
#include "execution/task_handler.hpp"
#include "execution/task_metrics.hpp"
#include "execution/timer_service.hpp"
#include "execution/worker_pool.hpp"

namespace dort {

struct task_services_options {
  /// Threads for blocking handlers; 0 = one per core.
  std::size_t worker_threads = 0;
  /// Tasks pending or rate_limited per execution; a submit past it fails with `backpressure`.
  std::int64_t max_queued_tasks = 1'000'000;
  /// Register echo, fail, sleep and wait.
  bool builtin_handlers = true;
};

class task_services {
 public:
  task_services(dort::clock& clock, task_services_options options = {});

  dort::clock& clock;
  const task_services_options options;
  worker_pool workers;
  timer_service timers;
  event_hub events;
  task_handlers handlers;
  task_metrics metrics;
  /// Results of the workflows' prepare hooks in this process.
  prepared_results prepared;
};

/// Registers the built-in handlers that need no network: echo, fail, sleep, wait (API.md).
void add_builtin_handlers(task_services& services);

}  // namespace dort
