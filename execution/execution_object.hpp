// The built-in durable object class `execution`: a queue of tasks in the object's own storage,
// run with API.md's semantics (priority, retries with backoff and jitter, timeouts, rate limits,
// idempotency, cancel/retry, dead letters, metrics, events). Every state change is one message of
// the object, so one atomic, durable transaction: record, indexes, counters and events together.
// Attempts run outside the mailbox (task_handler.hpp) and report back through `poster`. Retry
// times, delayed starts, rate-limit windows, attempt deadlines and `wait` completions all fold
// into one reserved alarm ("dort.tasks") at the earliest time anything must happen; a derived
// class keeps its own alarms. After a restart, tasks that were running are attempted again and
// the cut-short attempt does not count.
//
// Output gate and failures: an attempt's handler runs only once the message that made its task
// `running` is durable (attempt_table.hpp). A message that throws after changing anything
// rebuilds the instance's memory from storage — its attempts abandoned, its tasks stored as
// `running` queued again — so memory never differs from what storage holds; an instance that is
// destroyed (evicted, rebuilt after a failed commit, shut down) abandons its attempts too.
//
// Composition: the object is the queue's state machine (execution_object.cpp) over
//   task_store     records, status index, counters and event logs (task_store.hpp)
//   index_window   the ready queue and the timed index, mirrored in bounded windows
//   group_queue    the ready tasks that have a group, taking turns by group
//   attempt_table  the attempts in progress, launched once their start is durable
//   rate_limiter   exact sliding windows per task name (and per group), O(1) writes per start
// with its methods (the JSON below) in execution_methods.cpp. Every message's work is bounded:
// windows, chunks and pages, never a walk of everything stored.
//
// Methods (JSON in, JSON out), used by the C++ client (execution_client.hpp) and the server:
//   submit     API.md's submit body             → {"created": bool, "task": record}
//   batch      {"tasks": [submit bodies]}       → API.md's {"results": [...]}, each created item
//                                                  in this one message's commit
//   delete     {"id"}                           → {}, or task_not_found / invalid_state
//   purge      {}                               → {"deleted": n}, once every failed task is gone
//   get        {"id"}                           → record, or task_not_found
//   cancel     {"id"}                           → record, or task_not_found / invalid_state
//   retry      {"id"}                           → record, or task_not_found / invalid_state
//   list       {"status","name","limit","cursor"} → {"tasks": [...], "nextCursor": str|null}
//   dlq        {"limit","cursor"}               → the same, failed tasks only
//   metrics    {}                               → API.md's metrics object
//   configure  API.md's PUT .../config body     → every setting, defaults included
//   config     {}                               → the same, unchanged
//   schedule_put    {"name","body": API.md's schedule PUT body} → the schedule record
//   schedule_get    {"name"}                    → the record, or schedule_not_found
//   schedule_list   {}                          → {"schedules": [records]}, name order
//   schedule_delete {"name"}                    → {}, or schedule_not_found
//   events     {"id","after","limit"}           → {"events": [data...], "final": bool,
//                                                  "more": bool, "lastSeq": n}: a page of at
//                                                  most `limit` (≤ 1,000) events after `after`
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <set>
#include <unordered_map>

#include "actors/durable_object.hpp"
#include "execution/attempt_table.hpp"
#include "execution/circuit_breaker.hpp"
#include "execution/execution_settings.hpp"
#include "execution/group_queue.hpp"
#include "execution/index_window.hpp"
#include "execution/rate_limiter.hpp"
#include "execution/report_inbox.hpp"
#include "execution/schedule_record.hpp"
#include "execution/task_counters.hpp"
#include "execution/task_handler.hpp"
#include "execution/task_record.hpp"
#include "execution/task_services.hpp"
#include "execution/task_store.hpp"
#include "execution/task_submission.hpp"
#include "execution/workflow_store.hpp"

namespace dort {

class runtime;

class execution_object : public durable_object {
 public:
  /// The class name the runtime registers it under.
  static constexpr std::string_view class_name = "execution";
  /// The reserved alarm that drives the queue.
  static constexpr std::string_view alarm_name = "dort.tasks";
  /// Largest `input` and `metadata` (JSON text) and handler output.
  static constexpr std::size_t max_input_bytes = dort::max_input_bytes;
  static constexpr std::size_t max_metadata_bytes = dort::max_metadata_bytes;
  static constexpr std::size_t max_output_bytes = 256 * 1024;
  /// Longest failure message a handler's `fail` keeps (longer ones are cut at a character
  /// boundary) and largest progress value (larger ones are dropped): with the input, metadata
  /// and output limits, a task record stays far below the 1 MiB value limit.
  static constexpr std::size_t max_error_bytes = 16 * 1024;
  static constexpr std::size_t max_progress_bytes = 64 * 1024;
  /// Most events one `events` message reads (a replay asks page after page).
  static constexpr std::int64_t max_events_per_page = 1'000;

  execution_object(object_context& context, std::shared_ptr<task_services> services);
  /// Abandons the attempts of this instance and cancels its timer.
  ~execution_object() override;

  std::string handle(std::string_view method, std::string_view payload) override;
  void alarm(const alarm_info& info) override;
  bool has_background_work() const override { return !attempts_.empty(); }

 protected:
  /// Starts an attempt. The default runs the handler registered under the task's name.
  virtual void run_task(std::shared_ptr<task_attempt> attempt);

  /// Throws `invalid_field` if tasks named `name` cannot run or `input` is wrong for them. The
  /// default asks the registered handlers.
  virtual void check_task(std::string_view name, std::string_view input);

  task_services& services() { return *services_; }

 private:
  /// What the instance's memory holds, against what storage holds.
  enum class memory_state {
    unloaded,   ///< nothing read yet (new instance, or rebuilt after a failed message)
    loaded,     ///< mirrors storage; attempts cut short not yet taken back
    recovered,  ///< attempts cut short taken back; the queue not yet pumped by a message
    active,     ///< in step with storage
  };

  // Methods.
  std::string submit(std::string_view payload);
  std::string submit_batch(std::string_view payload);
  /// Deletes a finished task at once (API.md's DELETE of a task).
  std::string remove(std::string_view payload);
  /// Deletes every failed task in chunks, one message each; the reply waits for the last.
  std::string purge_dead_letters(std::string_view payload);
  void purge_chunk(std::shared_ptr<deferred_reply> reply, std::optional<std::string> after,
                   std::int64_t deleted);
  /// Runs `work` later as a guarded message of its own. If it throws, its writes are dropped
  /// and `on_failure` runs with the error in a message after it (what a failed message does is
  /// dropped with it, a deferred reply's completion included).
  void post_message(std::function<void()> work, std::function<void(const error&)> on_failure);
  /// A checked submission: the existing record of a repeat, or the task to create.
  struct submit_outcome {
    task_record task;
    bool created;
    std::int64_t delay_ms;
  };
  /// Checks one submission against the rules and what is stored; changes nothing. Throws if
  /// the submission is refused.
  submit_outcome check_submit(std::string_view payload);
  /// Creates a checked task (its id and number, indexes, event, record), starting nothing: the
  /// caller pumps.
  void create(submit_outcome& submitted);
  std::string get(std::string_view payload);
  std::string cancel(std::string_view payload);
  std::string retry(std::string_view payload);
  std::string list(std::string_view payload, bool dead_letters);
  std::string configure(std::string_view payload);
  std::string events(std::string_view payload);

  // Schedules (execution_schedules.cpp).
  std::string put_schedule(std::string_view payload);
  std::string get_schedule(std::string_view payload);
  std::string list_schedules(std::string_view payload);
  std::string delete_schedule(std::string_view payload);
  std::optional<schedule_record> find_schedule(std::string_view name);
  /// Writes `s` and moves its entry in the timed index of schedules from where `before` had it.
  void save_schedule(const schedule_record& s, const std::optional<schedule_record>& before);
  /// The first next-run time of the schedules, or nothing.
  std::optional<std::int64_t> next_schedule_run();
  /// Runs a bounded number of the schedules that are due.
  void run_due_schedules(std::int64_t now);
  /// Submits the run of `s` at `run_at`, or counts it skipped if it is refused.
  void run_schedule(schedule_record& s, std::int64_t run_at);

  // Workflows (execution_workflows.cpp): methods, then their state changes.
  std::string create_workflow(std::string_view payload);
  std::string get_workflow(std::string_view payload);
  std::string get_workflow_step(std::string_view payload);
  std::string list_workflows(std::string_view payload);
  std::string send_workflow_event(std::string_view payload);
  std::string cancel_workflow(std::string_view payload);
  std::string retry_workflow(std::string_view payload);
  std::string delete_workflow(std::string_view payload);
  std::string workflow_events(std::string_view payload);
  workflow require_workflow(std::string_view id);
  /// The workflow a payload `{"id"}` names (its only field).
  workflow require_workflow_of(std::string_view payload);
  std::string workflow_json(const workflow& w) const;
  /// Starts steps from the current one until one has to wait (a task, a sleep, an event) or
  /// the workflow ends.
  void advance(workflow& w, std::int64_t now);
  /// Starts step `i`: a step that ends at once (a `set`, a due sleep, a queued event) moves the
  /// current step on, one that waits leaves it.
  void start_step(workflow& w, std::size_t i, std::int64_t now);
  /// Creates (or, if it exists from an earlier run, queues again) the step task `id`.
  void run_step_task(workflow& w, std::size_t i, const std::string& id, const std::string& name,
                     const std::string& input, const std::optional<std::string>& config);
  /// Completes step `i` with `output` and makes the next one current (`advance` starts it).
  void complete_step(workflow& w, std::size_t i, std::string output, std::int64_t now);
  /// Ends step `i` as `status` (failed or timed_out): the workflow goes on if the step says
  /// `continue`, and fails otherwise.
  void fail_step(workflow& w, std::size_t i, step_status status, const std::string& message,
                 bool go_on, std::int64_t now);
  void finish_workflow(workflow& w, workflow_status to, std::int64_t now);
  /// Called when step task `task` reached a final status (`abort`: its handler aborted the
  /// workflow).
  void step_task_ended(const task_record& task, bool abort, std::int64_t now);
  void parent_task_ended(workflow& w, std::size_t i, const task_record& task, std::int64_t now);
  void child_ended(workflow& w, std::size_t i, const task_record& task, std::int64_t now);
  /// Creates the next bounded chunk of parent step `i`'s children; the rest come in later
  /// messages, through the timed index.
  void create_children(workflow& w, std::size_t i, std::int64_t now);
  /// The children of parent step `i` (from the step, or its task's output).
  std::vector<step_task> children_of(workflow& w, std::size_t i);
  void finalize_parent(workflow& w, std::size_t i, std::int64_t now);
  /// Cancels the unfinished tasks of step `i` (their attempts abandoned).
  void stop_step_tasks(workflow& w, std::size_t i, std::int64_t now);
  /// Handles a bounded number of due entries of the workflows' timed index.
  void wake_workflows(std::int64_t now);
  void time_workflow(workflow& w, char what, std::size_t step, std::int64_t at);
  void untime_workflow(workflow& w, char what, std::size_t step, std::int64_t at);
  void expire_workflows(std::int64_t now);
  /// Deletes a chunk of a final workflow's step tasks from `at` on; with the last chunk the
  /// workflow too. Returns whether it is gone.
  bool remove_workflow(const workflow& w, workflow_removal& at);
  void delete_workflow_chunk(std::shared_ptr<deferred_reply> reply, const std::string& id,
                             workflow_removal at);
  std::string resolve_references(const workflow& w, const std::string& json);
  void save_workflow(workflow& w);
  void add_workflow_event(workflow& w, std::string_view type,
                          const std::function<void(json_writer&)>& fields = {});
  /// Answers the `waitMs` gets of workflow `w` that wait for its end.
  void release_workflow_waiters(const workflow& w);

  // Memory and storage.
  void begin_message();
  void end_message();
  void load();
  /// Runs `f` as one message. If `f` throws after changing anything, memory is rebuilt from
  /// storage (see `rebuild`) and the exception goes on.
  template <class F>
  auto guarded(F&& f);
  /// Forgets memory and abandons every attempt; a message posted at once reloads it and queues
  /// the tasks storage holds as running again.
  void rebuild();
  void put(std::string_view key, std::string_view value);
  void del(std::string_view key);
  void enqueue(const task_record& task);
  void dequeue(const task_record& task);
  void unready(const std::string& key);
  void wake_at(task_record& task, std::int64_t at);
  void unwake(task_record& task);

  // State changes.
  /// Runs the first pump of an instance whose memory was just (re)loaded, once.
  void activate();
  /// Takes back one chunk of the attempts cut short (see `recovering_`).
  void recover_running();
  void pump();
  void wake_due(std::int64_t now);
  void start_ready(std::int64_t now);
  /// The ready task whose turn comes first, or nothing; takes it out of the ready queues.
  std::optional<std::string> take_next_ready();
  /// Brings back to the turns the parked groups below their `concurrency` now.
  void unpark_groups();
  /// Deletes a bounded number of the finished tasks whose retention has passed.
  void expire_finished(std::int64_t now);
  bool hold_for_rate_limit(task_record& task, std::int64_t now);
  void start(task_record& task, std::int64_t now);
  /// Runs the attempt `token` of task `id` once its start is durable.
  void launch(const std::string& id, std::uint64_t token);
  /// Runs the handler of `attempt` (its failures reported as the attempt's).
  void run_attempt(const std::shared_ptr<task_attempt>& attempt);
  /// Handles every report in the inbox as one message.
  void take_reports();
  /// Handles one report; returns whether it ended its attempt (a slot is free: pump).
  bool on_report(const std::string& id, std::uint64_t token, const attempt_report& report);
  /// Gives up on task `id`'s attempt in progress, if any: its report is ignored from now on.
  void abandon_attempt(const std::string& id);
  void complete(task_record& task, std::string output, std::int64_t now);
  void fail_attempt(task_record& task, const std::string& message, bool permanent,
                    std::int64_t now, bool abort_workflow = false);
  /// Cancels an unfinished task (its attempt abandoned); starts nothing.
  void cancel_task(task_record& task, std::int64_t now);
  /// Queues a failed or cancelled task again, its retry count reset; starts nothing.
  void requeue(task_record& task);
  void update_alarm(std::int64_t now);

  // Circuits of `http` calls.
  /// The host whose circuit an attempt of `task` goes through, if the breaker is on and the task
  /// is an `http` task.
  std::optional<std::string> circuit_of(const task_record& task) const;
  /// Tells the breaker how an attempt of `task` ended: answered (a result or a permanent
  /// error) or failed retryably.
  void circuit_outcome(const task_record& task, bool answered, std::int64_t now);
  /// Moves the process's gauge of open circuits by this execution's change.
  void publish_circuits();

  // Storage helpers.
  std::optional<task_record> find_task(std::string_view id);
  task_record require_task(std::string_view payload);
  void save(task_record& task);
  void set_status(task_record& task, task_status to);
  void add_event(task_record& task, std::string_view type,
                 const std::function<void(json_writer&)>& fields = {});
  void save_counters();
  std::string record_json(const task_record& task) const;

  std::shared_ptr<task_services> services_;
  /// The execution's settings (API.md's `PUT .../config`), as stored.
  execution_settings settings_;
  task_store tasks_{storage()};
  workflow_store workflows_{storage()};
  /// The workflows' timed index (`x` keys, workflow_store.hpp), in a window.
  index_window workflow_wakes_{storage(), std::string{workflow_keys::timed_prefix}};
  /// Gets with `waitMs` waiting for a workflow's end, by workflow id.
  std::unordered_multimap<std::string, std::shared_ptr<deferred_reply>> workflow_waiters_;
  /// Whether the last pump left workflow work due (its work is bounded).
  bool more_workflow_work_ = false;
  /// Workflows a DELETE removes chunk by chunk (a retry of one is refused meanwhile), and the
  /// one retention removes now with how far it got (memory only: after a restart it starts
  /// over, finding the deleted tasks gone).
  std::set<std::string> removing_workflows_;
  std::pair<std::string, workflow_removal> expiring_{};
  attempt_table attempts_;
  /// Reports of this instance's attempts, waiting for the message that takes them.
  std::shared_ptr<report_inbox> reports_ = std::make_shared<report_inbox>();
  rate_limiter rate_limits_;
  /// Circuits of `http` hosts, in memory only, and how many open ones the gauge counts.
  circuit_breaker circuits_;
  std::int64_t circuits_published_ = 0;
  /// The ready queue (q keys) and the timed index (w keys), key → task id, in windows.
  index_window ready_{storage(), "q"};
  index_window wakes_{storage(), "w"};
  /// Ready tasks with a group (tasks without one are in `ready_`), and the groups' rate limits.
  group_queue group_turns_{storage()};
  rate_limiter group_rates_{storage(), 'R'};
  /// Whether the last pump left ready tasks it did not look at (its work is bounded).
  bool more_ready_ = false;
  /// Whether the last pump left finished tasks due for deletion (its work is bounded).
  bool more_expired_ = false;
  /// Whether the last pump left schedules due (its work is bounded).
  bool more_schedules_ = false;
  /// The first next-run time of the schedules, once read (see next_schedule_run).
  std::optional<std::int64_t> schedule_front_;
  bool schedule_front_known_ = false;
  /// Whether tasks stored as running remain to be taken back, from this key of the index on.
  bool recovering_ = false;
  std::optional<std::string> recovery_from_;
  /// The timer that wakes the queue at its next time, while this instance lives.
  std::optional<timer_service::timer_id> timer_;
  std::int64_t timer_at_ = 0;
  memory_state memory_ = memory_state::unloaded;
  /// Whether the running message changed memory or storage (so a throw must rebuild).
  bool dirty_ = false;
  /// Whether the running message is the one `rebuild` posted (a failing one is not re-posted:
  /// the reserved alarm, retried with backoff, brings the next try).
  bool rebuilding_ = false;
};

/// Registers the class `execution` on `rt`, sharing `services` between all its objects.
void register_execution(runtime& rt, std::shared_ptr<task_services> services);

}  // namespace dort
