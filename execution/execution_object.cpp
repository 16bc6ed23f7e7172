#include "execution/execution_object.hpp"

#include <algorithm>
#include <type_traits>

#include "actors/json_reader.hpp"
#include "execution/http_task.hpp"
#include "execution/task_keys.hpp"
#include "execution/task_uuid.hpp"
#include "runtime/runtime.hpp"

namespace dort {

namespace {

/// Due waits handled per message, so that a million tasks due at once do not make one huge
/// transaction; the alarm comes back at once for the rest.
constexpr std::size_t max_wakes_per_pump = 1'024;
/// Running tasks looked at per message when an instance takes back attempts cut short.
constexpr std::size_t max_recovered_per_message = 1'024;
/// Ready tasks looked at per message (those held by their rate limit move to the timed index).
constexpr std::size_t max_ready_per_pump = 1'024;
/// Finished tasks deleted by retention per message (each with its indexes and events).
constexpr std::size_t max_expired_per_pump = 256;
/// How long after the earliest time the durable alarm comes (see update_alarm).
constexpr std::int64_t alarm_backstop_ms = 1'000;

/// Returns `text` cut to at most `max` bytes at a UTF-8 character boundary.
std::string cut_utf8(const std::string& text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace

// -- activation ---------------------------------------------------------------------------------

execution_object::execution_object(object_context& context, std::shared_ptr<task_services> services)
    : durable_object(context), services_(std::move(services)), rate_limits_(storage()) {}

execution_object::~execution_object() {
  if (timer_) services_->timers.cancel(*timer_);
  services_->metrics.circuits_open -= circuits_published_;  // its circuits go with it
  attempts_.abandon_all();  // their reports would reach no one: the next instance runs them again
}

void execution_object::begin_message() {
  dirty_ = false;
  tasks_.discard();
  if (memory_ == memory_state::unloaded) load();
  if (memory_ == memory_state::loaded) {
    memory_ = memory_state::recovered;
    recovering_ = true;
    recovery_from_.reset();
    recover_running();
  }
}

void execution_object::end_message() {
  // Index entries are written once per message with their final state: a task submitted and
  // started in one message never writes (and deletes) a pending or ready entry.
  auto gauges = tasks_.flush();
  if (gauges.running != 0 || gauges.queued != 0)
    after_durable([services = services_, gauges] {
      services->metrics.running += gauges.running;
      services->metrics.queued += gauges.queued;
    });
  ready_.flush();
  wakes_.flush();
  workflow_wakes_.flush();
  group_turns_.flush();
}

void execution_object::load() {
  // Memory mirrors what the object's storage holds: counters, defaults, the ready queue and the
  // timed index. It is read again after a message that changed something failed (its writes were
  // dropped: see `guarded`); a failed commit rebuilds the whole object.
  settings_ = execution_settings{};
  if (auto stored = storage().get(task_keys::defaults)) merge_settings(settings_, *stored);
  tasks_.load();
  workflows_.load();
  services_->metrics.count_execution_once(
      id().to_hex(), tasks_.counters().of(task_status::running), tasks_.counters().queued(),
      workflows_.count(workflow_status::running) + workflows_.count(workflow_status::waiting));
  // The queue and the timed index are read in windows as they are used (index_window.hpp).
  ready_.reset();
  wakes_.reset();
  workflow_wakes_.reset();
  group_turns_.forget();
  rate_limits_.forget();
  group_rates_.forget();
  schedule_front_known_ = false;
  memory_ = memory_state::loaded;
}

template <class F>
auto execution_object::guarded(F&& f) {
  try {
    begin_message();
    if constexpr (std::is_void_v<decltype(f())>) {
      f();
      end_message();
    } else {
      auto result = f();
      end_message();
      return result;
    }
  } catch (...) {
    // The message's writes are about to be dropped: memory must not keep what they changed.
    if (dirty_) rebuild();
    throw;
  }
}

void execution_object::post_message(std::function<void()> work,
                                    std::function<void(const error&)> on_failure) {
  poster()([this, work = std::move(work), on_failure = std::move(on_failure)] {
    try {
      guarded(work);
    } catch (const error& e) {
      poster()([on_failure, e] { on_failure(e); });
      throw;
    } catch (...) {
      poster()([on_failure] { on_failure(error{errc::storage_failure, "a chunk of work failed"}); });
      throw;
    }
  });
}

void execution_object::rebuild() {
  // Attempts may have started for tasks whose running state is now lost, and tasks may be
  // running on disk whose attempts memory no longer tracks: rather than untangle which, every
  // attempt is abandoned and storage is read again; the tasks it holds as running are queued
  // again, their cut-short attempts not counted.
  attempts_.abandon_all();
  circuits_.abandon_trials();
  if (timer_) services_->timers.cancel(*timer_);
  timer_.reset();
  tasks_.discard();
  ready_.reset();
  wakes_.reset();
  workflow_wakes_.reset();
  group_turns_.forget();
  rate_limits_.forget();
  group_rates_.forget();
  schedule_front_known_ = false;
  memory_ = memory_state::unloaded;
  if (rebuilding_) return;
  poster()([this] {
    rebuilding_ = true;
    try {
      guarded([&] { activate(); });
    } catch (...) {
      rebuilding_ = false;
      throw;
    }
    rebuilding_ = false;
  });
}

void execution_object::put(std::string_view key, std::string_view value) {
  dirty_ = true;
  storage().put(key, value);
}

void execution_object::del(std::string_view key) {
  dirty_ = true;
  storage().del(key);
}

void execution_object::enqueue(const task_record& task) {
  dirty_ = true;
  if (task.group)
    group_turns_.add(task);
  else
    ready_.add(task_keys::queue(task.priority, task.seq), task.id);
}

void execution_object::dequeue(const task_record& task) {
  if (task.group) {
    dirty_ = true;
    group_turns_.remove(task);
  } else {
    unready(task_keys::queue(task.priority, task.seq));
  }
}

void execution_object::unready(const std::string& key) {
  dirty_ = true;
  ready_.remove(key);
}

void execution_object::wake_at(task_record& task, std::int64_t at) {
  task.wake_at = at;
  dirty_ = true;
  wakes_.add(task_keys::wake(at, task.seq), task.id);
}

void execution_object::unwake(task_record& task) {
  if (!task.wake_at) return;
  dirty_ = true;
  wakes_.remove(task_keys::wake(*task.wake_at, task.seq));
  task.wake_at.reset();
}

void execution_object::recover_running() {
  // A task stored as running that this instance runs no attempt for was cut short (a restart,
  // or an instance rebuilt after a failure): it runs again, and the cut-short attempt does not
  // count. A running `wait` keeps waiting for its durable time instead. The running index is
  // read in chunks, one per message, so that a million waits do not make one huge message.
  list_options running;
  running.prefix = task_keys::status_prefix(task_status::running);
  running.start = recovery_from_;
  running.limit = max_recovered_per_message;
  auto found = storage().list(running);
  bool recovered_any = false;
  for (auto& [key, id] : found) {
    if (attempts_.contains(id)) continue;  // started by this instance since recovery began
    auto task = find_task(id);
    if (!task || task->output_at_wake) continue;
    task->attempts = std::max<std::int64_t>(task->attempts - 1, 0);
    task->attempts_since_reset = std::max<std::int64_t>(task->attempts_since_reset - 1, 0);
    task->retries = std::max<std::int64_t>(task->attempts_since_reset - 1, 0);
    task->attempt_started_at.reset();
    // Progress events of the cut-short attempt were written without the record's count.
    task->events = std::max(task->events, tasks_.last_stored_event(task->id));
    set_status(*task, task_status::pending);
    enqueue(*task);
    save(*task);
    recovered_any = true;
  }
  if (recovered_any) save_counters();
  recovering_ = found.size() == max_recovered_per_message;
  if (recovering_) {
    recovery_from_ = found.back().first;
    recovery_from_->push_back('\0');
  }
}

void execution_object::activate() {
  // The first message of an instance takes back attempts cut short (by a restart), whatever
  // the message is, and starts what is ready; an execution that was never used has no counters
  // and writes nothing.
  if (memory_ == memory_state::recovered && tasks_.counters().next_seq > 1) pump();
  memory_ = memory_state::active;
}

// -- methods -------------------------------------------------------------------------------------

std::string execution_object::handle(std::string_view method, std::string_view payload) {
  return guarded([&] {
    activate();
    // Reads first: an execution that was never used answers as an empty one.
    if (method == "get") return get(payload);
    if (method == "list") return list(payload, false);
    if (method == "dlq") return list(payload, true);
    if (method == "events") return events(payload);
    if (method == "metrics") {
      // The task metrics object with the workflows' counts as its last member.
      auto tasks = tasks_.counters().metrics_json();
      json_writer workflows;
      workflows_.write_metrics(workflows);
      tasks.pop_back();
      return tasks + ",\"workflows\":" + workflows.str() + "}";
    }
    if (method == "workflow_get") return get_workflow(payload);
    if (method == "workflow_step") return get_workflow_step(payload);
    if (method == "workflow_list") return list_workflows(payload);
    if (method == "workflow_events") return workflow_events(payload);
    if (method == "workflow_create") return create_workflow(payload);
    if (method == "workflow_event") return send_workflow_event(payload);
    if (method == "workflow_cancel") return cancel_workflow(payload);
    if (method == "workflow_retry") return retry_workflow(payload);
    if (method == "workflow_delete") return delete_workflow(payload);
    if (method == "config") return settings_json(settings_);
    if (method == "submit") return submit(payload);
    if (method == "batch") return submit_batch(payload);
    if (method == "delete") return remove(payload);
    if (method == "purge") return purge_dead_letters(payload);
    if (method == "cancel") return cancel(payload);
    if (method == "retry") return retry(payload);
    if (method == "configure") return configure(payload);
    if (method == "schedule_get") return get_schedule(payload);
    if (method == "schedule_list") return list_schedules(payload);
    if (method == "schedule_put") return put_schedule(payload);
    if (method == "schedule_delete") return delete_schedule(payload);
    unknown_method(method);
  });
}

// -- the queue -----------------------------------------------------------------------------------

void execution_object::alarm(const alarm_info& info) {
  if (info.name != alarm_name) return;
  guarded([&] { pump(); });
}

void execution_object::pump() {
  const auto now = now_ms();
  // Attempts past their deadline fail (the handler's late report is ignored).
  for (auto& id : attempts_.expired(now)) {
    auto task = find_task(id);  // before abandoning: the attempt knows the latest event
    abandon_attempt(id);
    if (!task || task->status != task_status::running) continue;
    circuit_outcome(*task, false, now);
    fail_attempt(*task,
                 "the attempt timed out after " + std::to_string(task->config.timeout_ms) + " ms",
                 false, now);
  }
  if (recovering_) recover_running();
  wake_due(now);
  wake_workflows(now);
  run_due_schedules(now);
  start_ready(now);
  expire_finished(now);
  expire_workflows(now);
  save_counters();
  update_alarm(now);
}

void execution_object::wake_due(std::int64_t now) {
  const auto end = task_keys::wake(now + 1, 0);
  for (std::size_t n = 0; n < max_wakes_per_pump; ++n) {
    auto* first = wakes_.front();
    if (first == nullptr || first->first >= end) break;
    auto id = first->second;
    dirty_ = true;
    wakes_.remove(std::string{first->first});
    auto task = find_task(id);
    if (!task) continue;
    task->wake_at.reset();
    if (task->status == task_status::running && task->output_at_wake) {
      auto output = std::move(*task->output_at_wake);
      task->output_at_wake.reset();
      complete(*task, std::move(output), now);
      continue;
    }
    if (!is_final(task->status)) enqueue(*task);
    save(*task);
  }
}

void execution_object::expire_finished(std::int64_t now) {
  // Retention: finished tasks past their time go, record, indexes and events together, a
  // bounded number per message; the alarm comes back at once for the rest (update_alarm).
  auto due = tasks_.finished().due(now, settings_.retention, max_expired_per_pump);
  more_expired_ = due.size() == max_expired_per_pump;
  for (const auto& id : due) {
    auto task = find_task(id);
    // A step task goes with its workflow, never on its own (it has no finished entry).
    if (!task || !is_final(task->status) || task->workflow_id) continue;
    dirty_ = true;
    tasks_.remove(*task);
  }
}

void execution_object::start_ready(std::int64_t now) {
  more_ready_ = false;
  unpark_groups();
  for (std::size_t n = 0; static_cast<std::int64_t>(attempts_.size()) < settings_.concurrency; ++n) {
    if (n == max_ready_per_pump) {
      more_ready_ = ready_.front() != nullptr || group_turns_.front().has_value();
      break;  // the rest in a message of its own, at once (update_alarm)
    }
    auto id = take_next_ready();
    if (!id) break;
    auto task = find_task(*id);
    if (!task || is_final(task->status) || task->status == task_status::running) continue;
    if (hold_for_rate_limit(*task, now)) continue;
    start(*task, now);
  }
}

std::optional<std::string> execution_object::take_next_ready() {
  // Tasks without a group are one group of their own: their queue's first task against the
  // first group in the turns, by priority, then by rank (group_queue.hpp).
  auto* ungrouped = ready_.front();
  auto grouped = group_turns_.front();
  while (grouped && settings_.groups.concurrency &&
         attempts_.running_in(grouped->group) >=
             static_cast<std::size_t>(*settings_.groups.concurrency)) {
    dirty_ = true;
    group_turns_.park(grouped->group);  // back when one of its attempts ends (unpark_groups)
    grouped = group_turns_.front();
  }
  if (ungrouped == nullptr && !grouped) return std::nullopt;
  bool take_ungrouped = ungrouped != nullptr;
  if (ungrouped != nullptr && grouped) {
    const std::string_view key = ungrouped->first;
    const auto last = tasks_.counters().ungrouped_last_start;
    const auto rank = last != 0 ? last : task_keys::read_be(key.substr(9, 8));
    take_ungrouped = task_keys::queue_order_before(task_keys::priority_at(key, 1), rank,
                                                   grouped->priority, grouped->rank);
  }
  if (take_ungrouped) {
    auto id = ungrouped->second;
    unready(std::string{ungrouped->first});
    return id;
  }
  dirty_ = true;
  group_turns_.remove(grouped->group, grouped->priority, grouped->seq);
  return grouped->id;
}

void execution_object::unpark_groups() {
  if (group_turns_.parked().empty()) return;
  const auto limit = settings_.groups.concurrency;
  std::vector<std::string> free;
  for (const auto& group : group_turns_.parked())
    if (!limit || attempts_.running_in(group) < static_cast<std::size_t>(*limit))
      free.push_back(group);
  if (!free.empty()) dirty_ = true;
  for (const auto& group : free) group_turns_.unpark(group);
}

bool execution_object::hold_for_rate_limit(task_record& task, std::int64_t now) {
  // The name's limit and the group's are checked side by side: the task waits for the later.
  std::optional<std::int64_t> held;
  if (task.config.rate_limit)
    held = rate_limits_.held_until(task.name, *task.config.rate_limit, now);
  if (const auto& limit = settings_.groups.rate_limit; limit && task.group)
    if (auto group_held = group_rates_.held_until(*task.group, *limit, now))
      held = std::max(held.value_or(0), *group_held);
  if (!held) return false;
  const auto until = *held;
  task.was_rate_limited = true;
  wake_at(task, until);
  if (task.status != task_status::rate_limited) {
    set_status(task, task_status::rate_limited);
    add_event(task, "rate_limited", [&](json_writer& e) { e.key("until").value(until); });
  }
  save(task);
  return true;
}

void execution_object::start(task_record& task, std::int64_t now) {
  ++task.attempts;
  ++task.attempts_since_reset;
  task.retries = task.attempts_since_reset - 1;
  if (!task.started_at) task.started_at = now;
  task.attempt_started_at = now;
  task.next_retry_at.reset();
  task.has_result = true;
  set_status(task, task_status::running);
  add_event(task, "start", [&](json_writer& e) { e.key("attempt").value(task.attempts); });
  save(task);
  if (task.config.rate_limit) rate_limits_.record_start(task.name, *task.config.rate_limit, now);
  const auto rank = group_queue::started_rank_base + ++tasks_.counters().starts;
  if (task.group) {
    if (const auto& limit = settings_.groups.rate_limit)
      group_rates_.record_start(*task.group, *limit, now);
    group_turns_.started(*task.group, rank);
  } else {
    tasks_.counters().ungrouped_last_start = rank;
  }

  // An `http` attempt to a host whose circuit is open fails at once, without a call.
  if (auto host = circuit_of(task); host && !circuits_.admit(*host, task.id, now)) {
    fail_attempt(task, "circuit_open", false, now);
    return;
  }

  // The attempt is made now and run once this message is durable: no handler (no HTTP call)
  // runs ahead of the durable `running` state, and none runs if the message's writes are lost.
  auto token = std::make_shared<std::uint64_t>(0);
  auto attempt = std::make_shared<task_attempt>(
      task.id, task.name, task.input.value_or("null"), task.attempts, task.config.timeout_ms,
      [this, post = poster(), inbox = reports_, id = task.id, token](attempt_report report) {
        if (inbox->push({id, *token, std::move(report)})) post([this] { take_reports(); });
      });
  if (task.workflow_id) {
    attempt->set_workflow({*task.workflow_id, task.workflow_step.value_or("")});
    // Earlier steps' outputs, read on the execution's thread (with what memory holds).
    attempt->set_output_reader([this, post = poster(), workflow_id = *task.workflow_id](
                                   std::string step,
                                   std::function<void(std::optional<std::string>)> done) {
      post([this, workflow_id, step, done] {
        std::optional<std::string> output;
        try {
          if (auto w = workflows_.find(workflow_id))
            if (auto i = w->definition.step_index(step);
                i && w->state.steps[*i].status == step_status::completed)
              output = workflows_.output(w->state, *i);
        } catch (const error&) {
          // A read that fails answers nothing; the handler decides.
        }
        done(std::move(output));
      });
    });
  }
  *token = attempts_.add(task.id, now + task.config.timeout_ms, attempt, task.group);
  after_durable([this, id = task.id, token = *token] { launch(id, token); });
}

void execution_object::launch(const std::string& id, std::uint64_t token) {
  auto attempt = attempts_.launch(id, token);
  if (!attempt) return;  // abandoned before its start was durable (cancelled, timed out)
  const auto* prepare =
      attempt->workflow() ? services_->handlers.find_prepare(attempt->name()) : nullptr;
  if (prepare == nullptr) return run_attempt(attempt);
  // The name's prepare hook first, once per (workflow, name) in this process, on a worker
  // thread; the handler then runs as usual, on the execution's thread.
  auto key = this->id().to_hex() + '\0' + attempt->workflow()->workflow_id + '\0' + attempt->name();
  services_->workers.post([this, services = services_, hook = *prepare, attempt, key,
                           post = poster()] {
    try {
      attempt->set_prepared(services->prepared.get(key, [&] { return hook(*attempt->workflow()); }));
    } catch (const std::exception& e) {
      attempt->fail(std::string{"the prepare hook failed: "} + e.what());
      return;
    } catch (...) {
      attempt->fail("the prepare hook failed");
      return;
    }
    post([this, attempt] { run_attempt(attempt); });
  });
}

void execution_object::run_attempt(const std::shared_ptr<task_attempt>& attempt) {
  if (attempt->abandoned()) return;
  try {
    run_task(attempt);
  } catch (const workflow_abort& e) {
    attempt->abort_workflow(e.what());
  } catch (const permanent_error& e) {
    attempt->fail(e.what(), true);
  } catch (const std::exception& e) {
    attempt->fail(e.what());
  } catch (...) {
    attempt->fail("the task handler threw");
  }
}

void execution_object::abandon_attempt(const std::string& id) {
  dirty_ = true;  // memory changed: a throw later in this message must rebuild it
  attempts_.abandon(id);
  circuits_.abandoned(id);
}

// -- circuits ------------------------------------------------------------------------------------

std::optional<std::string> execution_object::circuit_of(const task_record& task) const {
  if (!settings_.circuit_breaker || task.name != "http") return std::nullopt;
  return http_circuit_host(task.input.value_or("null"));
}

void execution_object::circuit_outcome(const task_record& task, bool answered, std::int64_t now) {
  auto host = circuit_of(task);
  if (!host) return;
  if (answered)
    circuits_.answered(*host);
  else
    circuits_.failed(*host, task.id, now, *settings_.circuit_breaker);
  publish_circuits();
}

void execution_object::publish_circuits() {
  const auto open = circuits_.open_count();
  services_->metrics.circuits_open += open - circuits_published_;
  circuits_published_ = open;
}

void execution_object::take_reports() {
  // One message for all the reports that came since the last: if one of them throws, the
  // others' writes go with it, and the rebuild runs their tasks again (no attempt counted).
  auto reports = reports_->take();
  guarded([&] {
    bool freed = false;
    for (auto& r : reports) freed = on_report(r.task_id, r.token, r.report) || freed;
    if (freed) pump();
  });
}

bool execution_object::on_report(const std::string& id, std::uint64_t token,
                                 const attempt_report& report) {
  // Timed out, cancelled, or of an earlier instance: ignored.
  if (!attempts_.is_live(id, token)) return false;
  dirty_ = true;
  auto task = find_task(id);
  if (!task || task->status != task_status::running) {
    attempts_.remove(id);
    return true;
  }
  const auto now = now_ms();
  switch (report.what) {
    case attempt_report::kind::progress:
      // Progress over its limit is dropped, so that no event outgrows the value limit.
      if (report.payload.size() > max_progress_bytes || !is_valid_json(report.payload))
        return false;
      // The event alone: the record (its input included) is not rewritten for progress; its
      // event count catches up at the attempt's next state change (see find_task).
      add_event(*task, "progress", [&](json_writer& e) { e.key("progress").raw(report.payload); });
      return false;
    case attempt_report::kind::complete:
      attempts_.remove(id);
      circuit_outcome(*task, true, now);
      complete(*task, report.payload, now);
      break;
    case attempt_report::kind::fail:
      attempts_.remove(id);
      circuit_outcome(*task, report.permanent, now);
      fail_attempt(*task, cut_utf8(report.payload, max_error_bytes), report.permanent, now,
                   report.abort_workflow);
      break;
    case attempt_report::kind::complete_at:
      // Waits without a slot, a thread or a timeout; the alarm completes it, also after a restart.
      attempts_.remove(id);
      if (!is_valid_json(report.payload) || report.payload.size() > max_output_bytes) {
        fail_attempt(*task, "the handler's output is not valid JSON of at most 256 KiB", true, now);
        break;
      }
      task->output_at_wake = report.payload;
      wake_at(*task, std::max(report.at_ms, now));
      save(*task);
      break;
  }
  return true;
}

void execution_object::complete(task_record& task, std::string output, std::int64_t now) {
  if (output.size() > max_output_bytes) {
    fail_attempt(task, "output_too_large", true, now);
    return;
  }
  if (!is_valid_json(output)) {
    fail_attempt(task, "the handler's output is not valid JSON", true, now);
    return;
  }
  // No field of a record is null: a null output is left out.
  if (output == "null") output.clear();
  task.duration = now - task.attempt_started_at.value_or(now);
  task.attempt_started_at.reset();
  task.completed_at = now;
  task.error.reset();
  if (!output.empty()) task.output = output;
  set_status(task, task_status::completed);
  tasks_.counters().count_finished(task, +1);
  add_event(task, "complete", [&](json_writer& e) {
    e.key("attempt").value(task.attempts);
    if (!output.empty()) e.key("output").raw(output);
  });
  save(task);
  if (task.workflow_id) step_task_ended(task, false, now);
}

void execution_object::fail_attempt(task_record& task, const std::string& message, bool permanent,
                                    std::int64_t now, bool abort_workflow) {
  task.duration = now - task.attempt_started_at.value_or(now);
  task.attempt_started_at.reset();
  task.error = message;
  if (permanent || task.retries >= task.config.max_retries) {
    task.completed_at = now;
    set_status(task, task_status::failed);
    tasks_.counters().count_finished(task, +1);
    add_event(task, "error", [&](json_writer& e) {
      e.key("attempt").value(task.attempts).key("error").value(message);
    });
    save(task);
    if (task.workflow_id) step_task_ended(task, abort_workflow, now);
    return;
  } else {
    auto at = now + task.config.retry_delay_ms(task.retries + 1, task_random_engine());
    task.next_retry_at = at;
    wake_at(task, at);
    set_status(task, task_status::pending);
    add_event(task, "retry", [&](json_writer& e) {
      e.key("attempt").value(task.attempts).key("error").value(message);
      e.key("nextRetryAt").value(at);
    });
  }
  save(task);
}

void execution_object::update_alarm(std::int64_t now) {
  std::optional<std::int64_t> next;
  auto earliest = [&](std::optional<std::int64_t> at) {
    if (at && (!next || *at < *next)) next = at;
  };
  if (auto* first = wakes_.front()) next = task_keys::wake_time(first->first);
  if (auto* first = workflow_wakes_.front()) earliest(workflow_keys::timed_time(first->first));
  if (auto expiry = workflows_.next_due(settings_.retention)) earliest(std::max(*expiry, now));
  // Retention and schedules due already come at once (their bounded steps run then).
  if (auto expiry = tasks_.finished().next_due(settings_.retention)) earliest(std::max(*expiry, now));
  if (auto run = next_schedule_run()) earliest(std::max(*run, now));
  // Bounded work left over: at once.
  if (more_ready_ || more_expired_ || more_schedules_ || more_workflow_work_ || recovering_)
    next = now;
  earliest(attempts_.earliest_deadline());
  if (!next) return;  // nothing to wait for: the alarm, if any, fires once and clears
  // The timer thread wakes the queue at the exact time while this instance lives.
  if (!timer_ || timer_at_ > *next) {
    if (timer_) services_->timers.cancel(*timer_);
    timer_at_ = *next;
    timer_ = services_->timers.schedule(*next, [this, post = poster()] {
      post([this] {
        timer_.reset();
        guarded([&] { pump(); });
      });
    });
  }
  // The durable alarm is the backstop that survives a restart: it comes a little after the
  // earliest time and moves only when it must come earlier, so that retries and starts a few
  // milliseconds apart do not rewrite it on every state change.
  auto backstop = *next + alarm_backstop_ms;
  auto current = get_alarm(alarm_name);
  if (!current || *current > backstop || *current < now) set_reserved_alarm(alarm_name, backstop);
}

// -- storage helpers -----------------------------------------------------------------------------

std::optional<task_record> execution_object::find_task(std::string_view id) {
  auto task = tasks_.find(id);
  // A running attempt's progress events are newer than the record's count.
  if (task) task->events = std::max(task->events, attempts_.last_event(task->id));
  return task;
}

void execution_object::save(task_record& task) {
  dirty_ = true;
  tasks_.save(task);
}

void execution_object::set_status(task_record& task, task_status to) {
  if (task.status == to) return;
  dirty_ = true;
  tasks_.set_status(task, to);
}

void execution_object::add_event(task_record& task, std::string_view type,
                                 const std::function<void(json_writer&)>& fields) {
  dirty_ = true;
  auto event = tasks_.append_event(task, type, now_ms(), fields);
  attempts_.note_event(task.id, task.events);
  // Subscribers hear of it once it is durable, never before.
  after_durable([services = services_, exec = name(), id = task.id, event = std::move(event)] {
    auto& m = services->metrics;
    if (event.type == "created") ++m.submitted;
    else if (event.type == "complete") ++m.completed;
    else if (event.type == "error") ++m.failed;
    else if (event.type == "retry") ++m.retries;
    else if (event.type == "rate_limited") ++m.rate_limited;
    services->events.publish(exec, id, event);
  });
}

void execution_object::save_counters() {
  dirty_ = true;
  tasks_.save_counters();
}

// -- handlers ------------------------------------------------------------------------------------

void execution_object::run_task(std::shared_ptr<task_attempt> attempt) {
  auto* entry = services_->handlers.find(attempt->name());
  if (entry == nullptr) {
    attempt->fail("no task handler '" + attempt->name() + "'", true);
    return;
  }
  entry->run(std::move(attempt));
}

void execution_object::check_task(std::string_view name, std::string_view input) {
  auto* entry = services_->handlers.find(name);
  if (entry == nullptr)
    throw error{errc::invalid_field, "no task handler named '" + std::string{name} + "'", "name"};
  if (entry->check) entry->check(input);
}

void register_execution(runtime& rt, std::shared_ptr<task_services> services) {
  rt.register_class(std::string{execution_object::class_name},
                    [services](object_context& context) {
                      return std::make_unique<execution_object>(context, services);
                    });
}

}  // namespace dort
