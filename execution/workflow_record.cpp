#include "execution/workflow_record.hpp"

#include <simdjson.h>

#include "actors/json_raw.hpp"
#include "persistence/error.hpp"

namespace dort {

namespace {

constexpr std::string_view workflow_status_names[] = {"running",   "waiting",   "completed",
                                                      "failed",    "cancelled", "timed_out"};
constexpr std::string_view step_status_names[] = {"pending", "running",   "waiting",  "completed",
                                                  "failed",  "timed_out", "cancelled"};

void write_optional(json_writer& out, std::string_view key, const std::optional<std::int64_t>& v) {
  if (v) out.key(key).value(*v);
}

using simdjson::ondemand::value;

std::int64_t as_int(value v) { return v.get_int64().value(); }
std::string as_string(value v) { return std::string{v.get_string().value()}; }

step_state read_step(simdjson::ondemand::object o) {
  step_state s;
  for (auto field : o) {
    auto key = field.unescaped_key().value();
    value f = field.value();
    if (key == "s") {
      auto n = as_int(f);
      if (n < 0 || n > static_cast<std::int64_t>(step_status::cancelled))
        throw error{errc::storage_failure, "unknown step status"};
      s.status = static_cast<step_status>(n);
    } else if (key == "startedAt") s.started_at = as_int(f);
    else if (key == "completedAt") s.completed_at = as_int(f);
    else if (key == "wakeAt") s.wake_at = as_int(f);
    else if (key == "attempts") s.attempts = as_int(f);
    else if (key == "error") s.error = as_string(f);
    else if (key == "task") s.has_task = f.get_bool().value();
    else if (key == "phase") {
      auto n = as_int(f);
      if (n < 0 || n > static_cast<std::int64_t>(parent_phase::finalize))
        throw error{errc::storage_failure, "unknown parent phase"};
      s.phase = static_cast<parent_phase>(n);
    } else if (key == "children") {
      child_counts c;
      for (auto cf : f.get_object()) {
        auto k = cf.unescaped_key().value();
        auto n = as_int(cf.value());
        if (k == "total") c.total = n;
        else if (k == "completed") c.completed = n;
        else if (k == "failed") c.failed = n;
        else if (k == "cancelled") c.cancelled = n;
        else if (k == "created") c.created = n;
      }
      s.children = c;
    }
  }
  return s;
}

}  // namespace

std::string_view workflow_status_name(workflow_status s) noexcept {
  return workflow_status_names[static_cast<std::size_t>(s)];
}

std::optional<workflow_status> parse_workflow_status(std::string_view name) noexcept {
  for (std::size_t i = 0; i < std::size(workflow_status_names); ++i)
    if (workflow_status_names[i] == name) return static_cast<workflow_status>(i);
  return std::nullopt;
}

std::string_view step_status_name(step_status s) noexcept {
  return step_status_names[static_cast<std::size_t>(s)];
}

std::string encode_workflow(const workflow_state& w) {
  json_writer out;
  out.begin_object().key("id").value(w.id);
  out.key("status").value(static_cast<std::int64_t>(w.status));
  out.key("createdAt").value(w.created_at);
  write_optional(out, "completedAt", w.completed_at);
  out.key("current").value(static_cast<std::int64_t>(w.current));
  if (w.output) out.key("output").raw(*w.output);
  if (w.error_step) out.key("errorStep").value(*w.error_step);
  if (w.error_message) out.key("errorMessage").value(*w.error_message);
  write_optional(out, "timeoutAt", w.timeout_at);
  out.key("seq").value(w.seq).key("events").value(static_cast<std::int64_t>(w.events));
  out.key("queued").value(w.queued_events).key("nextEvent").value(w.next_event);
  out.key("steps").begin_array();
  for (const auto& s : w.steps) {
    out.begin_object().key("s").value(static_cast<std::int64_t>(s.status));
    write_optional(out, "startedAt", s.started_at);
    write_optional(out, "completedAt", s.completed_at);
    write_optional(out, "wakeAt", s.wake_at);
    write_optional(out, "attempts", s.attempts);
    if (s.error) out.key("error").value(*s.error);
    if (s.has_task) out.key("task").value(true);
    if (s.phase != parent_phase::parent_task)
      out.key("phase").value(static_cast<std::int64_t>(s.phase));
    if (s.children) {
      const auto& c = *s.children;
      out.key("children").begin_object().key("total").value(c.total);
      out.key("completed").value(c.completed).key("failed").value(c.failed);
      out.key("cancelled").value(c.cancelled).key("created").value(c.created).end_object();
    }
    out.end_object();
  }
  out.end_array().end_object();
  return out.str();
}

workflow_state decode_workflow(std::string_view stored) {
  thread_local simdjson::ondemand::parser parser;
  simdjson::padded_string padded{stored};
  try {
    workflow_state w;
    simdjson::ondemand::document doc = parser.iterate(padded);
    for (auto field : doc.get_object()) {
      auto key = field.unescaped_key().value();
      value f = field.value();
      if (key == "id") w.id = as_string(f);
      else if (key == "status") {
        auto n = as_int(f);
        if (n < 0 || n > static_cast<std::int64_t>(workflow_status::timed_out))
          throw error{errc::storage_failure, "unknown workflow status"};
        w.status = static_cast<workflow_status>(n);
      } else if (key == "createdAt") w.created_at = as_int(f);
      else if (key == "completedAt") w.completed_at = as_int(f);
      else if (key == "current") w.current = static_cast<std::size_t>(f.get_uint64().value());
      else if (key == "output") w.output = raw_json_text(f);
      else if (key == "errorStep") w.error_step = as_string(f);
      else if (key == "errorMessage") w.error_message = as_string(f);
      else if (key == "timeoutAt") w.timeout_at = as_int(f);
      else if (key == "seq") w.seq = f.get_uint64().value();
      else if (key == "events") w.events = static_cast<std::uint32_t>(f.get_uint64().value());
      else if (key == "queued") w.queued_events = as_int(f);
      else if (key == "nextEvent") w.next_event = f.get_uint64().value();
      else if (key == "steps")
        for (auto s : f.get_array()) w.steps.push_back(read_step(s.get_object()));
    }
    if (w.id.empty() || w.steps.empty() || w.current > w.steps.size())
      throw error{errc::storage_failure, "id, steps or current step missing"};
    return w;
  } catch (const simdjson::simdjson_error& e) {
    throw error{errc::storage_failure, std::string{"a stored workflow is damaged: "} + e.what()};
  }
}

void write_step_entry(json_writer& out, const workflow_definition& d, const workflow_state& w,
                      std::size_t i) {
  const auto& def = d.steps[i];
  const auto& s = w.steps[i];
  out.begin_object().key("name").value(def.name).key("kind").value(step_kind_name(def.kind));
  out.key("status").value(step_status_name(s.status));
  write_optional(out, "startedAt", s.started_at);
  write_optional(out, "completedAt", s.completed_at);
  if (s.has_task) out.key("taskId").value(w.id + "#" + def.name);
  write_optional(out, "attempts", s.attempts);
  if (s.error) out.key("error").value(*s.error);
  write_optional(out, "wakeAt", s.wake_at);
  if (def.kind == step_kind::event) out.key("event").value(def.event);
  if (s.children) {
    out.key("children").begin_object().key("total").value(s.children->total);
    out.key("completed").value(s.children->completed).key("failed").value(s.children->failed);
    out.key("cancelled").value(s.children->cancelled).end_object();
  }
}

void write_workflow(json_writer& out, const workflow_definition& d, const workflow_state& w,
                    bool steps) {
  out.begin_object().key("id").value(w.id);
  if (d.input) out.key("input").raw(*d.input);
  if (d.metadata) out.key("metadata").raw(*d.metadata);
  out.key("priority").value(d.priority);
  if (d.group) out.key("group").value(*d.group);
  if (d.config) out.key("config").raw(*d.config);
  write_optional(out, "timeout", d.timeout_ms);
  out.key("status").value(workflow_status_name(w.status));
  out.key("createdAt").value(w.created_at);
  write_optional(out, "completedAt", w.completed_at);
  if (!is_final(w.status) && w.current < d.steps.size())
    out.key("currentStep").value(d.steps[w.current].name);
  if (w.output) out.key("output").raw(*w.output);
  if (w.error_message) {
    out.key("error").begin_object();
    if (w.error_step) out.key("step").value(*w.error_step);
    out.key("message").value(*w.error_message).end_object();
  }
  if (steps) {
    out.key("steps").begin_array();
    for (std::size_t i = 0; i < d.steps.size(); ++i) {
      write_step_entry(out, d, w, i);
      out.end_object();
    }
    out.end_array();
  }
  out.end_object();
}

}  // namespace dort
