#include "execution/workflow_builder.hpp"

#include "actors/json_writer.hpp"

namespace dort {

workflow_builder& workflow_builder::id(std::string id) {
  d_.id = std::move(id);
  return *this;
}

workflow_builder& workflow_builder::input(std::string json) {
  d_.input = std::move(json);
  return *this;
}

workflow_builder& workflow_builder::metadata(std::string json) {
  d_.metadata = std::move(json);
  return *this;
}

workflow_builder& workflow_builder::priority(std::int64_t priority) {
  d_.priority = priority;
  return *this;
}

workflow_builder& workflow_builder::group(std::string group) {
  d_.group = std::move(group);
  return *this;
}

workflow_builder& workflow_builder::config(const task_config_override& config) {
  d_.config = config_override_json(config);
  return *this;
}

workflow_builder& workflow_builder::timeout_ms(std::int64_t ms) {
  d_.timeout_ms = ms;
  return *this;
}

workflow_builder& workflow_builder::task(std::string name, std::string handler,
                                         std::optional<std::string> input_json, bool go_on) {
  step_definition s;
  s.name = std::move(name);
  s.task = std::move(handler);
  s.input = std::move(input_json);
  s.continue_on_failure = go_on;
  d_.steps.push_back(std::move(s));
  return *this;
}

workflow_builder& workflow_builder::sleep_ms(std::string name, std::int64_t ms) {
  step_definition s;
  s.name = std::move(name);
  s.kind = step_kind::sleep;
  s.ms = ms;
  d_.steps.push_back(std::move(s));
  return *this;
}

workflow_builder& workflow_builder::sleep_until(std::string name, std::int64_t at_ms) {
  step_definition s;
  s.name = std::move(name);
  s.kind = step_kind::sleep;
  s.until = at_ms;
  d_.steps.push_back(std::move(s));
  return *this;
}

workflow_builder& workflow_builder::event(std::string name, std::string type,
                                          std::optional<std::int64_t> timeout_ms, bool go_on) {
  step_definition s;
  s.name = std::move(name);
  s.kind = step_kind::event;
  s.event = std::move(type);
  s.timeout_ms = timeout_ms;
  s.continue_on_failure = go_on;
  d_.steps.push_back(std::move(s));
  return *this;
}

workflow_builder& workflow_builder::set(std::string name, std::string value_json) {
  step_definition s;
  s.name = std::move(name);
  s.kind = step_kind::set;
  s.value = std::move(value_json);
  d_.steps.push_back(std::move(s));
  return *this;
}

workflow_builder& workflow_builder::parent(std::string name, std::vector<step_task> children,
                                           std::optional<step_task> finalize) {
  step_definition s;
  s.name = std::move(name);
  s.kind = step_kind::parent;
  s.children = std::move(children);
  s.finalize = std::move(finalize);
  d_.steps.push_back(std::move(s));
  return *this;
}

workflow_builder& workflow_builder::parent_task(std::string name, std::string handler,
                                                std::optional<std::string> input_json,
                                                std::optional<step_task> finalize) {
  step_definition s;
  s.name = std::move(name);
  s.kind = step_kind::parent;
  s.task = std::move(handler);
  s.input = std::move(input_json);
  s.finalize = std::move(finalize);
  d_.steps.push_back(std::move(s));
  return *this;
}

std::string workflow_builder::json() const {
  // The canonical form the execution stores, with the id in front when one is set.
  auto body = encode_workflow_definition(d_);
  if (!d_.id) return body;
  json_writer id;
  id.begin_object().key("id").value(*d_.id).end_object();
  auto text = id.str();
  text.pop_back();
  return text + "," + body.substr(1);
}

std::string workflow_builder::ref(std::string_view target) {
  return json_writer{}.begin_object().key("$ref").value(target).end_object().str();
}

}  // namespace dort
