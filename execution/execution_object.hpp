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
// Methods (JSON in, JSON out), used by the C++ client (execution_client.hpp) and the server:
//   submit     API.md's submit body             → {"created": bool, "task": record}
//   get        {"id"}                           → record, or task_not_found
//   cancel     {"id"}                           → record, or task_not_found / invalid_state
//   retry      {"id"}                           → record, or task_not_found / invalid_state
//   list       {"status","name","limit","cursor"} → {"tasks": [...], "nextCursor": str|null}
//   dlq        {"limit","cursor"}               → the same, failed tasks only
//   metrics    {}                               → API.md's metrics object
//   configure  {"config","concurrency"}         → {"config": {...}, "concurrency": n}
//   config     {}                               → the same, unchanged
//   events     {"id","after"}                   → {"events": [data...], "final": bool}
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "actors/durable_object.hpp"
#include "execution/task_counters.hpp"
#include "execution/task_handler.hpp"
#include "execution/task_record.hpp"
#include "execution/task_services.hpp"

namespace dort {

class runtime;

class execution_object : public durable_object {
 public:
  /// The class name the runtime registers it under.
  static constexpr std::string_view class_name = "execution";
  /// The reserved alarm that drives the queue.
  static constexpr std::string_view alarm_name = "dort.tasks";
  /// Largest `input` and `metadata` (JSON text) and handler output.
  static constexpr std::size_t max_input_bytes = 256 * 1024;
  static constexpr std::size_t max_metadata_bytes = 16 * 1024;
  static constexpr std::size_t max_output_bytes = 256 * 1024;

  execution_object(object_context& context, std::shared_ptr<task_services> services);

  std::string handle(std::string_view method, std::string_view payload) override;
  void alarm(const alarm_info& info) override;
  bool has_background_work() const override { return !running_.empty(); }

 protected:
  /// Starts an attempt. The default runs the handler registered under the task's name.
  virtual void run_task(std::shared_ptr<task_attempt> attempt);

  /// Throws `invalid_field` if tasks named `name` cannot run or `input` is wrong for them. The
  /// default asks the registered handlers.
  virtual void check_task(std::string_view name, std::string_view input);

  task_services& services() { return *services_; }

 private:
  /// An attempt in progress, known only in memory (a restart re-runs its task).
  struct running_attempt {
    std::uint64_t token;
    std::int64_t deadline_ms;
    std::shared_ptr<task_attempt> attempt;
  };

  // Methods.
  std::string submit(std::string_view payload);
  std::string get(std::string_view payload);
  std::string cancel(std::string_view payload);
  std::string retry(std::string_view payload);
  std::string list(std::string_view payload, bool dead_letters);
  std::string configure(std::string_view payload);
  std::string config_json() const;
  std::string events(std::string_view payload);

  // Memory and storage.
  void begin_message();
  void end_message();
  void load();
  /// Runs `f` as one message: memory is reloaded first if an earlier message that changed it
  /// failed; if `f` throws after writing, memory is marked for reloading.
  template <class F>
  auto guarded(F&& f);
  void put(std::string_view key, std::string_view value);
  void del(std::string_view key);
  void enqueue(const task_record& task);
  void dequeue(const task_record& task);
  void unready(const std::string& key);
  void wake_at(task_record& task, std::int64_t at);
  void unwake(task_record& task);

  // State changes.
  void recover_running();
  void pump();
  void wake_due(std::int64_t now);
  void start_ready(std::int64_t now);
  bool hold_for_rate_limit(task_record& task, std::int64_t now);
  void start(task_record& task, std::int64_t now);
  void on_report(const std::string& id, std::uint64_t token, const attempt_report& report);
  /// Gives up on task `id`'s attempt in progress, if any: its report is ignored from now on.
  void abandon_attempt(const std::string& id);
  void complete(task_record& task, std::string output, std::int64_t now);
  void fail_attempt(task_record& task, const std::string& message, bool permanent,
                    std::int64_t now);
  void update_alarm(std::int64_t now);

  // Storage helpers.
  std::optional<task_record> find_task(std::string_view id);
  task_record require_task(std::string_view payload);
  void save(task_record& task);
  void set_status(task_record& task, task_status to);
  void add_event(task_record& task, std::string_view type,
                 const std::function<void(json_writer&)>& fields = {});
  void save_counters();
  std::string record_json(const task_record& task) const;
  std::deque<std::int64_t>& starts_of(const std::string& name);

  std::shared_ptr<task_services> services_;
  task_config defaults_;
  std::int64_t concurrency_ = default_concurrency;
  task_counters counters_;
  std::unordered_map<std::string, running_attempt> running_;
  /// Recent start times per task name, for rate limits (loaded on first use).
  std::unordered_map<std::string, std::deque<std::int64_t>> starts_;
  std::uint64_t next_token_ = 1;
  /// Status changes of this message: written to the status index at its end, once per task.
  struct status_move {
    std::optional<task_status> from;
    task_status to;
    std::uint64_t seq;
  };
  std::unordered_map<std::string, status_move> status_moves_;
  /// Ready entries added by this message, written at its end if still ready.
  std::unordered_map<std::string, std::string> fresh_ready_;
  /// Mirrors of the ready queue (q keys) and the timed index (w keys), key → task id.
  std::map<std::string, std::string> ready_;
  std::map<std::string, std::string> wakes_;
  /// The timer that wakes the queue at its next time, while this instance lives.
  std::optional<timer_service::timer_id> timer_;
  std::int64_t timer_at_ = 0;
  bool loaded_ = false;
  bool dirty_ = false;
  bool recovered_ = false;
  bool pumped_ = false;
};

/// A submit body (API.md "Submit") read and checked: unknown fields, types, ranges and sizes,
/// with `config` merged over the execution's defaults. Whether a handler of that name takes the
/// input, and what is stored already (ids, idempotency keys), the execution checks afterwards.
struct task_submission {
  std::optional<std::string> id;
  std::string name;
  std::optional<std::string> input;
  std::int64_t priority = 0;
  std::optional<std::string> idempotency_key;
  std::int64_t delay_ms = 0;
  std::optional<std::string> metadata;
  task_config config;

  bool operator==(const task_submission&) const = default;
};

/// Reads a submit body; throws `dort::error` (invalid_json, invalid_field, missing_field,
/// too_large) naming the field at fault.
task_submission read_submission(std::string_view payload, const task_config& defaults);

/// Registers the class `execution` on `rt`, sharing `services` between all its objects.
void register_execution(runtime& rt, std::shared_ptr<task_services> services);

}  // namespace dort
