// A workflow described in C++ instead of JSON: each call adds a step (or sets a field) of
// API.md's create body, and `json()` gives that body for `workflow_client::create`. The
// execution checks it whole when it is created, as it checks a body sent over HTTP; the builder
// checks nothing itself. Inputs and values are JSON text and may hold references: `ref("fetch")`
// is `{"$ref":"fetch"}`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "execution/execution_client.hpp"
#include "execution/workflow_definition.hpp"

namespace dort {

class workflow_builder {
 public:
  workflow_builder& id(std::string id);
  workflow_builder& input(std::string json);
  workflow_builder& metadata(std::string json);
  workflow_builder& priority(std::int64_t priority);
  workflow_builder& group(std::string group);
  /// Task config for every step, over the execution's defaults.
  workflow_builder& config(const task_config_override& config);
  workflow_builder& timeout_ms(std::int64_t ms);

  /// A `task` step running `handler`; `go_on` is `onError: "continue"`.
  workflow_builder& task(std::string name, std::string handler,
                         std::optional<std::string> input_json = {}, bool go_on = false);
  workflow_builder& sleep_ms(std::string name, std::int64_t ms);
  workflow_builder& sleep_until(std::string name, std::int64_t at_ms);
  /// An `event` step waiting for `type`; `go_on` is `onTimeout: "continue"`.
  workflow_builder& event(std::string name, std::string type,
                          std::optional<std::int64_t> timeout_ms = {}, bool go_on = false);
  workflow_builder& set(std::string name, std::string value_json);
  /// A `parent` step with its children given here.
  workflow_builder& parent(std::string name, std::vector<step_task> children,
                           std::optional<step_task> finalize = {});
  /// A `parent` step whose task's output names the children.
  workflow_builder& parent_task(std::string name, std::string handler,
                                std::optional<std::string> input_json = {},
                                std::optional<step_task> finalize = {});

  /// API.md's create body.
  std::string json() const;

  /// `{"$ref": target}`: "$input", "step" or "step#/json/pointer".
  static std::string ref(std::string_view target);

 private:
  workflow_definition d_;
};

}  // namespace dort
