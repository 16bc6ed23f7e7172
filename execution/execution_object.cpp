#include "execution/execution_object.hpp"

#include <algorithm>
#include <type_traits>

#include "actors/json_reader.hpp"
#include "execution/list_cursor.hpp"
#include "execution/task_keys.hpp"
#include "execution/task_uuid.hpp"
#include "runtime/runtime.hpp"

namespace dort {

namespace {

constexpr std::int64_t default_list_limit = 100;
constexpr std::int64_t max_list_limit = 1'000;
/// Tasks a list looks at per page at most: with a `name` filter a page may then be short, with
/// a cursor to the rest.
constexpr std::size_t max_list_scan = 10'000;
/// Due waits handled per message, so that a million tasks due at once do not make one huge
/// transaction; the alarm comes back at once for the rest.
constexpr std::size_t max_wakes_per_pump = 1'024;
/// Running tasks looked at per message when an instance takes back attempts cut short.
constexpr std::size_t max_recovered_per_message = 1'024;
/// Ready tasks looked at per message (those held by their rate limit move to the timed index).
constexpr std::size_t max_ready_per_pump = 1'024;
/// How long after the earliest time the durable alarm comes (see update_alarm).
constexpr std::int64_t alarm_backstop_ms = 1'000;

/// Whether `json` is one valid JSON value (numbers of any size included).
bool valid_json(std::string_view json) { return is_valid_json(json); }

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
  attempts_.abandon_all();  // their reports would reach no one: the next instance runs them again
}

void execution_object::begin_message() {
  dirty_ = false;
  status_moves_.clear();
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
  std::int64_t running = 0, queued = 0;
  auto count = [&](task_status s, int sign) {
    if (s == task_status::running) running += sign;
    if (s == task_status::pending || s == task_status::rate_limited) queued += sign;
  };
  for (auto& [id, move] : status_moves_) {
    if (move.from == move.to) continue;
    if (move.from) {
      del(task_keys::by_status(*move.from, move.seq));
      count(*move.from, -1);
    }
    put(task_keys::by_status(move.to, move.seq), id);
    count(move.to, +1);
  }
  if (running != 0 || queued != 0)
    after_durable([services = services_, running, queued] {
      services->metrics.running += running;
      services->metrics.queued += queued;
    });
  ready_.flush();
  wakes_.flush();
  status_moves_.clear();
}

void execution_object::load() {
  // Memory mirrors what the object's storage holds: counters, defaults, the ready queue and the
  // timed index. It is read again after a message that changed something failed (its writes were
  // dropped: see `guarded`); a failed commit rebuilds the whole object.
  defaults_ = task_config{};
  concurrency_ = default_concurrency;
  if (auto stored = storage().get(task_keys::defaults)) {
    json_object_reader in{*stored};
    merge_config(defaults_, *in.raw("config"));
    concurrency_ = in.required_int64("concurrency");
  }
  counters_ = task_counters{};
  if (auto stored = storage().get(task_keys::counters)) counters_ = task_counters::decode(*stored);
  services_->metrics.count_execution_once(id().to_hex(), counters_.of(task_status::running),
                                          counters_.queued());
  // The queue and the timed index are read in windows as they are used (index_window.hpp).
  ready_.reset();
  wakes_.reset();
  rate_limits_.forget();
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

void execution_object::rebuild() {
  // Attempts may have started for tasks whose running state is now lost, and tasks may be
  // running on disk whose attempts memory no longer tracks: rather than untangle which, every
  // attempt is abandoned and storage is read again; the tasks it holds as running are queued
  // again, their cut-short attempts not counted.
  attempts_.abandon_all();
  if (timer_) services_->timers.cancel(*timer_);
  timer_.reset();
  status_moves_.clear();
  ready_.reset();
  wakes_.reset();
  rate_limits_.forget();
  memory_ = memory_state::unloaded;
  if (rebuilding_) return;
  poster()([this] {
    rebuilding_ = true;
    try {
      guarded([&] {
        if (memory_ == memory_state::recovered && counters_.next_seq > 1) pump();
        memory_ = memory_state::active;
      });
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
  ready_.add(task_keys::queue(task.priority, task.seq), task.id);
}

void execution_object::dequeue(const task_record& task) {
  unready(task_keys::queue(task.priority, task.seq));
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
    task->events = std::max(task->events, last_stored_event(task->id));
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

std::uint32_t execution_object::last_stored_event(const std::string& id) {
  list_options last;
  last.prefix = task_keys::events_prefix(id);
  last.reverse = true;
  last.limit = 1;
  auto found = storage().list(last);
  if (found.empty()) return 0;
  return static_cast<std::uint32_t>(task_keys::read_be(std::string_view{found[0].first}.substr(found[0].first.size() - 4)));
}

// -- methods -------------------------------------------------------------------------------------

std::string execution_object::handle(std::string_view method, std::string_view payload) {
  return guarded([&] {
    // The first message of an instance takes back attempts cut short (by a restart), whatever
    // the message is, and starts what is ready; an execution that was never used has no counters
    // and writes nothing.
    if (memory_ == memory_state::recovered && counters_.next_seq > 1) pump();
    memory_ = memory_state::active;
    // Reads first: an execution that was never used answers as an empty one.
    if (method == "get") return get(payload);
    if (method == "list") return list(payload, false);
    if (method == "dlq") return list(payload, true);
    if (method == "events") return events(payload);
    if (method == "metrics") return counters_.metrics_json();
    if (method == "config") return config_json();
    if (method == "submit") return submit(payload);
    if (method == "cancel") return cancel(payload);
    if (method == "retry") return retry(payload);
    if (method == "configure") return configure(payload);
    unknown_method(method);
  });
}

std::string execution_object::submit(std::string_view payload) {
  auto submission = read_submission(payload, defaults_);
  check_task(submission.name, submission.input.value_or("null"));

  auto answer = [this](const task_record& t, bool created) {
    json_writer out;
    out.begin_object().key("created").value(created).key("task").raw(record_json(t)).end_object();
    return out.str();
  };
  if (submission.idempotency_key) {
    if (auto original = storage().get(task_keys::idempotency(*submission.idempotency_key)))
      if (auto existing = find_task(*original)) return answer(*existing, false);
  }
  task_record task;
  task.id = submission.id ? *submission.id : new_task_uuid();
  task.name = std::move(submission.name);
  task.input = std::move(submission.input);
  task.priority = submission.priority;
  task.idempotency_key = std::move(submission.idempotency_key);
  task.metadata = std::move(submission.metadata);
  task.config = submission.config;
  if (auto existing = find_task(task.id)) {
    if (!same_content(*existing, task))
      throw error{errc::task_exists, "task '" + task.id + "' exists with different content", "id"};
    return answer(*existing, false);
  }
  // Admission comes after the repeats: a repeat creates nothing, so a full queue never refuses it.
  if (counters_.queued() >= services_->options.max_queued_tasks)
    throw error{errc::backpressure, "this execution has " + std::to_string(counters_.queued()) +
                                        " tasks queued, its limit"};

  const auto now = now_ms();
  if (task.config.rate_limit) {
    dirty_ = true;
    rate_limits_.admit(task.name, *task.config.rate_limit);
  }
  task.seq = counters_.next_seq++;
  task.created_at = now;
  task.status = task_status::pending;
  ++counters_.of(task_status::pending);
  put(task_keys::all(task.seq), task.id);
  status_moves_.insert_or_assign(task.id, status_move{std::nullopt, task.status, task.seq});
  if (task.idempotency_key) put(task_keys::idempotency(*task.idempotency_key), task.id);
  if (submission.delay_ms > 0)
    wake_at(task, now + submission.delay_ms);
  else
    enqueue(task);
  add_event(task, "created");
  save(task);
  auto reply = answer(task, true);  // the record as stored at submission: pending
  pump();
  return reply;
}

std::string execution_object::get(std::string_view payload) {
  return record_json(require_task(payload));
}

std::string execution_object::cancel(std::string_view payload) {
  auto task = require_task(payload);
  if (is_final(task.status))
    throw error{errc::invalid_state,
                "task '" + task.id + "' is " + std::string{status_name(task.status)}, "id"};
  const auto now = now_ms();
  abandon_attempt(task.id);
  if (task.wake_at)
    unwake(task);
  else if (task.status != task_status::running)
    dequeue(task);
  task.output_at_wake.reset();
  task.next_retry_at.reset();
  task.attempt_started_at.reset();
  task.has_result = true;
  task.completed_at = now;
  set_status(task, task_status::cancelled);
  add_event(task, "cancelled");
  save(task);
  auto reply = record_json(task);
  pump();
  return reply;
}

std::string execution_object::retry(std::string_view payload) {
  auto task = require_task(payload);
  if (task.status != task_status::failed && task.status != task_status::cancelled)
    throw error{errc::invalid_state,
                "only failed or cancelled tasks can be retried; task '" + task.id + "' is " +
                    std::string{status_name(task.status)},
                "id"};
  counters_.count_finished(task, -1);
  task.retries = 0;
  task.attempts_since_reset = 0;
  task.error.reset();
  task.output.reset();
  task.completed_at.reset();
  task.next_retry_at.reset();
  set_status(task, task_status::pending);
  enqueue(task);
  save(task);
  auto reply = record_json(task);
  pump();
  return reply;
}

std::string execution_object::list(std::string_view payload, bool dead_letters) {
  json_object_reader in{payload};
  if (dead_letters)
    in.allow_only({"limit", "cursor"});
  else
    in.allow_only({"status", "name", "limit", "cursor"});
  auto limit =
      in.in_range("limit", in.int64("limit").value_or(default_list_limit), 1, max_list_limit);
  std::optional<task_status> status;
  if (dead_letters) status = task_status::failed;
  if (auto s = in.string("status")) {
    status = parse_status(*s);
    if (!status) throw error{errc::invalid_field, "unknown status '" + *s + "'", "status"};
  }
  auto name = in.string("name");
  std::optional<std::uint64_t> before;
  if (auto c = in.string("cursor")) before = read_list_cursor(*c);

  // Newest first, from just before the cursor's submission number: tasks submitted later have
  // higher numbers, so they never shift a page that follows.
  list_options page;
  page.prefix = task_keys::listing_prefix(status);
  page.reverse = true;
  if (before) {
    page.end = page.prefix;
    task_keys::append_be(*page.end, *before, 8);
  }
  json_writer out;
  out.begin_object().key("tasks").begin_array();
  std::int64_t found = 0;
  std::optional<std::uint64_t> last_seq;
  bool more = false;
  std::size_t examined = 0;
  constexpr std::size_t batch = 256;
  for (;;) {
    page.limit = batch;
    auto entries = storage().list(page);
    for (auto& [k, id] : entries) {
      auto task = find_task(id);
      if (!task) continue;
      if (found == limit) {
        more = true;
        break;
      }
      if (examined == max_list_scan) {
        // A rare name among many tasks: this page ends here, short, and its cursor goes on
        // from the last task looked at, so that no message reads the whole index.
        more = true;
        break;
      }
      ++examined;
      page.end = k;
      last_seq = task->seq;
      if (name && task->name != *name) continue;
      out.raw(record_json(*task));
      ++found;
    }
    if (more || entries.size() < batch) break;
  }
  out.end_array().key("nextCursor");
  if (more && last_seq)
    out.value(make_list_cursor(*last_seq));
  else
    out.null();
  out.end_object();
  return out.str();
}

std::string execution_object::configure(std::string_view payload) {
  json_object_reader in{payload};
  in.allow_only({"config", "concurrency"});
  auto defaults = defaults_;
  if (auto config = in.raw("config")) merge_config(defaults, *config);
  auto concurrency =
      in.in_range("concurrency", in.int64("concurrency").value_or(concurrency_), 1, max_concurrency);
  defaults_ = defaults;
  concurrency_ = concurrency;
  json_writer stored;
  stored.begin_object().key("config");
  write_config(stored, defaults_);
  stored.key("concurrency").value(concurrency_).end_object();
  put(task_keys::defaults, stored.str());
  save_counters();
  pump();  // a higher concurrency may start tasks now
  return config_json();
}

std::string execution_object::config_json() const {
  json_writer out;
  out.begin_object().key("config");
  write_config(out, defaults_);
  out.key("concurrency").value(concurrency_).end_object();
  return out.str();
}

std::string execution_object::events(std::string_view payload) {
  json_object_reader in{payload};
  in.allow_only({"id", "after", "limit"});
  auto task = require_task(payload);
  auto after = in.int64("after").value_or(0);
  if (after < 0) throw error{errc::invalid_field, "'after' must be ≥ 0", "after"};
  const auto limit = in.in_range("limit", in.int64("limit").value_or(max_events_per_page), 1,
                                 max_events_per_page);
  list_options range;
  range.prefix = task_keys::events_prefix(task.id);
  range.start = task_keys::event(task.id, static_cast<std::uint32_t>(
                                              std::min<std::int64_t>(after, UINT32_MAX - 1) + 1));
  range.limit = static_cast<std::size_t>(limit) + 1;  // one more tells whether a page follows
  auto found = storage().list(range);
  const bool more = found.size() > static_cast<std::size_t>(limit);
  if (more) found.pop_back();
  json_writer out;
  out.begin_object().key("events").begin_array();
  for (auto& [k, json] : found) out.raw(json);
  // `final`: the task is final and this page holds its last event.
  out.end_array().key("final").value(is_final(task.status) && !more).key("more").value(more);
  out.key("lastSeq").value(static_cast<std::int64_t>(task.events)).end_object();
  return out.str();
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
    fail_attempt(*task,
                 "the attempt timed out after " + std::to_string(task->config.timeout_ms) + " ms",
                 false, now);
  }
  if (recovering_) recover_running();
  wake_due(now);
  start_ready(now);
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

void execution_object::start_ready(std::int64_t now) {
  more_ready_ = false;
  for (std::size_t n = 0; static_cast<std::int64_t>(attempts_.size()) < concurrency_; ++n) {
    auto* first = ready_.front();
    if (first == nullptr) break;
    if (n == max_ready_per_pump) {
      more_ready_ = true;  // the rest in a message of its own, at once (update_alarm)
      break;
    }
    auto id = first->second;
    unready(std::string{first->first});
    auto task = find_task(id);
    if (!task || is_final(task->status) || task->status == task_status::running) continue;
    if (hold_for_rate_limit(*task, now)) continue;
    start(*task, now);
  }
}

bool execution_object::hold_for_rate_limit(task_record& task, std::int64_t now) {
  if (!task.config.rate_limit) return false;
  auto held = rate_limits_.held_until(task.name, *task.config.rate_limit, now);
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

  // The attempt is made now and run once this message is durable: no handler (no HTTP call)
  // runs ahead of the durable `running` state, and none runs if the message's writes are lost.
  auto post = poster();
  auto token = std::make_shared<std::uint64_t>(0);
  auto attempt = std::make_shared<task_attempt>(
      task.id, task.name, task.input.value_or("null"), task.attempts, task.config.timeout_ms,
      [this, post, id = task.id, token](attempt_report report) {
        post([this, id, token = *token, report = std::move(report)] {
          guarded([&] { on_report(id, token, report); });
        });
      });
  *token = attempts_.add(task.id, now + task.config.timeout_ms, attempt);
  after_durable([this, id = task.id, token = *token] { launch(id, token); });
}

void execution_object::launch(const std::string& id, std::uint64_t token) {
  auto attempt = attempts_.launch(id, token);
  if (!attempt) return;  // abandoned before its start was durable (cancelled, timed out)
  try {
    run_task(attempt);
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
}

void execution_object::on_report(const std::string& id, std::uint64_t token,
                                 const attempt_report& report) {
  if (!attempts_.is_live(id, token)) return;  // timed out, cancelled, or of an earlier instance
  dirty_ = true;
  auto task = find_task(id);
  if (!task || task->status != task_status::running) {
    attempts_.remove(id);
    return;
  }
  const auto now = now_ms();
  switch (report.what) {
    case attempt_report::kind::progress:
      // Progress over its limit is dropped, so that no event outgrows the value limit.
      if (report.payload.size() > max_progress_bytes || !valid_json(report.payload)) return;
      // The event alone: the record (its input included) is not rewritten for progress; its
      // event count catches up at the attempt's next state change (see find_task).
      add_event(*task, "progress", [&](json_writer& e) { e.key("progress").raw(report.payload); });
      return;
    case attempt_report::kind::complete:
      attempts_.remove(id);
      complete(*task, report.payload, now);
      break;
    case attempt_report::kind::fail:
      attempts_.remove(id);
      fail_attempt(*task, cut_utf8(report.payload, max_error_bytes), report.permanent, now);
      break;
    case attempt_report::kind::complete_at:
      // Waits without a slot, a thread or a timeout; the alarm completes it, also after a restart.
      attempts_.remove(id);
      if (!valid_json(report.payload) || report.payload.size() > max_output_bytes) {
        fail_attempt(*task, "the handler's output is not valid JSON of at most 256 KiB", true, now);
        break;
      }
      task->output_at_wake = report.payload;
      wake_at(*task, std::max(report.at_ms, now));
      save(*task);
      break;
  }
  pump();
}

void execution_object::complete(task_record& task, std::string output, std::int64_t now) {
  if (output.size() > max_output_bytes) {
    fail_attempt(task, "output_too_large", true, now);
    return;
  }
  if (!valid_json(output)) {
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
  counters_.count_finished(task, +1);
  add_event(task, "complete", [&](json_writer& e) {
    e.key("attempt").value(task.attempts);
    if (!output.empty()) e.key("output").raw(output);
  });
  save(task);
}

void execution_object::fail_attempt(task_record& task, const std::string& message, bool permanent,
                                    std::int64_t now) {
  task.duration = now - task.attempt_started_at.value_or(now);
  task.attempt_started_at.reset();
  task.error = message;
  if (permanent || task.retries >= task.config.max_retries) {
    task.completed_at = now;
    set_status(task, task_status::failed);
    counters_.count_finished(task, +1);
    add_event(task, "error", [&](json_writer& e) {
      e.key("attempt").value(task.attempts).key("error").value(message);
    });
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
  if (auto* first = wakes_.front()) next = task_keys::wake_time(first->first);
  if (more_ready_ || recovering_) next = now;  // bounded work left over: at once
  if (auto deadline = attempts_.earliest_deadline(); deadline && (!next || *deadline < *next))
    next = deadline;
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
  auto stored = storage().get(task_keys::task(std::string{id}));
  if (!stored) return std::nullopt;
  auto task = decode_task(*stored);
  // A running attempt's progress events are newer than the record's count.
  task.events = std::max(task.events, attempts_.last_event(task.id));
  return task;
}

task_record execution_object::require_task(std::string_view payload) {
  json_object_reader in{payload};
  auto id = in.required_string("id");
  check_task_text("id", id);
  auto task = find_task(id);
  if (!task) throw error{errc::task_not_found, "no task '" + id + "' in this execution", "id"};
  return *task;
}

void execution_object::save(task_record& task) {
  put(task_keys::task(task.id), encode_task(task));
}

void execution_object::set_status(task_record& task, task_status to) {
  if (task.status == to) return;
  dirty_ = true;
  auto [move, first] = status_moves_.try_emplace(task.id, status_move{task.status, to, task.seq});
  if (!first) move->second.to = to;
  counters_.move(task.status, to);
  task.status = to;
}

void execution_object::add_event(task_record& task, std::string_view type,
                                 const std::function<void(json_writer&)>& fields) {
  task_event event{++task.events, std::string{type}, {}};
  attempts_.note_event(task.id, task.events);
  json_writer data;
  data.begin_object().key("taskId").value(task.id).key("seq").value(
      static_cast<std::int64_t>(event.seq));
  data.key("type").value(type).key("at").value(now_ms());
  if (fields) fields(data);
  data.end_object();
  event.json = data.str();
  put(task_keys::event(task.id, event.seq), event.json);
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
  put(task_keys::counters, counters_.encode());
}

std::string execution_object::record_json(const task_record& task) const {
  json_writer out;
  write_task(out, task);
  return out.str();
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
