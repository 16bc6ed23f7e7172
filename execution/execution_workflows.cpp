// Workflows of the execution object (API.md "Workflows"): their methods and their state
// changes. A workflow is keys of this execution (workflow_store.hpp) and its steps run as this
// execution's tasks, so a step task's final state, the step's end and the next step's start are
// all writes of one message: one transaction. Nothing here recovers anything after a restart:
// what is stored is where the workflow stands, and the queue's own recovery re-runs the step
// tasks that were cut short. Sleeps, event timeouts, workflow timeouts and the chunks of a
// parent's children are entries of the workflows' timed index, folded into the reserved alarm.
#include <algorithm>

#include "actors/json_reader.hpp"
#include "execution/execution_object.hpp"
#include "execution/json_text.hpp"
#include "execution/list_cursor.hpp"
#include "execution/task_keys.hpp"
#include "execution/task_uuid.hpp"

namespace dort {

namespace {

/// Children of a parent step created per message; the rest follow in messages of their own.
constexpr std::int64_t children_per_message = 256;
/// Due entries of the workflows' timed index handled per message.
constexpr std::size_t max_workflow_wakes_per_pump = 256;
/// Finished workflows deleted by retention per message (each with its step tasks).
constexpr std::size_t max_expired_workflows_per_pump = 16;
/// Step tasks looked up (and deleted) per message when a workflow is deleted: a parent step
/// may have 1,000 children, and a workflow 1,000 steps.
constexpr std::size_t workflow_tasks_removed_per_message = 1'024;
/// Events waiting for a step, per workflow (API.md).
constexpr std::int64_t max_queued_events = 1'000;
/// Longest `waitMs` of a get (API.md).
constexpr std::int64_t max_wait_ms = 60'000;
constexpr std::int64_t default_list_limit = 100;
constexpr std::int64_t max_list_limit = 1'000;

/// What an entry of the workflows' timed index stands for (workflow_store.hpp).
constexpr char timed_step_wake = 'S';
constexpr char timed_timeout = 'T';
constexpr char timed_children = 'C';

/// The id of step `name`'s own task, of its child `i`, of its finalize task.
std::string step_task_id(const std::string& workflow_id, const std::string& name) {
  return workflow_id + "#" + name;
}
std::string child_task_id(const std::string& workflow_id, const std::string& name, std::int64_t i) {
  return workflow_id + "#" + name + "[" + std::to_string(i) + "]";
}
std::string finalize_task_id(const std::string& workflow_id, const std::string& name) {
  return workflow_id + "#" + name + "[finalize]";
}

/// The hub key of a workflow's events: task ids never start with '#'.
std::string event_key(const std::string& workflow_id) { return "#" + workflow_id; }

bool is_waiting_kind(step_kind k) { return k == step_kind::sleep || k == step_kind::event; }

}  // namespace

// -- methods -------------------------------------------------------------------------------------

std::string execution_object::create_workflow(std::string_view payload) {
  auto definition = read_workflow_definition(
      payload, [this](std::string_view name, std::string_view input, const std::string& field) {
        // An empty input asks for the name alone (a finalize task, an input with references):
        // then only an unknown name is an error. The execution's check names `name` or
        // `input.x`; here they are the step's fields.
        try {
          check_task(name, input.empty() ? std::string_view{"null"} : input);
        } catch (const error& e) {
          if (e.field() == "name") throw error{e.code(), e.what(), field};
          if (input.empty()) return;
          throw error{e.code(), e.what(), field + "." + e.field()};
        }
      });
  const auto text = encode_workflow_definition(definition);
  workflow w;
  w.state.id = definition.id ? *definition.id : new_task_uuid();
  if (auto stored = workflows_.stored_definition(w.state.id)) {
    if (*stored != text)
      throw error{errc::workflow_exists,
                  "workflow '" + w.state.id + "' exists with different content", "id"};
    auto existing = require_workflow(w.state.id);
    return json_writer{}.begin_object().key("created").value(false).key("workflow").raw(
        workflow_json(existing)).end_object().str();
  }
  // Admission: a create counts as one queued task; its steps' tasks are never refused.
  if (tasks_.counters().queued() >= services_->options.max_queued_tasks)
    throw error{errc::backpressure, "this execution has " +
                                        std::to_string(tasks_.counters().queued()) +
                                        " tasks queued, its limit"};
  const auto now = now_ms();
  dirty_ = true;
  w.definition = std::move(definition);
  w.state.created_at = now;
  w.state.steps.resize(w.definition.steps.size());
  workflows_.add(w, text);
  add_workflow_event(w, "created");
  after_durable([services = services_] {
    ++services->metrics.workflows_created;
    ++services->metrics.workflows_active;
  });
  if (w.definition.timeout_ms) {
    w.state.timeout_at = now + *w.definition.timeout_ms;
    time_workflow(w, timed_timeout, 0, *w.state.timeout_at);
  }
  advance(w, now);
  save_workflow(w);
  workflows_.save_counters();
  auto reply = json_writer{}.begin_object().key("created").value(true).key("workflow").raw(
      workflow_json(w)).end_object().str();
  pump();
  return reply;
}

std::string execution_object::get_workflow(std::string_view payload) {
  json_object_reader in{payload};
  in.allow_only({"id", "waitMs"});
  auto w = require_workflow(in.required_string("id"));
  const auto wait = in.in_range("waitMs", in.int64("waitMs").value_or(0), 0, max_wait_ms);
  if (wait == 0 || is_final(w.state.status)) return workflow_json(w);
  // Answered when the workflow ends (release_workflow_waiters) or when the wait is over.
  auto reply = std::make_shared<deferred_reply>(reply_later());
  workflow_waiters_.emplace(w.state.id, reply);
  services_->timers.schedule(now_ms() + wait, [this, post = poster(), id = w.state.id, reply] {
    post([this, id, reply] {
      if (!reply->open()) return;
      for (auto [it, end] = workflow_waiters_.equal_range(id); it != end; ++it)
        if (it->second == reply) {
          workflow_waiters_.erase(it);
          break;
        }
      try {
        reply->deliver(workflow_json(require_workflow(id)));  // a read: nothing to guard
      } catch (const error& e) {
        reply->fail(e);
      }
    });
  });
  return "{}";  // the reply is the deferred one
}

std::string execution_object::get_workflow_step(std::string_view payload) {
  json_object_reader in{payload};
  in.allow_only({"id", "name"});
  auto w = require_workflow(in.required_string("id"));
  auto name = in.required_string("name");
  auto i = w.definition.step_index(name);
  if (!i)
    throw error{errc::step_not_found,
                "workflow '" + w.state.id + "' has no step '" + name + "'", "name"};
  json_writer out;
  write_step_entry(out, w.definition, w.state, *i);
  if (w.state.steps[*i].status == step_status::completed)
    out.key("output").raw(workflows_.output(w.state, *i).value_or("null"));
  if (w.definition.steps[*i].kind == step_kind::parent) {
    out.key("childTasks").begin_array();
    const auto& c = w.state.steps[*i].children;
    for (std::int64_t n = 0; c && n < c->created; ++n) {
      auto id = child_task_id(w.state.id, name, n);
      auto task = find_task(id);
      out.begin_object().key("taskId").value(id);
      out.key("status").value(task ? status_name(task->status) : std::string_view{"pending"});
      out.end_object();
    }
    out.end_array();
  }
  out.end_object();
  return out.str();
}

std::string execution_object::list_workflows(std::string_view payload) {
  json_object_reader in{payload};
  in.allow_only({"status", "limit", "cursor"});
  auto limit =
      in.in_range("limit", in.int64("limit").value_or(default_list_limit), 1, max_list_limit);
  std::optional<workflow_status> status;
  if (auto s = in.string("status")) {
    status = parse_workflow_status(*s);
    if (!status) throw error{errc::invalid_field, "unknown workflow status '" + *s + "'", "status"};
  }
  std::optional<std::uint64_t> before;
  if (auto c = in.string("cursor")) before = read_list_cursor(*c);
  // Newest first, from just before the cursor's creation number, as the task list pages.
  list_options page;
  page.prefix = workflow_keys::listing_prefix(status);
  page.reverse = true;
  page.limit = static_cast<std::size_t>(limit) + 1;
  if (before) {
    page.end = page.prefix;
    task_keys::append_be(*page.end, *before, 8);
  }
  auto entries = storage().list(page);
  const bool more = entries.size() > static_cast<std::size_t>(limit);
  if (more) entries.pop_back();
  json_writer out;
  out.begin_object().key("workflows").begin_array();
  std::optional<std::uint64_t> last_seq;
  for (auto& [key, id] : entries) {
    auto w = workflows_.find(id);
    if (!w) continue;
    write_workflow(out, w->definition, w->state, false);
    last_seq = w->state.seq;
  }
  out.end_array().key("nextCursor");
  if (more && last_seq)
    out.value(make_list_cursor(*last_seq));
  else
    out.null();
  out.end_object();
  return out.str();
}

std::string execution_object::send_workflow_event(std::string_view payload) {
  // {"id", "body": the request's body as text}: the workflow is looked up before the body is
  // read, so that a missing workflow answers 404 whatever the body holds (API.md's order).
  json_object_reader request{payload};
  request.allow_only({"id", "body"});
  auto w = require_workflow(request.required_string("id"));
  json_object_reader in{request.string("body").value_or("{}")};
  in.allow_only({"type", "payload"});
  auto type = in.required_string("type");
  if (type.empty() || type.size() > max_event_type_bytes)
    throw error{errc::invalid_field, "'type' must be 1 .. 128 bytes", "type"};
  auto body = in.raw("payload").value_or("null");
  if (body.size() > max_input_bytes)
    throw error{errc::too_large, "'payload' is over 256 KiB", "payload"};
  if (is_final(w.state.status))
    throw error{errc::invalid_state,
                "workflow '" + w.state.id + "' is " +
                    std::string{workflow_status_name(w.state.status)},
                "id"};
  const auto now = now_ms();
  const auto i = w.state.current;
  const bool takes = i < w.definition.steps.size() &&
                     w.definition.steps[i].kind == step_kind::event &&
                     w.state.steps[i].status == step_status::waiting &&
                     w.definition.steps[i].event == type;
  if (!takes && w.state.queued_events >= max_queued_events)
    throw error{errc::backpressure, "workflow '" + w.state.id + "' has " +
                                        std::to_string(max_queued_events) +
                                        " events waiting, its limit"};
  dirty_ = true;
  if (takes) {
    add_workflow_event(w, "event_received", [&](json_writer& e) {
      e.key("step").value(w.definition.steps[i].name).key("eventType").value(type);
    });
    untime_workflow(w, timed_step_wake, i, w.state.steps[i].wake_at.value_or(0));
    w.state.steps[i].wake_at.reset();
    complete_step(w, i, body, now);
    advance(w, now);
  } else {
    workflows_.queue_event(w.state, type, body);
    add_workflow_event(w, "event_received", [&](json_writer& e) { e.key("eventType").value(type); });
  }
  save_workflow(w);
  workflows_.save_counters();
  pump();
  return json_writer{}.begin_object().key("delivered").value(takes).end_object().str();
}

std::string execution_object::cancel_workflow(std::string_view payload) {
  auto w = require_workflow_of(payload);
  if (is_final(w.state.status))
    throw error{errc::invalid_state,
                "workflow '" + w.state.id + "' is " +
                    std::string{workflow_status_name(w.state.status)},
                "id"};
  const auto now = now_ms();
  dirty_ = true;
  const auto i = w.state.current;
  finish_workflow(w, workflow_status::cancelled, now);  // first: its tasks' ends are ignored
  if (i < w.state.steps.size()) {
    stop_step_tasks(w, i, now);
    w.state.steps[i].status = step_status::cancelled;
    w.state.steps[i].completed_at = now;
  }
  add_workflow_event(w, "cancelled");
  save_workflow(w);
  workflows_.save_counters();
  auto reply = workflow_json(w);
  pump();
  return reply;
}

std::string execution_object::retry_workflow(std::string_view payload) {
  auto w = require_workflow_of(payload);
  const auto s = w.state.status;
  if (removing_workflows_.contains(w.state.id))
    throw error{errc::invalid_state, "workflow '" + w.state.id + "' is being deleted", "id"};
  if (s != workflow_status::failed && s != workflow_status::cancelled &&
      s != workflow_status::timed_out)
    throw error{errc::invalid_state,
                "only failed, cancelled or timed-out workflows can be retried; workflow '" +
                    w.state.id + "' is " + std::string{workflow_status_name(s)},
                "id"};
  const auto now = now_ms();
  dirty_ = true;
  // From the first step that did not complete; completed steps keep their outputs.
  std::size_t from = 0;
  while (from < w.state.steps.size() && w.state.steps[from].status == step_status::completed)
    ++from;
  auto& state = w.state;
  workflows_.set_status(state, workflow_status::running);  // while completed_at names its entry
  state.completed_at.reset();
  state.error_step.reset();
  state.error_message.reset();
  state.output.reset();
  if (w.definition.timeout_ms) {
    state.timeout_at = now + *w.definition.timeout_ms;
    time_workflow(w, timed_timeout, 0, *state.timeout_at);
  }
  for (std::size_t i = from; i < state.steps.size(); ++i) {
    auto& step = state.steps[i];
    const auto children = step.children;
    const auto phase = step.phase;
    step = step_state{};
    // A parent step that reached its children keeps those that completed or failed: only
    // cancelled children and the finalize task run again (finalize decides on failed ones).
    if (i == from && phase != parent_phase::parent_task && children) {
      step.children = children;
      step.phase = phase;
    }
  }
  state.current = from;
  after_durable([services = services_] { ++services->metrics.workflows_active; });
  add_workflow_event(w, "resumed");
  advance(w, now);
  save_workflow(w);
  workflows_.save_counters();
  auto reply = workflow_json(w);
  pump();
  return reply;
}

std::string execution_object::delete_workflow(std::string_view payload) {
  auto w = require_workflow_of(payload);
  if (!is_final(w.state.status))
    throw error{errc::invalid_state,
                "only finished workflows can be deleted; workflow '" + w.state.id + "' is " +
                    std::string{workflow_status_name(w.state.status)},
                "id"};
  // Its step tasks go in bounded chunks, one message each; the reply waits for the last.
  auto reply = std::make_shared<deferred_reply>(reply_later());
  removing_workflows_.insert(w.state.id);
  delete_workflow_chunk(std::move(reply), w.state.id, workflow_removal{});
  return "{}";  // the reply is the deferred one
}

void execution_object::delete_workflow_chunk(std::shared_ptr<deferred_reply> reply,
                                             const std::string& id, workflow_removal at) {
  auto w = workflows_.find(id);
  if (!w) {
    removing_workflows_.erase(id);
    return reply->deliver("{}");
  }
  dirty_ = true;
  if (remove_workflow(*w, at)) {
    removing_workflows_.erase(id);
    workflows_.save_counters();
    save_counters();
    return reply->deliver("{}");
  }
  save_counters();
  post_message([this, reply, id, at] { delete_workflow_chunk(reply, id, at); },
               [this, reply, id](const error& e) {
                 removing_workflows_.erase(id);
                 reply->fail(e);
               });
}

std::string execution_object::workflow_events(std::string_view payload) {
  json_object_reader in{payload};
  in.allow_only({"id", "after", "limit"});
  auto w = require_workflow(in.required_string("id"));
  auto after = in.int64("after").value_or(0);
  if (after < 0) throw error{errc::invalid_field, "'after' must be ≥ 0", "after"};
  const auto limit =
      in.in_range("limit", in.int64("limit").value_or(max_events_per_page), 1, max_events_per_page);
  list_options range;
  range.prefix = workflow_keys::events_prefix(w.state.id);
  range.start = range.prefix;
  task_keys::append_be(*range.start,
                       static_cast<std::uint64_t>(std::min<std::int64_t>(after, UINT32_MAX - 1) + 1),
                       4);
  range.limit = static_cast<std::size_t>(limit) + 1;
  auto found = storage().list(range);
  const bool more = found.size() > static_cast<std::size_t>(limit);
  if (more) found.pop_back();
  json_writer out;
  out.begin_object().key("events").begin_array();
  for (auto& [k, json] : found) out.raw(json);
  out.end_array().key("final").value(is_final(w.state.status) && !more).key("more").value(more);
  out.key("lastSeq").value(static_cast<std::int64_t>(w.state.events)).end_object();
  return out.str();
}

workflow execution_object::require_workflow_of(std::string_view payload) {
  json_object_reader in{payload};
  in.allow_only({"id"});
  return require_workflow(in.required_string("id"));
}

workflow execution_object::require_workflow(std::string_view id) {
  check_task_text("id", std::string{id});
  auto w = workflows_.find(id);
  if (!w)
    throw error{errc::workflow_not_found,
                "no workflow '" + std::string{id} + "' in this execution", "id"};
  return std::move(*w);
}

std::string execution_object::workflow_json(const workflow& w) const {
  json_writer out;
  write_workflow(out, w.definition, w.state);
  return out.str();
}

// -- steps ---------------------------------------------------------------------------------------

void execution_object::advance(workflow& w, std::int64_t now) {
  auto& state = w.state;
  while (!is_final(state.status)) {
    if (state.current >= state.steps.size()) {
      // The last step completed: its output is the workflow's.
      state.output = state.steps.empty()
                         ? std::string{"null"}
                         : workflows_.output(state, state.steps.size() - 1).value_or("null");
      finish_workflow(w, workflow_status::completed, now);
      add_workflow_event(w, "complete", [&](json_writer& e) { e.key("output").raw(*state.output); });
      return;
    }
    auto& step = state.steps[state.current];
    if (step.status == step_status::completed) {
      ++state.current;  // completed before a retry
      continue;
    }
    if (step.status != step_status::pending) break;  // running or waiting
    // A step that ends at once (a `set`, a due sleep, a queued event) moves `current` on.
    start_step(w, state.current, now);
  }
  if (is_final(state.status)) return;
  const auto& kind = w.definition.steps[state.current].kind;
  const bool waiting = is_waiting_kind(kind) &&
                       state.steps[state.current].status == step_status::waiting;
  workflows_.set_status(state, waiting ? workflow_status::waiting : workflow_status::running);
}

void execution_object::start_step(workflow& w, std::size_t i, std::int64_t now) {
  const auto& def = w.definition.steps[i];
  auto& step = w.state.steps[i];
  step.status = step_status::running;
  step.started_at = now;
  step.completed_at.reset();
  step.error.reset();
  add_workflow_event(w, "step_start", [&](json_writer& e) { e.key("step").value(def.name); });
  switch (def.kind) {
    case step_kind::task:
      step.has_task = true;
      run_step_task(w, i, step_task_id(w.state.id, def.name), def.task,
                    resolve_references(w, def.input.value_or("null")), def.config);
      return;
    case step_kind::set:
      complete_step(w, i, resolve_references(w, def.value), now);
      return;
    case step_kind::sleep: {
      const auto at = def.ms ? now + *def.ms : *def.until;
      if (at <= now) {
        complete_step(w, i, "null", now);
        return;
      }
      step.status = step_status::waiting;
      step.wake_at = at;
      time_workflow(w, timed_step_wake, i, at);
      add_workflow_event(w, "waiting", [&](json_writer& e) {
        e.key("step").value(def.name).key("until").value(at);
      });
      return;
    }
    case step_kind::event: {
      if (auto queued = workflows_.take_event(w.state, def.event)) {
        complete_step(w, i, std::move(*queued), now);
        return;
      }
      step.status = step_status::waiting;
      if (def.timeout_ms) {
        step.wake_at = now + *def.timeout_ms;
        time_workflow(w, timed_step_wake, i, *step.wake_at);
      }
      add_workflow_event(w, "waiting", [&](json_writer& e) {
        e.key("step").value(def.name).key("event").value(def.event);
      });
      return;
    }
    case step_kind::parent:
      if (step.phase == parent_phase::finalize) {
        finalize_parent(w, i, now);
      } else if (step.phase == parent_phase::children) {
        // Run again after a retry: cancelled children are queued again, finalize follows.
        auto& c = *step.children;
        for (std::int64_t n = 0; n < c.created; ++n) {
          auto task = find_task(child_task_id(w.state.id, def.name, n));
          if (task && task->status == task_status::cancelled) {
            requeue(*task);
            --c.cancelled;
          }
        }
        if (c.created < c.total) time_workflow(w, timed_children, i, now);
        if (c.all_final() && c.created == c.total) finalize_parent(w, i, now);
      } else if (!def.task.empty()) {
        step.has_task = true;
        run_step_task(w, i, step_task_id(w.state.id, def.name), def.task,
                      resolve_references(w, def.input.value_or("null")), def.config);
      } else {
        step.phase = parent_phase::children;
        step.children = child_counts{static_cast<std::int64_t>(def.children->size())};
        create_children(w, i, now);
      }
      return;
  }
}

void execution_object::run_step_task(workflow& w, std::size_t i, const std::string& id,
                                     const std::string& name, const std::string& input,
                                     const std::optional<std::string>& config) {
  if (auto existing = find_task(id)) {
    // From an earlier run of the workflow (a retry): the same task runs again, its count reset.
    if (is_final(existing->status)) {
      existing->input = input == "null" ? std::nullopt : std::optional<std::string>{input};
      requeue(*existing);
    }
    return;
  }
  submit_outcome created{task_record{}, true, 0};
  auto& task = created.task;
  task.id = id;
  task.name = name;
  if (input != "null") task.input = input;
  task.priority = w.definition.priority;
  task.group = w.definition.group;
  task.config = settings_.defaults;
  if (w.definition.config) merge_config(task.config, *w.definition.config);
  if (config) merge_config(task.config, *config);
  task.workflow_id = w.state.id;
  task.workflow_step = w.definition.steps[i].name;
  create(created);
}

void execution_object::complete_step(workflow& w, std::size_t i, std::string output,
                                     std::int64_t now) {
  auto& step = w.state.steps[i];
  step.status = step_status::completed;
  step.completed_at = now;
  workflows_.put_output(w.state, i, output);
  add_workflow_event(w, "step_complete",
                     [&](json_writer& e) { e.key("step").value(w.definition.steps[i].name); });
  if (w.state.current == i) ++w.state.current;
}

void execution_object::fail_step(workflow& w, std::size_t i, step_status status,
                                 const std::string& message, bool go_on, std::int64_t now) {
  auto& step = w.state.steps[i];
  const auto& name = w.definition.steps[i].name;
  step.status = status;
  step.completed_at = now;
  step.error = message;
  add_workflow_event(w, "step_failed", [&](json_writer& e) {
    e.key("step").value(name).key("error").value(message);
  });
  if (go_on) {
    if (w.state.current == i) ++w.state.current;
    return;
  }
  w.state.error_step = name;
  w.state.error_message = message;
  finish_workflow(w, workflow_status::failed, now);  // a timed-out event step fails it too
  stop_step_tasks(w, i, now);  // a parent's other children, aborted by one of them
  add_workflow_event(w, "error", [&](json_writer& e) {
    e.key("step").value(name).key("error").value(message);
  });
}

void execution_object::finish_workflow(workflow& w, workflow_status to, std::int64_t now) {
  auto& state = w.state;
  state.completed_at = now;
  if (state.timeout_at) {
    untime_workflow(w, timed_timeout, 0, *state.timeout_at);
    state.timeout_at.reset();
  }
  workflows_.set_status(state, to);
  after_durable([services = services_, to] {
    auto& m = services->metrics;
    --m.workflows_active;
    if (to == workflow_status::completed) ++m.workflows_completed;
    if (to == workflow_status::failed) ++m.workflows_failed;
  });
}

// -- step tasks ----------------------------------------------------------------------------------

void execution_object::step_task_ended(const task_record& task, bool abort, std::int64_t now) {
  auto found = workflows_.find(*task.workflow_id);
  if (!found || is_final(found->state.status)) return;  // cancelled or timed out: its tasks stop
  auto& w = *found;
  auto i = w.definition.step_index(task.workflow_step.value_or(""));
  if (!i || *i != w.state.current) return;
  const auto& def = w.definition.steps[*i];
  auto& step = w.state.steps[*i];
  if (step.status != step_status::running) return;
  dirty_ = true;
  step.attempts = task.attempts;
  const auto own = step_task_id(w.state.id, def.name);
  const auto failure = task.error.value_or(task.status == task_status::cancelled
                                               ? "the step's task was cancelled"
                                               : "the step's task failed");
  if (abort && task.status == task_status::failed) {
    fail_step(w, *i, step_status::failed, failure, false, now);
  } else if (def.kind == step_kind::task && task.id == own) {
    if (task.status == task_status::completed)
      complete_step(w, *i, task.output.value_or("null"), now);
    else
      fail_step(w, *i, step_status::failed, failure, def.continue_on_failure, now);
  } else if (def.kind == step_kind::parent) {
    if (task.id == own && step.phase == parent_phase::parent_task)
      parent_task_ended(w, *i, task, now);
    else if (task.id == finalize_task_id(w.state.id, def.name) &&
             step.phase == parent_phase::finalize) {
      if (task.status == task_status::completed)
        complete_step(w, *i, task.output.value_or("null"), now);
      else
        fail_step(w, *i, step_status::failed, failure, false, now);
    } else if (step.phase == parent_phase::children) {
      child_ended(w, *i, task, now);
    }
  }
  advance(w, now);
  save_workflow(w);
  workflows_.save_counters();
}

void execution_object::parent_task_ended(workflow& w, std::size_t i, const task_record& task,
                                         std::int64_t now) {
  if (task.status != task_status::completed) {
    fail_step(w, i, step_status::failed,
              task.error.value_or("the parent step's task was cancelled"), false, now);
    return;
  }
  // Its output must be {"output": any, "children": [{"task", "input", "config"?}, ...]}.
  const auto output = task.output.value_or("null");
  std::int64_t count = 0;
  try {
    json_object_reader in{output, "output"};
    in.allow_only({"output", "children"});
    auto children = in.raw("children");
    if (!children) throw error{errc::missing_field, "no children", "output.children"};
    auto items = json_array_items(*children, "output.children");
    if (items.size() > max_step_children)
      throw error{errc::invalid_field, "over 1000 children", "output.children"};
    for (const auto& item : items) {
      json_object_reader child{item, "child"};
      child.allow_only({"task", "input", "config"});
      auto name = child.required_string("task");
      check_task_text("task", name);
        try {
        check_task(name, "null");
      } catch (const error& e) {
        if (e.field() == "name") throw;  // an unknown handler; its input is checked when it runs
      }
      if (auto config = child.raw("config")) {
        task_config scratch;
        merge_config(scratch, *config);
      }
    }
    count = static_cast<std::int64_t>(items.size());
  } catch (const error&) {
    fail_step(w, i, step_status::failed, "invalid_children", false, now);
    return;
  }
  auto& step = w.state.steps[i];
  step.phase = parent_phase::children;
  step.children = child_counts{count};
  create_children(w, i, now);
}

void execution_object::child_ended(workflow& w, std::size_t i, const task_record& task,
                                   std::int64_t now) {
  auto& c = *w.state.steps[i].children;
  if (task.status == task_status::completed) ++c.completed;
  else if (task.status == task_status::failed) ++c.failed;
  else ++c.cancelled;
  if (c.all_final() && c.created == c.total) finalize_parent(w, i, now);
}

std::vector<step_task> execution_object::children_of(workflow& w, std::size_t i) {
  const auto& def = w.definition.steps[i];
  if (def.children) {
    std::vector<step_task> out = *def.children;
    for (auto& child : out)
      if (child.input) child.input = resolve_references(w, *child.input);
    return out;
  }
  auto parent = find_task(step_task_id(w.state.id, def.name));
  std::vector<step_task> out;
  if (!parent || !parent->output) return out;
  json_object_reader in{*parent->output, "output"};
  for (const auto& item : json_array_items(in.raw("children").value_or("[]"), "output.children")) {
    json_object_reader child{item, "child"};
    out.push_back(step_task{child.required_string("task"), child.raw("input"), child.raw("config")});
  }
  return out;
}

void execution_object::create_children(workflow& w, std::size_t i, std::int64_t now) {
  auto& c = *w.state.steps[i].children;
  if (c.created < c.total) {
    const auto children = children_of(w, i);
    const auto end = std::min<std::int64_t>(c.total, c.created + children_per_message);
    for (; c.created < end && c.created < static_cast<std::int64_t>(children.size()); ++c.created) {
      const auto& child = children[static_cast<std::size_t>(c.created)];
      run_step_task(w, i, child_task_id(w.state.id, w.definition.steps[i].name, c.created),
                    child.task, child.input.value_or("null"), child.config);
    }
    if (c.created < c.total) {
      time_workflow(w, timed_children, i, now);  // the next chunk in a message of its own
      return;
    }
  }
  if (c.all_final()) finalize_parent(w, i, now);
}

void execution_object::finalize_parent(workflow& w, std::size_t i, std::int64_t now) {
  const auto& def = w.definition.steps[i];
  auto& step = w.state.steps[i];
  step.phase = parent_phase::finalize;
  // {"output": the parent task's output or null, "children": [{"taskId", "status", ...}]}
  std::string parent_output = "null";
  if (!def.task.empty())
    if (auto parent = find_task(step_task_id(w.state.id, def.name)); parent && parent->output)
      if (auto inner = json_text::at_pointer(*parent->output, "/output"))
        parent_output = std::string{*inner};
  json_writer input;
  input.begin_object().key("output").raw(parent_output).key("children").begin_array();
  for (std::int64_t n = 0; step.children && n < step.children->total; ++n) {
    auto id = child_task_id(w.state.id, def.name, n);
    auto task = find_task(id);
    input.begin_object().key("taskId").value(id);
    input.key("status").value(task ? status_name(task->status) : std::string_view{"cancelled"});
    if (task && task->status == task_status::completed)
      input.key("output").raw(task->output.value_or("null"));
    else if (task && task->error)
      input.key("error").value(*task->error);
    input.end_object();
  }
  input.end_array().end_object();
  if (!def.finalize) {
    complete_step(w, i, input.str(), now);
    return;
  }
  run_step_task(w, i, finalize_task_id(w.state.id, def.name), def.finalize->task, input.str(),
                def.finalize->config);
}

void execution_object::stop_step_tasks(workflow& w, std::size_t i, std::int64_t now) {
  const auto& def = w.definition.steps[i];
  auto& step = w.state.steps[i];
  auto stop = [&](const std::string& id) {
    auto task = find_task(id);
    if (!task || is_final(task->status)) return false;
    cancel_task(*task, now);
    return true;
  };
  if (step.has_task) stop(step_task_id(w.state.id, def.name));
  if (step.children)
    for (std::int64_t n = 0; n < step.children->created; ++n)
      if (stop(child_task_id(w.state.id, def.name, n))) ++step.children->cancelled;
  if (step.phase == parent_phase::finalize && def.finalize)
    stop(finalize_task_id(w.state.id, def.name));
  if (step.wake_at) {
    untime_workflow(w, timed_step_wake, i, *step.wake_at);
    step.wake_at.reset();
  }
}

// -- time ------------------------------------------------------------------------------------

void execution_object::time_workflow(workflow& w, char what, std::size_t step, std::int64_t at) {
  dirty_ = true;
  workflow_wakes_.add(workflow_keys::timed(at, w.state.seq, what, step), w.state.id);
}

void execution_object::untime_workflow(workflow& w, char what, std::size_t step, std::int64_t at) {
  dirty_ = true;
  workflow_wakes_.remove(workflow_keys::timed(at, w.state.seq, what, step));
}

void execution_object::wake_workflows(std::int64_t now) {
  more_workflow_work_ = false;
  for (std::size_t n = 0;; ++n) {
    auto* first = workflow_wakes_.front();
    if (first == nullptr || workflow_keys::timed_time(first->first) > now) break;
    if (n == max_workflow_wakes_per_pump) {
      more_workflow_work_ = true;
      break;
    }
    const std::string key = first->first;
    const std::string id = first->second;
    dirty_ = true;
    workflow_wakes_.remove(key);
    auto found = workflows_.find(id);
    if (!found || is_final(found->state.status)) continue;
    auto& w = *found;
    const auto what = workflow_keys::timed_what(key);
    const auto i = workflow_keys::timed_step(key);
    const auto at = workflow_keys::timed_time(key);
    if (what == timed_timeout) {
      if (w.state.timeout_at != at) continue;
      w.state.timeout_at.reset();
      const auto current = w.state.current;
      const auto message =
          "the workflow timed out after " + std::to_string(*w.definition.timeout_ms) + " ms";
      if (current < w.state.steps.size()) w.state.error_step = w.definition.steps[current].name;
      w.state.error_message = message;
      finish_workflow(w, workflow_status::timed_out, now);
      if (current < w.state.steps.size()) {
        stop_step_tasks(w, current, now);
        w.state.steps[current].status = step_status::timed_out;
        w.state.steps[current].completed_at = now;
      }
      add_workflow_event(w, "timed_out");
    } else if (i == w.state.current && i < w.state.steps.size()) {
      auto& step = w.state.steps[i];
      const auto& def = w.definition.steps[i];
      if (what == timed_children) {
        if (step.phase == parent_phase::children && step.children) create_children(w, i, now);
      } else if (step.status == step_status::waiting && step.wake_at == at) {
        step.wake_at.reset();
        if (def.kind == step_kind::sleep)
          complete_step(w, i, "null", now);
        else
          fail_step(w, i, step_status::timed_out,
                    "no event '" + def.event + "' came within " +
                        std::to_string(def.timeout_ms.value_or(0)) + " ms",
                    def.continue_on_failure, now);
      }
      advance(w, now);
    }
    save_workflow(w);
    workflows_.save_counters();
  }
}

void execution_object::expire_workflows(std::int64_t now) {
  // One workflow at a time, its step tasks in bounded chunks (one per message).
  auto due = workflows_.due(now, settings_.retention, max_expired_workflows_per_pump);
  bool removed = false;
  for (const auto& id : due) {
    auto w = workflows_.find(id);
    if (!w || !is_final(w->state.status) || removing_workflows_.contains(id)) continue;
    dirty_ = true;
    auto& at = expiring_.first == id ? expiring_.second : (expiring_ = {id, {}}).second;
    if (!remove_workflow(*w, at)) {
      more_workflow_work_ = true;
      break;
    }
    expiring_ = {};
    removed = true;
  }
  if (due.size() == max_expired_workflows_per_pump) more_workflow_work_ = true;
  if (removed) workflows_.save_counters();
}

bool execution_object::remove_workflow(const workflow& w, workflow_removal& at) {
  // Its step tasks go first, each step's own task, children and finalize task, at most a
  // chunk's worth of lookups per call; the workflow's own keys go with the last chunk.
  std::size_t budget = workflow_tasks_removed_per_message;
  for (; at.step < w.definition.steps.size(); ++at.step, at.task = 0) {
    const auto& def = w.definition.steps[at.step];
    const auto& step = w.state.steps[at.step];
    const std::int64_t children = step.children ? step.children->created : 0;
    for (; at.task < children + 2; ++at.task) {
      if (budget-- == 0) return false;
      const auto id = at.task == 0              ? step_task_id(w.state.id, def.name)
                      : at.task <= children ? child_task_id(w.state.id, def.name, at.task - 1)
                                            : finalize_task_id(w.state.id, def.name);
      if (auto task = find_task(id); task && is_final(task->status)) tasks_.remove(*task);
    }
  }
  workflows_.remove(w);
  return true;
}

// -- helpers -------------------------------------------------------------------------------------

std::string execution_object::resolve_references(const workflow& w, const std::string& json) {
  return json_text::replace_references(json, [&](std::string_view target) -> std::string {
    std::string step;
    std::string pointer;
    if (!parse_reference(target, step, pointer)) return "null";
    std::optional<std::string> value;
    if (step.empty()) {
      value = w.definition.input;
    } else if (auto i = w.definition.step_index(step);
               i && w.state.steps[*i].status == step_status::completed) {
      value = workflows_.output(w.state, *i);
    }
    if (!value) return "null";
    auto at = json_text::at_pointer(*value, pointer);
    return at ? std::string{*at} : std::string{"null"};
  });
}

void execution_object::save_workflow(workflow& w) {
  dirty_ = true;
  workflows_.save(w.state);
  if (is_final(w.state.status)) release_workflow_waiters(w);
}

void execution_object::add_workflow_event(workflow& w, std::string_view type,
                                          const std::function<void(json_writer&)>& fields) {
  dirty_ = true;
  auto event = workflows_.append_event(w.state, type, now_ms(), fields);
  after_durable([services = services_, exec = name(), key = event_key(w.state.id),
                 event = std::move(event)] { services->events.publish(exec, key, event); });
}

void execution_object::release_workflow_waiters(const workflow& w) {
  auto [begin, end] = workflow_waiters_.equal_range(w.state.id);
  if (begin == end) return;
  // The record as it ends this message; the replies leave once its writes are durable.
  auto record = workflow_json(w);
  for (auto it = begin; it != end; ++it)
    if (it->second->open()) it->second->deliver(record);
  workflow_waiters_.erase(begin, end);
}

}  // namespace dort
