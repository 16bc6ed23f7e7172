#include "execution/workflow_definition.hpp"

#include <cctype>
#include <set>

#include "actors/json_reader.hpp"
#include "actors/json_writer.hpp"
#include "execution/json_text.hpp"
#include "execution/task_config.hpp"
#include "execution/task_submission.hpp"
#include "persistence/error.hpp"

namespace dort {

namespace {

constexpr std::string_view kind_names[] = {"task", "sleep", "event", "set", "parent"};

bool valid_step_name(const std::string& name) {
  if (name.empty() || name.size() > max_step_name_bytes) return false;
  for (unsigned char c : name)
    if (!(std::isalnum(c) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

/// Throws `invalid_field` naming `field` if `json` is not a task config object.
void check_config(const std::string& json, const std::string& field) {
  task_config scratch;
  merge_config(scratch, json, field);
}

/// Reads `failure` ("fail" or "continue", default "fail") of `in`.
bool read_continue(const json_object_reader& in, std::string_view field) {
  auto value = in.string(field);
  if (!value || *value == "fail") return false;
  if (*value == "continue") return true;
  throw error{errc::invalid_field, "'" + in.field_name(field) + "' must be \"fail\" or \"continue\"",
              in.field_name(field)};
}

class definition_reader {
 public:
  explicit definition_reader(const task_check& check) : check_(check) {}

  workflow_definition read(std::string_view payload) {
    json_object_reader in{payload};
    in.allow_only({"id", "input", "metadata", "priority", "group", "config", "timeout", "steps"});
    workflow_definition d;
    d.id = in.string("id");
    if (d.id) check_workflow_id(*d.id);
    d.input = in.raw("input");
    if (d.input && d.input->size() > max_input_bytes)
      throw error{errc::too_large, "'input' is over 256 KiB", "input"};
    d.metadata = in.raw("metadata");
    if (d.metadata && d.metadata->size() > max_metadata_bytes)
      throw error{errc::too_large, "'metadata' is over 16 KiB", "metadata"};
    d.priority = in.in_range("priority", in.int64("priority").value_or(0), -1'000'000, 1'000'000);
    d.group = in.string("group");
    if (d.group) check_task_text("group", *d.group);
    d.config = in.raw("config");
    if (d.config) check_config(*d.config, "config");
    if (auto t = in.int64("timeout")) d.timeout_ms = in.in_range("timeout", *t, 1, max_workflow_ms);
    auto steps = in.raw("steps");
    if (!steps) throw error{errc::missing_field, "'steps' is required", "steps"};
    auto items = json_array_items(*steps, "steps");
    if (items.empty() || items.size() > max_workflow_steps)
      throw error{errc::invalid_field, "'steps' holds 1 .. 1000 steps", "steps"};
    std::set<std::string> names;  // of the steps before the one being read
    names_before_ = &names;
    for (std::size_t i = 0; i < items.size(); ++i) {
      auto step = read_step(items[i], "steps[" + std::to_string(i) + "]");
      if (!names.insert(step.name).second)
        throw error{errc::invalid_field, "step name '" + step.name + "' is used twice",
                    "steps[" + std::to_string(i) + "].name"};
      d.steps.push_back(std::move(step));
    }
    return d;
  }

 private:
  step_definition read_step(const std::string& json, const std::string& path) {
    json_object_reader in{json, path};
    step_definition s;
    s.name = in.required_string("name");
    if (!valid_step_name(s.name))
      throw error{errc::invalid_field,
                  "'" + in.field_name("name") + "' must be 1 .. 128 bytes of A-Z a-z 0-9 _ - .",
                  in.field_name("name")};
    auto kind = in.string("kind").value_or("task");
    bool known = false;
    for (std::size_t k = 0; k < std::size(kind_names); ++k)
      if (kind == kind_names[k]) {
        s.kind = static_cast<step_kind>(k);
        known = true;
      }
    if (!known)
      throw error{errc::invalid_field, "unknown step kind '" + kind + "'", in.field_name("kind")};
    switch (s.kind) {
      case step_kind::task:
        in.allow_only({"name", "kind", "task", "input", "config", "onError"});
        read_task_fields(in, s, path);
        s.continue_on_failure = read_continue(in, "onError");
        break;
      case step_kind::sleep:
        in.allow_only({"name", "kind", "ms", "until"});
        if (in.has("ms") && in.has("until"))
          throw error{errc::invalid_field, "give 'ms' or 'until', not both", in.field_name("until")};
        if (auto ms = in.int64("ms")) s.ms = in.in_range("ms", *ms, 0, max_workflow_ms);
        if (auto until = in.int64("until"))
          s.until = in.in_range("until", *until, 0, INT64_MAX);
        if (!s.ms && !s.until)
          throw error{errc::missing_field, "a sleep step needs 'ms' or 'until'", in.field_name("ms")};
        break;
      case step_kind::event:
        in.allow_only({"name", "kind", "event", "timeout", "onTimeout"});
        s.event = in.required_string("event");
        if (s.event.empty() || s.event.size() > max_event_type_bytes)
          throw error{errc::invalid_field, "'" + in.field_name("event") + "' must be 1 .. 128 bytes",
                      in.field_name("event")};
        if (auto t = in.int64("timeout"))
          s.timeout_ms = in.in_range("timeout", *t, 1, max_workflow_ms);
        s.continue_on_failure = read_continue(in, "onTimeout");
        break;
      case step_kind::set:
        in.allow_only({"name", "kind", "value"});
        if (auto v = in.raw("value")) s.value = *v;
        check_references(s.value, path + ".value");
        break;
      case step_kind::parent:
        in.allow_only({"name", "kind", "task", "input", "config", "children", "finalize"});
        read_parent(in, s, path);
        break;
    }
    return s;
  }

  void read_task_fields(const json_object_reader& in, step_definition& s, const std::string& path) {
    s.task = in.required_string("task");
    check_task_text(in.field_name("task"), s.task);
    s.input = in.raw("input");
    if (s.input && s.input->size() > max_input_bytes)
      throw error{errc::too_large, "'" + in.field_name("input") + "' is over 256 KiB",
                  in.field_name("input")};
    s.config = in.raw("config");
    if (s.config) check_config(*s.config, in.field_name("config"));
    check_task(s.task, s.input, path);
  }

  void read_parent(const json_object_reader& in, step_definition& s, const std::string& path) {
    const bool has_task = in.has("task");
    const bool has_children = in.has("children");
    if (has_task && has_children)
      throw error{errc::invalid_field, "a parent step has 'task' or 'children', not both",
                  in.field_name("children")};
    if (!has_task && !has_children)
      throw error{errc::missing_field, "a parent step needs 'task' or 'children'",
                  in.field_name("task")};
    if (has_task) {
      read_task_fields(in, s, path);
    } else {
      if (in.has("input") || in.has("config"))
        throw error{errc::invalid_field, "'input' and 'config' belong to a parent's task",
                    in.field_name(in.has("input") ? "input" : "config")};
      auto items = json_array_items(*in.raw("children"), in.field_name("children"));
      if (items.size() > max_step_children)
        throw error{errc::invalid_field, "a parent step has at most 1000 children",
                    in.field_name("children")};
      s.children.emplace();
      for (std::size_t j = 0; j < items.size(); ++j) {
        const auto child_path = in.field_name("children") + "[" + std::to_string(j) + "]";
        json_object_reader child{items[j], child_path};
        child.allow_only({"task", "input", "config"});
        step_task t;
        t.task = child.required_string("task");
        check_task_text(child.field_name("task"), t.task);
        t.input = child.raw("input");
        if (t.input && t.input->size() > max_input_bytes)
          throw error{errc::too_large, "'" + child.field_name("input") + "' is over 256 KiB",
                      child.field_name("input")};
        t.config = child.raw("config");
        if (t.config) check_config(*t.config, child.field_name("config"));
        check_task(t.task, t.input, child_path);
        s.children->push_back(std::move(t));
      }
    }
    if (auto f = in.raw("finalize")) {
      json_object_reader fin{*f, in.field_name("finalize")};
      fin.allow_only({"task", "config"});
      step_task t;
      t.task = fin.required_string("task");
      check_task_text(fin.field_name("task"), t.task);
      t.config = fin.raw("config");
      if (t.config) check_config(*t.config, fin.field_name("config"));
      if (check_) check_(t.task, {}, fin.field_name("task"));
      s.finalize = std::move(t);
    }
  }

  /// Checks the references of a task's input, then asks whether the task takes it (only an input
  /// without references can be checked before the workflow runs).
  void check_task(const std::string& task, const std::optional<std::string>& input,
                  const std::string& path) {
    bool references = false;
    if (input) {
      check_references(*input, path + ".input");
      json_text::for_each_reference(*input, path, [&](auto&, auto) { references = true; });
    }
    if (!check_) return;
    check_(task, {}, path + ".task");
    if (!references) check_(task, input.value_or("null"), path);
  }

  void check_references(const std::string& json, const std::string& path) {
    json_text::for_each_reference(json, path, [&](const std::string& at, std::string_view target) {
      std::string step;
      std::string pointer;
      if (!parse_reference(target, step, pointer))
        throw error{errc::invalid_field, "a reference is \"$input\" or \"step#/json/pointer\"", at};
      if (!step.empty() && (names_before_ == nullptr || !names_before_->contains(step)))
        throw error{errc::invalid_field, "the reference names no earlier step '" + step + "'", at};
    });
  }

  const task_check& check_;
  /// The names of the steps before the one being read.
  const std::set<std::string>* names_before_ = nullptr;
};

void write_step_task(json_writer& out, const step_task& t) {
  out.begin_object().key("task").value(t.task);
  if (t.input) out.key("input").raw(*t.input);
  if (t.config) out.key("config").raw(*t.config);
  out.end_object();
}

}  // namespace

std::string_view step_kind_name(step_kind kind) noexcept {
  return kind_names[static_cast<std::size_t>(kind)];
}

std::optional<std::size_t> workflow_definition::step_index(std::string_view name) const {
  for (std::size_t i = 0; i < steps.size(); ++i)
    if (steps[i].name == name) return i;
  return std::nullopt;
}

void check_workflow_id(const std::string& id) {
  if (id.empty() || id.size() > max_workflow_id_bytes || id.find('#') != std::string::npos)
    throw error{errc::invalid_field, "'id' must be 1 .. 100 bytes without '#'", "id"};
}

bool parse_reference(std::string_view target_json, std::string& step, std::string& pointer) {
  if (target_json.empty() || target_json.front() != '"') return false;
  std::size_t end;
  auto target = json_text::read_string(target_json, 0, end);
  auto hash = target.find('#');
  step = target.substr(0, hash);
  pointer = hash == std::string::npos ? std::string{} : target.substr(hash + 1);
  if (!pointer.empty() && pointer.front() != '/') return false;
  if (step == "$input") {
    step.clear();
    return true;
  }
  return valid_step_name(step);
}

workflow_definition read_workflow_definition(std::string_view payload, const task_check& check) {
  return definition_reader{check}.read(payload);
}

std::string encode_workflow_definition(const workflow_definition& d) {
  json_writer out;
  out.begin_object();
  if (d.input) out.key("input").raw(*d.input);
  if (d.metadata) out.key("metadata").raw(*d.metadata);
  out.key("priority").value(d.priority);
  if (d.group) out.key("group").value(*d.group);
  if (d.config) out.key("config").raw(*d.config);
  if (d.timeout_ms) out.key("timeout").value(*d.timeout_ms);
  out.key("steps").begin_array();
  for (const auto& s : d.steps) {
    out.begin_object().key("name").value(s.name).key("kind").value(step_kind_name(s.kind));
    switch (s.kind) {
      case step_kind::task:
      case step_kind::parent:
        if (!s.task.empty()) out.key("task").value(s.task);
        if (s.input) out.key("input").raw(*s.input);
        if (s.config) out.key("config").raw(*s.config);
        if (s.kind == step_kind::task)
          out.key("onError").value(s.continue_on_failure ? "continue" : "fail");
        if (s.children) {
          out.key("children").begin_array();
          for (const auto& c : *s.children) write_step_task(out, c);
          out.end_array();
        }
        if (s.finalize) {
          out.key("finalize");
          write_step_task(out, *s.finalize);
        }
        break;
      case step_kind::sleep:
        if (s.ms) out.key("ms").value(*s.ms);
        if (s.until) out.key("until").value(*s.until);
        break;
      case step_kind::event:
        out.key("event").value(s.event);
        if (s.timeout_ms) out.key("timeout").value(*s.timeout_ms);
        out.key("onTimeout").value(s.continue_on_failure ? "continue" : "fail");
        break;
      case step_kind::set:
        out.key("value").raw(s.value);
        break;
    }
    out.end_object();
  }
  out.end_array().end_object();
  return out.str();
}

}  // namespace dort
