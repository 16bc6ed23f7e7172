#include "execution/execution_client.hpp"


#include "actors/json_reader.hpp"
#include "actors/json_writer.hpp"
#include "execution/execution_object.hpp"
#include "execution/task_services.hpp"
#include "runtime/runtime.hpp"

namespace dort {

namespace {

std::string id_payload(std::string_view id) {
  json_writer out;
  out.begin_object().key("id").value(id).end_object();
  return out.str();
}

task_page read_page(const std::string& reply) {
  json_object_reader in{reply};
  task_page page;
  for (auto& item : json_array_items(*in.raw("tasks"))) page.tasks.push_back(decode_task(item));
  if (!in.is_null("nextCursor")) page.next_cursor = in.string("nextCursor");
  return page;
}

std::vector<task_event> read_events(const std::string& array) {
  std::vector<task_event> events;
  for (auto& item : json_array_items(array)) {
    json_object_reader e{item};
    events.push_back(task_event{static_cast<std::uint32_t>(e.required_int64("seq")),
                                e.required_string("type"), item});
  }
  return events;
}

}  // namespace

std::string config_override_json(const task_config_override& o) {
  json_writer out;
  out.begin_object();
  if (o.max_retries) out.key("maxRetries").value(*o.max_retries);
  if (o.initial_retry_delay_ms) out.key("initialRetryDelay").value(*o.initial_retry_delay_ms);
  if (o.max_retry_delay_ms) out.key("maxRetryDelay").value(*o.max_retry_delay_ms);
  if (o.backoff_multiplier) out.key("backoffMultiplier").value(*o.backoff_multiplier);
  if (o.timeout_ms) out.key("timeout").value(*o.timeout_ms);
  if (o.rate_limit) {
    out.key("rateLimit");
    if (*o.rate_limit)
      out.begin_object()
          .key("maxExecutions").value((*o.rate_limit)->max_executions)
          .key("windowMs").value((*o.rate_limit)->window_ms)
          .end_object();
    else
      out.null();
  }
  out.end_object();
  return out.str();
}

execution_client::execution_client(runtime& rt, std::string_view execution,
                                   std::string_view class_name)
    : stub_(rt.get(class_name, execution)) {}

namespace {

/// The submit body of `r` (API.md's Submit).
std::string submit_body(const task_request& r) {
  json_writer out;
  out.begin_object().key("name").value(r.name);
  if (r.id) out.key("id").value(*r.id);
  if (r.input_json) out.key("input").raw(*r.input_json);
  if (r.priority != 0) out.key("priority").value(r.priority);
  if (r.idempotency_key) out.key("idempotencyKey").value(*r.idempotency_key);
  if (r.delay_ms != 0) out.key("delayMs").value(r.delay_ms);
  if (r.metadata_json) out.key("metadata").raw(*r.metadata_json);
  if (r.group) out.key("group").value(*r.group);
  if (r.config) out.key("config").raw(config_override_json(*r.config));
  out.end_object();
  return out.str();
}

/// The code named `name` (as `code_name` writes it); `handler_error` for a name it never writes.
errc code_of_name(std::string_view name) {
  for (int c = static_cast<int>(errc::invalid_json); c <= static_cast<int>(errc::timeout); ++c)
    if (code_name(static_cast<errc>(c)) == name) return static_cast<errc>(c);
  return errc::handler_error;
}

}  // namespace

submit_result execution_client::submit(const task_request& r) const {
  json_object_reader in{stub_.call("submit", submit_body(r))};
  return submit_result{decode_task(*in.raw("task")), *in.boolean("created")};
}

std::vector<expected<submit_result>> execution_client::submit_batch(
    const std::vector<task_request>& requests) const {
  json_writer out;
  out.begin_object().key("tasks").begin_array();
  for (const auto& r : requests) out.raw(submit_body(r));
  out.end_array().end_object();
  json_object_reader in{stub_.call("batch", out.str())};
  std::vector<expected<submit_result>> results;
  for (const auto& item : json_array_items(*in.raw("results"), "results")) {
    json_object_reader entry{item};
    if (auto task = entry.raw("task")) {
      results.emplace_back(submit_result{decode_task(*task), entry.int64("status") == 201});
    } else {
      json_object_reader e{*entry.raw("error"), "error"};
      results.emplace_back(error{code_of_name(e.required_string("code")),
                                 e.required_string("message"), e.string("field").value_or("")});
    }
  }
  return results;
}

task_record execution_client::get(std::string_view id) const {
  return decode_task(stub_.call("get", id_payload(id)));
}

task_record execution_client::cancel(std::string_view id) const {
  return decode_task(stub_.call("cancel", id_payload(id)));
}

task_record execution_client::retry(std::string_view id) const {
  return decode_task(stub_.call("retry", id_payload(id)));
}

void execution_client::remove(std::string_view id) const {
  stub_.call("delete", id_payload(id));
}

std::int64_t execution_client::purge_dead_letters() const {
  return json_object_reader{stub_.call("purge", "{}")}.required_int64("deleted");
}

task_page execution_client::list(const task_query& q) const {
  json_writer out;
  out.begin_object().key("limit").value(q.limit);
  if (q.status) out.key("status").value(status_name(*q.status));
  if (q.name) out.key("name").value(*q.name);
  if (q.cursor) out.key("cursor").value(*q.cursor);
  out.end_object();
  return read_page(stub_.call("list", out.str()));
}

task_page execution_client::dlq(std::int64_t limit, std::optional<std::string> cursor) const {
  json_writer out;
  out.begin_object().key("limit").value(limit);
  if (cursor) out.key("cursor").value(*cursor);
  out.end_object();
  return read_page(stub_.call("dlq", out.str()));
}

execution_metrics execution_client::metrics() const {
  json_object_reader in{stub_.call("metrics", "{}")};
  return execution_metrics{in.required_int64("total"),     in.required_int64("pending"),
                           in.required_int64("running"),   in.required_int64("completed"),
                           in.required_int64("failed"),    in.required_int64("cancelled"),
                           in.required_int64("rateLimited"), *in.number("averageDuration"),
                           *in.number("averageRetries")};
}

execution_settings execution_client::configure(const std::optional<task_config_override>& defaults,
                                               std::optional<std::int64_t> concurrency) const {
  json_writer out;
  out.begin_object();
  if (defaults) out.key("config").raw(config_override_json(*defaults));
  if (concurrency) out.key("concurrency").value(*concurrency);
  out.end_object();
  return update_settings(out.str());
}

execution_settings execution_client::update_settings(std::string_view settings_json) const {
  execution_settings s;
  merge_settings(s, stub_.call("configure", settings_json));
  return s;
}

execution_settings execution_client::settings() const {
  execution_settings s;
  merge_settings(s, stub_.call("config", "{}"));
  return s;
}

namespace {

std::string schedule_request(std::string_view name, std::optional<std::string_view> body = {}) {
  json_writer out;
  out.begin_object().key("name").value(name);
  if (body) out.key("body").raw(*body);
  out.end_object();
  return out.str();
}

}  // namespace

schedule_record execution_client::put_schedule(std::string_view name,
                                               std::string_view body_json) const {
  json_object_reader{body_json};  // a JSON object, or invalid_json / invalid_field "$"
  return decode_schedule(stub_.call("schedule_put", schedule_request(name, body_json)));
}

schedule_record execution_client::schedule(std::string_view name) const {
  return decode_schedule(stub_.call("schedule_get", schedule_request(name)));
}

std::vector<schedule_record> execution_client::schedules() const {
  json_object_reader in{stub_.call("schedule_list", "{}")};
  std::vector<schedule_record> all;
  for (auto& item : json_array_items(*in.raw("schedules"), "schedules"))
    all.push_back(decode_schedule(item));
  return all;
}

void execution_client::delete_schedule(std::string_view name) const {
  stub_.call("schedule_delete", schedule_request(name));
}

std::string events_request(std::string_view id, std::uint32_t after) {
  json_writer out;
  out.begin_object().key("id").value(id).key("after").value(static_cast<std::int64_t>(after));
  out.end_object();
  return out.str();
}

event_page read_event_page(std::string_view reply) {
  json_object_reader in{reply};
  return event_page{read_events(*in.raw("events")), in.boolean("final").value_or(false),
                    in.boolean("more").value_or(false)};
}

event_batch execution_client::events(std::string_view id, std::uint32_t after) const {
  // Page after page: one message of the execution reads a bounded number of events.
  event_batch batch{{}, false};
  for (;;) {
    auto page = read_event_page(stub_.call("events", events_request(id, after)));
    batch.final = page.final;
    if (!page.events.empty()) after = page.events.back().seq;
    for (auto& e : page.events) batch.events.push_back(std::move(e));
    if (!page.more || page.events.empty()) return batch;
  }
}

// -- task_watch ---------------------------------------------------------------------------------

task_watch::task_watch(const execution_client& client, task_services& services,
                       std::string_view id, std::uint32_t after,
                       std::function<void(const task_event&)> on_event)
    : events_(std::make_shared<event_sequencer>(after, std::move(on_event))),
      hub_(services.events) {
  // Subscribe before reading what is stored, so that no event falls between the two.
  subscription_ = hub_.subscribe(client.stub().name(), id,
                                 [s = events_](const task_event& e) { s->live(e); });
  try {
    events_->replay(client.events(id, after).events);
  } catch (...) {
    hub_.unsubscribe(subscription_);
    throw;
  }
}

task_watch::~task_watch() {
  hub_.unsubscribe(subscription_);
}

}  // namespace dort
