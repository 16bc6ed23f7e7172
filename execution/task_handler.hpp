// What a task handler is and sees. A handler gets one `task_attempt` per attempt and ends it
// with `complete` or `fail`, from any thread and at any later time: the attempt runs outside the
// execution's mailbox, and its result comes back to the execution as a message. A handler that
// only computes can be registered as blocking: it runs on the task layer's worker pool, returns
// its output, and throws `permanent_error` to fail without retries (anything else it throws is
// retryable). An attempt that outlives its timeout is failed by the execution, and whatever the
// handler reports afterwards is ignored. An attempt the execution gives up on (its task was
// cancelled, or it timed out) is marked abandoned, so that work still going on for it can stop:
// the `http` task aborts its transfer then.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dort {

/// Thrown by a handler (or passed to `fail`) to fail the task at once, without retries.
class permanent_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown by a handler of a workflow's step (or passed to `abort_workflow`) to fail the task at
/// once and end the whole workflow `failed` (DurableTasks' `abort: 'workflow'`); outside a
/// workflow it is a permanent failure.
class workflow_abort : public permanent_error {
 public:
  using permanent_error::permanent_error;
};

/// The workflow step an attempt runs for.
struct workflow_step_ref {
  std::string workflow_id;
  std::string step;
};

/// What an attempt reports back to its execution.
struct attempt_report {
  enum class kind : std::uint8_t { complete, fail, progress, complete_at };
  kind what;
  /// Output or progress JSON, or the error message.
  std::string payload;
  bool permanent = false;
  /// For `complete_at`: when the attempt completes.
  std::int64_t at_ms = 0;
  /// For `fail`: the whole workflow of the task's step ends (permanent is set too).
  bool abort_workflow = false;
};

class task_attempt {
 public:
  using reporter = std::function<void(attempt_report)>;

  task_attempt(std::string task_id, std::string name, std::string input, std::int64_t attempt,
               std::int64_t timeout_ms, reporter report)
      : task_id_(std::move(task_id)),
        name_(std::move(name)),
        input_(std::move(input)),
        attempt_(attempt),
        timeout_ms_(timeout_ms),
        report_(std::move(report)) {}

  const std::string& task_id() const noexcept { return task_id_; }
  const std::string& name() const noexcept { return name_; }
  /// The task's input as JSON text ("null" when the task has none).
  const std::string& input() const noexcept { return input_; }
  /// The lifetime number of this attempt (1 for the first).
  std::int64_t attempt() const noexcept { return attempt_; }
  /// The task's timeout per attempt (ms): the execution fails the attempt once it has passed.
  std::int64_t timeout_ms() const noexcept { return timeout_ms_; }

  /// Ends the attempt with `output_json` (one valid JSON value, at most 256 KiB).
  void complete(std::string output_json) {
    end({attempt_report::kind::complete, std::move(output_json)});
  }

  /// Ends the attempt as failed; `permanent` fails the task without retries.
  void fail(std::string message, bool permanent = false) {
    end({attempt_report::kind::fail, std::move(message), permanent});
  }

  /// Ends the attempt as failed permanently and, in a workflow's step, fails the whole workflow.
  void abort_workflow(std::string message) {
    attempt_report r{attempt_report::kind::fail, std::move(message), true};
    r.abort_workflow = true;
    end(std::move(r));
  }

  /// The workflow step this attempt runs for, or nothing.
  const std::optional<workflow_step_ref>& workflow() const noexcept { return workflow_; }

  /// Set by the execution before the attempt starts.
  void set_workflow(workflow_step_ref ref) { workflow_ = std::move(ref); }

  /// Asks the execution for the output of the earlier step `step` of this attempt's workflow;
  /// `done` gets it (nothing if that step did not complete, or outside a workflow) on the
  /// execution's thread.
  using output_reader =
      std::function<void(std::string step, std::function<void(std::optional<std::string>)>)>;
  void read_step_output(std::string step, std::function<void(std::optional<std::string>)> done) {
    if (!output_reader_) return done(std::nullopt);
    output_reader_(std::move(step), std::move(done));
  }

  /// The same, waiting for the answer (at most `max_output_wait`): for blocking handlers, which
  /// run on worker threads. An asynchronous handler runs on the execution's thread and must use
  /// `read_step_output`, or it would wait for itself. Throws std::runtime_error on a timeout.
  static constexpr std::chrono::seconds max_output_wait{10};
  std::optional<std::string> step_output(std::string step) {
    auto answer = std::make_shared<std::promise<std::optional<std::string>>>();
    auto future = answer->get_future();
    read_step_output(std::move(step),
                     [answer](std::optional<std::string> out) { answer->set_value(std::move(out)); });
    if (future.wait_for(max_output_wait) != std::future_status::ready)
      throw std::runtime_error{"the execution did not answer for a step's output"};
    return future.get();
  }

  /// Set by the execution for attempts of workflow steps.
  void set_output_reader(output_reader reader) { output_reader_ = std::move(reader); }

  /// What the prepare hook of this task's name returned for its workflow (DurableTasks'
  /// `Prepare`), when one is registered: run once per (workflow, task name) in this process
  /// before the first attempt of that name, and again after a restart.
  const std::optional<std::string>& prepared() const noexcept { return prepared_; }
  void set_prepared(std::string value) { prepared_ = std::move(value); }

  /// Ends the attempt later, at `time_ms`, through the execution's durable alarm: the attempt
  /// holds no thread, no timer and no timeout while it waits, and survives a restart.
  void complete_at(std::int64_t time_ms, std::string output_json) {
    end({attempt_report::kind::complete_at, std::move(output_json), false, time_ms});
  }

  /// Reports progress (a JSON value) as an event of the task; ignored once the attempt ended.
  void progress(std::string json) {
    if (!ended_.load(std::memory_order_acquire))
      report_({attempt_report::kind::progress, std::move(json)});
  }

  /// Whether `complete`, `fail` or `complete_at` was called.
  bool ended() const noexcept { return ended_.load(std::memory_order_acquire); }

  /// Whether the execution gave up on this attempt (its task was cancelled or it timed out):
  /// whatever it reports is ignored, and a handler still working for it may stop.
  bool abandoned() const noexcept { return abandoned_.load(std::memory_order_acquire); }

  /// Sets what runs once when the attempt is abandoned (at once if it is already), on the
  /// thread that abandons it: e.g. a wake-up of the loop that carries the attempt's work.
  void on_abandon(std::function<void()> hook) {
    {
      std::lock_guard lock{abandon_mutex_};
      if (!abandoned()) {
        abandon_hook_ = std::move(hook);
        return;
      }
    }
    hook();
  }

  /// Called by the execution when it gives up on the attempt.
  void abandon() {
    std::function<void()> hook;
    {
      std::lock_guard lock{abandon_mutex_};
      if (abandoned_.exchange(true, std::memory_order_acq_rel)) return;
      hook.swap(abandon_hook_);
    }
    if (hook) hook();
  }

 private:
  void end(attempt_report r) {
    if (!ended_.exchange(true, std::memory_order_acq_rel)) report_(std::move(r));
  }

  const std::string task_id_;
  const std::string name_;
  const std::string input_;
  const std::int64_t attempt_;
  const std::int64_t timeout_ms_;
  const reporter report_;
  std::optional<workflow_step_ref> workflow_;
  output_reader output_reader_;
  std::optional<std::string> prepared_;
  std::atomic<bool> ended_{false};
  std::atomic<bool> abandoned_{false};
  std::mutex abandon_mutex_;
  std::function<void()> abandon_hook_;  // guarded by abandon_mutex_
};

/// Starts an attempt; must end it eventually (or let it time out). May throw: that fails the
/// attempt (retryable, or permanent for `permanent_error`).
using task_handler = std::function<void(std::shared_ptr<task_attempt>)>;

/// Checks a task's input at submit (JSON text, "null" when absent); throws `dort::error`
/// `invalid_field` naming the field ("input.url").
using input_check = std::function<void(std::string_view input_json)>;

/// A handler that runs on a worker thread and returns the output JSON.
using blocking_task_handler = std::function<std::string(task_attempt&)>;

/// Runs (on a worker thread) before the first attempt of its task name in a workflow; what it
/// returns is each such attempt's `prepared()`. Throwing fails the attempt (retryably).
using prepare_hook = std::function<std::string(const workflow_step_ref&)>;

class worker_pool;

/// Task handlers by name.
class task_handlers {
 public:
  struct entry {
    task_handler run;
    input_check check;
  };

  /// Registers `handler` as `name`, replacing an earlier one.
  void add(std::string name, task_handler handler, input_check check = {});

  /// Registers a blocking handler, run on `pool`.
  void add_blocking(std::string name, blocking_task_handler handler, worker_pool& pool,
                    input_check check = {});

  /// The handler named `name`, or nullptr.
  const entry* find(std::string_view name) const;

  /// Registers the prepare hook of the tasks named `name` (used in workflows' steps only).
  void add_prepare(std::string name, prepare_hook hook);

  /// The prepare hook of `name`, or nullptr.
  const prepare_hook* find_prepare(std::string_view name) const;

 private:
  std::map<std::string, entry, std::less<>> entries_;
  std::map<std::string, prepare_hook, std::less<>> prepares_;
};

}  // namespace dort
