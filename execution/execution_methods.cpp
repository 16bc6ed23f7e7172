// The method layer of the execution object (see execution_object.hpp for the methods and their
// JSON): each reads its payload, checks it whole, and turns it into state changes of the queue
// (execution_object.cpp) or a read of the task store. A method that throws changes nothing:
// the message's writes are dropped and the instance's memory rebuilt (`guarded`).
#include "execution/execution_object.hpp"

#include "actors/json_reader.hpp"
#include "execution/list_cursor.hpp"
#include "execution/task_keys.hpp"
#include "execution/task_uuid.hpp"

namespace dort {

namespace {

constexpr std::int64_t default_list_limit = 100;
constexpr std::int64_t max_list_limit = 1'000;
/// Tasks a list looks at per page at most: with a `name` filter a page may then be short, with
/// a cursor to the rest.
constexpr std::size_t max_list_scan = 10'000;

/// Longest batch of `submit_batch` (API.md).
constexpr std::size_t max_batch_items = 1'000;

/// The HTTP status API.md gives a refused batch item: the codes a submit can refuse with.
int refused_item_status(errc code) {
  switch (code) {
    case errc::too_large:
      return 413;
    case errc::task_exists:
      return 409;
    case errc::backpressure:
      return 429;
    default:
      return 400;  // invalid_json, invalid_field, missing_field
  }
}

}  // namespace

std::string execution_object::submit(std::string_view payload) {
  auto outcome = check_submit(payload);
  if (outcome.created) create(outcome);
  json_writer out;
  out.begin_object()
      .key("created")
      .value(outcome.created)
      .key("task")
      .raw(record_json(outcome.task))  // as stored at submission: pending
      .end_object();
  pump();
  return out.str();
}

std::string execution_object::submit_batch(std::string_view payload) {
  json_object_reader in{payload};
  in.allow_only({"tasks"});
  auto tasks = in.raw("tasks");
  if (!tasks) throw error{errc::missing_field, "'tasks' is required", "tasks"};
  auto items = json_array_items(*tasks, "tasks");
  if (items.empty() || items.size() > max_batch_items)
    throw error{errc::invalid_field, "'tasks' holds 1 .. 1000 submit bodies", "tasks"};
  // Items in order, each like a single submit: a refused one changes nothing (only the checks
  // are caught, never a failure while creating, which fails the whole message), and every
  // created one commits with this message: all or none. An item sees the ones before it.
  json_writer out;
  out.begin_object().key("results").begin_array();
  for (const auto& item : items) {
    out.begin_object();
    std::optional<submit_outcome> outcome;
    try {
      outcome = check_submit(item);
    } catch (const error& e) {
      out.key("status").value(std::int64_t{refused_item_status(e.code())});
      out.key("error").begin_object().key("code").value(code_name(e.code()));
      out.key("message").value(e.what());
      if (!e.field().empty()) out.key("field").value(e.field());
      if (e.code() == errc::backpressure) out.key("retryAfterMs").value(std::int64_t{1'000});
      out.end_object();
    }
    if (outcome) {
      if (outcome->created) create(*outcome);
      out.key("status").value(std::int64_t{outcome->created ? 201 : 200});
      out.key("task").raw(record_json(outcome->task));
    }
    out.end_object();
  }
  out.end_array().end_object();
  pump();
  return out.str();
}

execution_object::submit_outcome execution_object::check_submit(std::string_view payload) {
  auto submission = read_submission(payload, settings_.defaults);
  check_task(submission.name, submission.input.value_or("null"));

  if (submission.idempotency_key) {
    if (auto original = storage().get(task_keys::idempotency(*submission.idempotency_key)))
      if (auto existing = find_task(*original)) return {std::move(*existing), false, 0};
  }
  if (submission.id && submission.id->find('#') != std::string::npos)
    throw error{errc::invalid_field, "a task id must not hold '#': it is reserved for workflow steps",
                "id"};
  task_record task;
  task.id = submission.id ? *submission.id : new_task_uuid();
  task.name = std::move(submission.name);
  task.input = std::move(submission.input);
  task.priority = submission.priority;
  task.idempotency_key = std::move(submission.idempotency_key);
  task.metadata = std::move(submission.metadata);
  task.group = std::move(submission.group);
  task.config = submission.config;
  if (auto existing = find_task(task.id)) {
    if (!same_content(*existing, task))
      throw error{errc::task_exists, "task '" + task.id + "' exists with different content", "id"};
    return {std::move(*existing), false, 0};
  }
  // Admission comes after the repeats: a repeat creates nothing, so a full queue never refuses it.
  if (tasks_.counters().queued() >= services_->options.max_queued_tasks)
    throw error{errc::backpressure, "this execution has " +
                                        std::to_string(tasks_.counters().queued()) +
                                        " tasks queued, its limit"};
  if (const auto& max = settings_.groups.max_queued; task.group && max) {
    const auto queued = tasks_.groups().queued(*task.group);
    if (queued >= *max)
      throw error{errc::backpressure, "group '" + *task.group + "' has " + std::to_string(queued) +
                                          " tasks queued, its maxQueued"};
  }
  return {std::move(task), true, submission.delay_ms};
}

void execution_object::create(submit_outcome& submitted) {
  auto& task = submitted.task;
  const auto now = now_ms();
  if (task.config.rate_limit) {
    dirty_ = true;
    rate_limits_.admit(task.name, *task.config.rate_limit);
  }
  task.seq = tasks_.counters().next_seq++;
  task.created_at = now;
  task.status = task_status::pending;
  dirty_ = true;
  tasks_.add(task);
  if (task.idempotency_key) put(task_keys::idempotency(*task.idempotency_key), task.id);
  if (submitted.delay_ms > 0)
    wake_at(task, now + submitted.delay_ms);
  else
    enqueue(task);
  add_event(task, "created");
  save(task);
}

std::string execution_object::remove(std::string_view payload) {
  auto task = require_task(payload);
  if (!is_final(task.status))
    throw error{errc::invalid_state,
                "only finished tasks can be deleted; task '" + task.id + "' is " +
                    std::string{status_name(task.status)},
                "id"};
  if (task.workflow_id)
    throw error{errc::invalid_state,
                "task '" + task.id + "' is a step of workflow '" + *task.workflow_id +
                    "': it is deleted with its workflow",
                "id"};
  dirty_ = true;
  tasks_.remove(task);
  save_counters();
  return "{}";
}

namespace {

/// Failed tasks one message of a purge deletes at most (each with its events).
constexpr std::size_t purge_chunk_tasks = 256;

}  // namespace

std::string execution_object::purge_dead_letters(std::string_view payload) {
  json_object_reader{payload}.allow_only({});
  auto reply = std::make_shared<deferred_reply>(reply_later());
  purge_chunk(std::move(reply), std::nullopt, 0);
  return "{}";  // the reply is the deferred one
}

void execution_object::purge_chunk(std::shared_ptr<deferred_reply> reply,
                                   std::optional<std::string> after, std::int64_t deleted) {
  list_options page;
  page.prefix = task_keys::status_prefix(task_status::failed);
  if (after) page.start = *after + '\0';  // past the last entry of the chunk before
  page.limit = purge_chunk_tasks;
  auto entries = storage().list(page);
  for (const auto& [key, id] : entries) {
    if (auto task = find_task(id); task && task->status == task_status::failed) {
      dirty_ = true;
      tasks_.remove(*task);
      ++deleted;
    }
  }
  save_counters();
  if (entries.size() < purge_chunk_tasks) {
    reply->deliver(json_writer{}.begin_object().key("deleted").value(deleted).end_object().str());
    return;
  }
  // More to go: the next chunk is a message of its own (its writes commit separately).
  post_message([this, reply, last = entries.back().first,
                deleted] { purge_chunk(reply, last, deleted); },
               [reply](const error& e) { reply->fail(e); });
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
  cancel_task(task, now);
  auto reply = record_json(task);
  if (task.workflow_id) step_task_ended(task, false, now);
  pump();
  return reply;
}

void execution_object::cancel_task(task_record& task, std::int64_t now) {
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
}

std::string execution_object::retry(std::string_view payload) {
  auto task = require_task(payload);
  if (task.status != task_status::failed && task.status != task_status::cancelled)
    throw error{errc::invalid_state,
                "only failed or cancelled tasks can be retried; task '" + task.id + "' is " +
                    std::string{status_name(task.status)},
                "id"};
  if (task.workflow_id)
    throw error{errc::invalid_state,
                "task '" + task.id + "' is a step of workflow '" + *task.workflow_id +
                    "': retry the workflow",
                "id"};
  requeue(task);
  auto reply = record_json(task);
  pump();
  return reply;
}

void execution_object::requeue(task_record& task) {
  tasks_.counters().count_finished(task, -1);
  set_status(task, task_status::pending);  // while `completed_at` still names its finished entry
  task.retries = 0;
  task.attempts_since_reset = 0;
  task.error.reset();
  task.output.reset();
  task.completed_at.reset();
  task.next_retry_at.reset();
  enqueue(task);
  save(task);
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
  auto changed = settings_;
  merge_settings(changed, payload);
  // A PUT that changes nothing stores nothing (API.md): the execution stays as empty as it was.
  if (changed == settings_) return settings_json(settings_);
  dirty_ = true;
  settings_ = changed;
  if (!settings_.circuit_breaker) {
    circuits_.clear();  // turned off: every circuit closes
    publish_circuits();
  }
  auto stored = settings_json(settings_);
  put(task_keys::defaults, stored);
  pump();  // a higher concurrency or looser limits may start tasks now
  return stored;
}

std::string execution_object::events(std::string_view payload) {
  json_object_reader in{payload};
  in.allow_only({"id", "after", "limit"});
  auto task = require_task(payload);
  auto after = in.int64("after").value_or(0);
  if (after < 0) throw error{errc::invalid_field, "'after' must be ≥ 0", "after"};
  const auto limit =
      in.in_range("limit", in.int64("limit").value_or(max_events_per_page), 1, max_events_per_page);
  list_options range;
  range.prefix = task_keys::events_prefix(task.id);
  range.start = task_keys::event(
      task.id, static_cast<std::uint32_t>(std::min<std::int64_t>(after, UINT32_MAX - 1) + 1));
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

task_record execution_object::require_task(std::string_view payload) {
  json_object_reader in{payload};
  auto id = in.required_string("id");
  check_task_text("id", id);
  auto task = find_task(id);
  if (!task) throw error{errc::task_not_found, "no task '" + id + "' in this execution", "id"};
  return *task;
}

std::string execution_object::record_json(const task_record& task) const {
  json_writer out;
  write_task(out, task);
  return out.str();
}

}  // namespace dort
