#include "execution/workflow_client.hpp"

#include "actors/json_reader.hpp"
#include "actors/json_writer.hpp"
#include "runtime/runtime.hpp"

namespace dort {

namespace {

std::string id_payload(std::string_view id) {
  return json_writer{}.begin_object().key("id").value(id).end_object().str();
}

}  // namespace

workflow_view read_workflow_view(std::string_view json) {
  json_object_reader in{json};
  workflow_view v;
  v.id = in.required_string("id");
  v.status = in.required_string("status");
  v.current_step = in.string("currentStep");
  v.output_json = in.raw("output");
  if (auto e = in.raw("error")) {
    json_object_reader error{*e, "error"};
    v.error_step = error.string("step");
    v.error_message = error.string("message");
  }
  for (const auto& item : json_array_items(in.raw("steps").value_or("[]"), "steps")) {
    json_object_reader s{item, "step"};
    v.steps.push_back({s.required_string("name"), s.required_string("kind"),
                       s.required_string("status"), s.string("taskId"), s.string("error")});
  }
  v.json = std::string{json};
  return v;
}

workflow_client::workflow_client(runtime& rt, std::string_view execution,
                                 std::string_view class_name)
    : stub_(rt.get(class_name, execution)) {}

workflow_view workflow_client::create(std::string_view body_json, bool* created) const {
  json_object_reader in{stub_.call("workflow_create", body_json)};
  if (created) *created = in.boolean("created").value_or(false);
  return read_workflow_view(in.raw("workflow").value_or("{}"));
}

workflow_view workflow_client::get(std::string_view id, std::int64_t wait_ms) const {
  json_writer out;
  out.begin_object().key("id").value(id);
  if (wait_ms > 0) out.key("waitMs").value(wait_ms);
  out.end_object();
  return read_workflow_view(stub_.call("workflow_get", out.str()));
}

std::string workflow_client::step(std::string_view id, std::string_view name) const {
  return stub_.call("workflow_step",
                    json_writer{}.begin_object().key("id").value(id).key("name").value(name)
                        .end_object().str());
}

std::string workflow_client::list(std::optional<std::string> status, std::int64_t limit,
                                  std::optional<std::string> cursor) const {
  json_writer out;
  out.begin_object().key("limit").value(limit);
  if (status) out.key("status").value(*status);
  if (cursor) out.key("cursor").value(*cursor);
  out.end_object();
  return stub_.call("workflow_list", out.str());
}

bool workflow_client::send_event(std::string_view id, std::string_view type,
                                 std::string_view payload_json) const {
  json_writer body;
  body.begin_object().key("type").value(type).key("payload").raw(payload_json).end_object();
  json_writer out;
  out.begin_object().key("id").value(id).key("body").value(body.str()).end_object();
  return json_object_reader{stub_.call("workflow_event", out.str())}.boolean("delivered").value_or(
      false);
}

workflow_view workflow_client::cancel(std::string_view id) const {
  return read_workflow_view(stub_.call("workflow_cancel", id_payload(id)));
}

workflow_view workflow_client::retry(std::string_view id) const {
  return read_workflow_view(stub_.call("workflow_retry", id_payload(id)));
}

void workflow_client::remove(std::string_view id) const {
  stub_.call("workflow_delete", id_payload(id));
}

std::string workflow_client::events(std::string_view id, std::uint32_t after) const {
  return stub_.call("workflow_events", json_writer{}
                                           .begin_object()
                                           .key("id")
                                           .value(id)
                                           .key("after")
                                           .value(static_cast<std::int64_t>(after))
                                           .end_object()
                                           .str());
}

}  // namespace dort
