#include "server/api.hpp"

#include <algorithm>
#include <cctype>
#include <memory>

#include "actors/json_reader.hpp"
#include "actors/json_writer.hpp"
#include "execution/event_hub.hpp"
#include "execution/event_sequencer.hpp"
#include "execution/execution_client.hpp"
#include "execution/execution_object.hpp"
#include "execution/task_metrics.hpp"
#include "runtime/runtime.hpp"
#include "server/percent_decode.hpp"

namespace dort::server {

namespace {

/// Splits "/a/b/c" into {"a","b","c"} (raw, not yet decoded); the query is cut off first.
std::vector<std::string> split_path(std::string_view target) {
  auto path = target.substr(0, target.find('?'));
  std::vector<std::string> segments;
  std::size_t i = path.starts_with('/') ? 1 : 0;
  while (i <= path.size()) {
    auto next = path.find('/', i);
    if (next == std::string_view::npos) next = path.size();
    segments.emplace_back(path.substr(i, next - i));
    i = next + 1;
  }
  return segments;
}

bool is_json_media_type(std::string_view content_type) {
  auto type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back())))
    type.remove_suffix(1);
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.front())))
    type.remove_prefix(1);
  std::string lower{type};
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower == "application/json";
}

/// Compares two strings in time independent of where they differ (tokens are secrets).
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

http_response error_response(const api_error& e) {
  http_response r{e.status, e.body(), "application/json", {}};
  if (e.retry_after_ms)
    r.headers.emplace_back("Retry-After", std::to_string((*e.retry_after_ms + 999) / 1'000));
  if (!e.allow.empty()) r.headers.emplace_back("Allow", e.allow);
  return r;
}

api::api(runtime& rt, api_options options, const task_metrics* tasks, event_hub* events)
    : rt_(rt), options_(std::move(options)), tasks_(tasks), events_(events) {}

std::map<unsigned, std::uint64_t> api::responses() const {
  std::lock_guard guard{responses_mutex_};
  return responses_;
}

void api::handle(const http_request& request, responder respond) {
  // Counts the request until its response leaves, whatever thread answers it.
  auto counted = [this, respond = std::move(respond)](http_response r) {
    {
      std::lock_guard guard{responses_mutex_};
      ++responses_[r.status];
    }
    inflight_.fetch_sub(1, std::memory_order_acq_rel);
    respond(std::move(r));
  };
  if (inflight_.fetch_add(1, std::memory_order_acq_rel) >= options_.max_inflight_requests) {
    counted(error_response(backpressure("the server has " +
                                            std::to_string(options_.max_inflight_requests) +
                                            " requests in flight, its limit",
                                        1'000)));
    return;
  }
  try {
    route(request, counted);
  } catch (const error& e) {
    counted(error_response(from_error(e)));
  } catch (const std::exception& e) {
    counted(error_response(api_error{500, "handler_error", e.what(), {}, std::nullopt, {}}));
  }
}

void api::route(const http_request& request, const responder& respond) {
  if (shutting_down_.load(std::memory_order_acquire)) {
    respond(error_response(shutting_down()));
    return;
  }
  auto segments = split_path(request.target);
  const bool healthz = segments.size() == 1 && segments[0] == "healthz";
  if (!healthz && !options_.token.empty()) {
    auto auth = request.authorization.value_or("");
    if (!auth.starts_with("Bearer ") || !same_secret(auth.substr(7), options_.token)) {
      respond(error_response(unauthorized()));
      return;
    }
  }
  if (healthz) {
    if (request.method != "GET") return respond(error_response(method_not_allowed("GET")));
    return respond({200, R"({"status":"ok"})", "application/json", {}});
  }
  if (segments.size() == 1 && segments[0] == "metrics") {
    if (request.method != "GET") return respond(error_response(method_not_allowed("GET")));
    return respond({200, metrics_text(), "text/plain; version=0.0.4", {}});
  }
  if (segments.size() >= 4 && segments[0] == "v1" && segments[1] == "executions")
    return executions(request, segments, respond);
  if (segments.size() == 5 && segments[0] == "v1" && segments[1] == "objects") {
    if (request.method != "POST") return respond(error_response(method_not_allowed("POST")));
    return objects(request, segments, respond);
  }
  respond(error_response(not_found()));
}

namespace {

/// A path segment percent-decoded and checked (1..256 bytes of UTF-8); throws `invalid_field`
/// naming it as `field`.
std::string path_segment(const std::string& raw, const std::string& field) {
  auto decoded = percent_decode(raw);
  if (!decoded || decoded->empty() || decoded->size() > max_object_name_bytes)
    throw error{errc::invalid_field,
                "the path segment '" + field + "' must be 1..256 bytes of percent-encoded UTF-8",
                field};
  return std::move(*decoded);
}

}  // namespace

std::optional<api_error> api::body_refused(const http_request& request) const {
  if (request.body_too_large || request.body.size() > options_.max_body_bytes)
    return too_large("the body is over " + std::to_string(options_.max_body_bytes) + " bytes");
  if (request.content_type && !is_json_media_type(*request.content_type))
    return unsupported_media_type();
  return std::nullopt;
}

void api::objects(const http_request& request, const std::vector<std::string>& segments,
                  const responder& respond) {
  const std::string decoded[3] = {path_segment(segments[2], "class"),
                                  path_segment(segments[3], "name"),
                                  path_segment(segments[4], "method")};
  // Executions are objects too, but are reached through their own routes and checks.
  if (!rt_.has_class(decoded[0]) || decoded[0] == execution_object::class_name)
    return respond(error_response(from_error(
        error{errc::unknown_class, "no object class '" + decoded[0] + "'", "class"})));
  if (!rt_.has_method(decoded[0], decoded[2]))
    return respond(error_response(from_error(error{
        errc::unknown_method, "class '" + decoded[0] + "' has no method '" + decoded[2] + "'",
        "method"})));
  if (auto refused = body_refused(request)) return respond(error_response(*refused));
  if (!request.body.empty()) json_object_reader validate{request.body};  // throws invalid_json
  auto stub = rt_.get(decoded[0], decoded[1]);
  stub.send(decoded[2], request.body, [respond](expected<std::string> reply) {
    if (reply)
      respond({200, std::move(reply).value(), "application/json", {}});
    else
      respond(error_response(from_error(reply.err())));
  });
}

namespace {

/// The query parameters of `target`, percent-decoded; nothing if one is badly encoded.
std::optional<std::map<std::string, std::string>> query_of(std::string_view target) {
  std::map<std::string, std::string> out;
  auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  auto query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq));
    auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (!key || !value) return std::nullopt;
    out[*key] = *value;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

/// The JSON payload of the execution's `list`/`dlq` methods from query parameters.
std::string list_payload(const std::map<std::string, std::string>& query, bool dead_letters) {
  json_writer out;
  out.begin_object();
  if (auto it = query.find("limit"); it != query.end()) {
    const auto& text = it->second;
    if (text.empty() || text.size() > 7 || text.find_first_not_of("0123456789") != std::string::npos)
      throw error{errc::invalid_field, "'limit' must be an integer in 1 .. 1000", "limit"};
    out.key("limit").value(static_cast<std::int64_t>(std::stoll(text)));
  }
  if (auto it = query.find("cursor"); it != query.end()) out.key("cursor").value(it->second);
  if (!dead_letters) {
    if (auto it = query.find("status"); it != query.end()) out.key("status").value(it->second);
    if (auto it = query.find("name"); it != query.end()) out.key("name").value(it->second);
  }
  out.end_object();
  return out.str();
}

}  // namespace

void api::executions(const http_request& request, const std::vector<std::string>& segments,
                     const responder& respond) {
  // Routes (API.md "Executions"): the path decides the route, then the method must match.
  //   tasks                 POST submit, GET list      tasks/{id}         GET
  //   tasks/batch           POST batch submit (GET addresses the task whose id is "batch")
  //   tasks/{id}            DELETE a finished task      dlq/purge          POST
  //   tasks/{id}/cancel     POST                       tasks/{id}/retry   POST
  //   dlq, metrics          GET                        config             GET, PUT
  //   schedules             GET                        schedules/{name}   GET, PUT, DELETE
  const auto& what = segments[3];
  std::string allow;
  std::string method;
  bool with_id = false;
  if (segments.size() == 4 && what == "tasks") {
    allow = "GET, POST";
    method = request.method == "POST" ? "submit" : request.method == "GET" ? "list" : "";
  } else if (segments.size() == 5 && what == "tasks" && segments[4] == "batch" &&
             request.method == "POST") {
    allow = "GET, POST";
    method = "batch";
  } else if (segments.size() == 5 && what == "tasks") {
    allow = segments[4] == "batch" ? "DELETE, GET, POST" : "DELETE, GET";
    method = request.method == "GET" ? "get" : request.method == "DELETE" ? "delete" : "";
    with_id = true;
  } else if (segments.size() == 5 && what == "dlq" && segments[4] == "purge") {
    allow = "POST";
    method = request.method == "POST" ? "purge" : "";
  } else if (segments.size() == 6 && what == "tasks" &&
             (segments[5] == "cancel" || segments[5] == "retry")) {
    allow = "POST";
    method = request.method == "POST" ? segments[5] : "";
    with_id = true;
  } else if (segments.size() == 6 && what == "tasks" && segments[5] == "events") {
    allow = "GET";
    method = request.method == "GET" ? "events" : "";
    with_id = true;
  } else if (segments.size() == 4 && (what == "dlq" || what == "metrics")) {
    allow = "GET";
    method = request.method == "GET" ? what : "";
  } else if (segments.size() == 4 && what == "schedules") {
    allow = "GET";
    method = request.method == "GET" ? "schedule_list" : "";
  } else if (segments.size() == 5 && what == "schedules") {
    allow = "DELETE, GET, PUT";
    method = request.method == "GET"    ? "schedule_get"
             : request.method == "PUT"  ? "schedule_put"
             : request.method == "DELETE" ? "schedule_delete"
                                          : "";
  } else if (segments.size() == 4 && what == "config") {
    allow = "GET, PUT";
    method = request.method == "PUT" ? "configure" : request.method == "GET" ? "config" : "";
  } else if (what == "workflows") {
    return workflows(request, segments, respond);
  } else {
    return respond(error_response(not_found()));
  }
  if (method.empty()) return respond(error_response(method_not_allowed(allow)));

  const auto exec = path_segment(segments[2], "name");
  const auto id = with_id ? path_segment(segments[4], "id") : std::string{};
  auto query = query_of(request.target);
  if (!query)
    return respond(error_response(invalid_field("a query parameter is badly encoded", "query")));
  if (method == "events") return task_events(exec, id, request, respond);

  std::string payload;
  if (method == "purge" || method == "schedule_list") {
    payload = "{}";
  } else if (method == "schedule_put" || method == "schedule_get" || method == "schedule_delete") {
    json_writer out;
    out.begin_object().key("name").value(path_segment(segments[4], "name"));
    if (method == "schedule_put") {
      if (auto refused = body_refused(request)) return respond(error_response(*refused));
      auto body = request.body.empty() ? std::string{"{}"} : request.body;
      json_object_reader validate{body};  // invalid_json, or invalid_field "$" for a non-object
      out.key("body").raw(body);
    }
    out.end_object();
    payload = out.str();
  } else if (method == "submit" || method == "batch" || method == "configure") {
    if (auto refused = body_refused(request)) return respond(error_response(*refused));
    payload = request.body.empty() ? std::string{"{}"} : request.body;
    json_object_reader validate{payload};  // invalid_json, or invalid_field "$" for a non-object
  } else if (with_id) {
    json_writer out;
    out.begin_object().key("id").value(id).end_object();
    payload = out.str();
  } else if (method == "list" || method == "dlq") {
    payload = list_payload(*query, method == "dlq");
  }
  auto stub = rt_.get(execution_object::class_name, exec);
  stub.send(method, payload, [respond, method](expected<std::string> reply) {
    if (!reply) return respond(error_response(from_error(reply.err())));
    if (method == "delete" || method == "schedule_delete")
      return respond({204, "", "application/json", {}});
    if (method != "submit") return respond({200, std::move(reply).value(), "application/json", {}});
    // {"created":bool,"task":record}, as the execution writes it → 201 with the new record, 200
    // with an existing one. Cut out as text: re-parsing would re-print the client's numbers.
    constexpr std::string_view created = R"({"created":true,"task":)";
    constexpr std::string_view existing = R"({"created":false,"task":)";
    const std::string& text = reply.value();
    const bool is_new = text.starts_with(created);
    const auto prefix = is_new ? created.size() : existing.size();
    respond({is_new ? 201u : 200u, text.substr(prefix, text.size() - prefix - 1),
             "application/json", {}});
  });
}

void api::workflows(const http_request& request, const std::vector<std::string>& segments,
                    const responder& respond) {
  // Routes (API.md "Workflows"), below /v1/executions/{exec}/workflows:
  //   (none)              POST create, GET list        {id}               GET, DELETE
  //   {id}/cancel         POST                         {id}/retry         POST
  //   {id}/events         POST send an event, GET the event stream
  //   {id}/steps/{name}   GET
  std::string allow;
  std::string method;
  const auto n = segments.size();
  const auto& m = request.method;
  if (n == 4) {
    allow = "GET, POST";
    method = m == "POST" ? "workflow_create" : m == "GET" ? "workflow_list" : "";
  } else if (n == 5) {
    allow = "DELETE, GET";
    method = m == "GET" ? "workflow_get" : m == "DELETE" ? "workflow_delete" : "";
  } else if (n == 6 && (segments[5] == "cancel" || segments[5] == "retry")) {
    allow = "POST";
    method = m == "POST" ? "workflow_" + segments[5] : "";
  } else if (n == 6 && segments[5] == "events") {
    allow = "GET, POST";
    method = m == "POST" ? "workflow_event" : m == "GET" ? "events" : "";
  } else if (n == 7 && segments[5] == "steps") {
    allow = "GET";
    method = m == "GET" ? "workflow_step" : "";
  } else {
    return respond(error_response(not_found()));
  }
  if (method.empty()) return respond(error_response(method_not_allowed(allow)));
  const auto exec = path_segment(segments[2], "name");
  const auto id = n >= 5 ? path_segment(segments[4], "id") : std::string{};
  auto query = query_of(request.target);
  if (!query)
    return respond(error_response(invalid_field("a query parameter is badly encoded", "query")));
  if (method == "events") return task_events(exec, id, request, respond, true);

  json_writer out;
  out.begin_object();
  if (n >= 5) out.key("id").value(id);
  if (method == "workflow_create" || method == "workflow_event") {
    if (auto refused = body_refused(request)) return respond(error_response(*refused));
    auto body = request.body.empty() ? std::string{"{}"} : request.body;
    if (method == "workflow_create") {
      json_object_reader validate{body};  // invalid_json, or invalid_field "$" for a non-object
      auto payload = std::move(body);
      return send_workflow(exec, method, std::move(payload), respond);
    }
    // The event's body is read by the execution after the workflow is found (404 comes first).
    out.key("body").value(body);
  } else if (method == "workflow_get") {
    if (auto it = query->find("waitMs"); it != query->end()) {
      const auto& text = it->second;
      if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos ||
          std::stoll(text) > 60'000)
        return respond(error_response(invalid_field("'waitMs' must be an integer in 0 .. 60000",
                                                    "waitMs")));
      out.key("waitMs").value(static_cast<std::int64_t>(std::stoll(text)));
    }
  } else if (method == "workflow_step") {
    out.key("name").value(path_segment(segments[6], "name"));
  } else if (method == "workflow_list") {
    if (auto it = query->find("limit"); it != query->end()) {
      const auto& text = it->second;
      if (text.empty() || text.size() > 7 || text.find_first_not_of("0123456789") != std::string::npos)
        throw error{errc::invalid_field, "'limit' must be an integer in 1 .. 1000", "limit"};
      out.key("limit").value(static_cast<std::int64_t>(std::stoll(text)));
    }
    if (auto it = query->find("cursor"); it != query->end()) out.key("cursor").value(it->second);
    if (auto it = query->find("status"); it != query->end()) out.key("status").value(it->second);
  }
  out.end_object();
  send_workflow(exec, method, out.str(), respond);
}

void api::send_workflow(const std::string& exec, const std::string& method, std::string payload,
                        const responder& respond) {
  auto stub = rt_.get(execution_object::class_name, exec);
  stub.send(method, payload, [respond, method](expected<std::string> reply) {
    if (!reply) return respond(error_response(from_error(reply.err())));
    if (method == "workflow_delete") return respond({204, "", "application/json", {}});
    if (method == "workflow_event")
      return respond({202, std::move(reply).value(), "application/json", {}});
    if (method != "workflow_create")
      return respond({200, std::move(reply).value(), "application/json", {}});
    // {"created":bool,"workflow":record} → 201 with a new record, 200 with an existing one.
    constexpr std::string_view created = R"({"created":true,"workflow":)";
    constexpr std::string_view existing = R"({"created":false,"workflow":)";
    const std::string& text = reply.value();
    const bool is_new = text.starts_with(created);
    const auto prefix = is_new ? created.size() : existing.size();
    respond({is_new ? 201u : 200u, text.substr(prefix, text.size() - prefix - 1),
             "application/json", {}});
  });
}

namespace {

/// The event stream of one task (API.md): stored events after the client's last one, then live
/// ones as they become durable, each once and in order, ending after the task's final event.
/// It subscribes to the hub before the stored events are read, so that none falls between; live
/// events that come before the stream has started wait, and anything already sent is skipped.
class task_event_stream : public stream_source,
                          public std::enable_shared_from_this<task_event_stream> {
 public:
  /// `workflow`: the stream of a workflow (API.md's workflow events), which also ends after
  /// `timed_out`; else of a task.
  task_event_stream(event_hub& hub, std::uint32_t after, bool workflow = false)
      : hub_(hub), workflow_(workflow), events_(after, [this](const task_event& e) { deliver(e); }) {}
  ~task_event_stream() override { unsubscribe(); }

  void subscribe(const std::string& exec, const std::string& id) {
    std::weak_ptr<task_event_stream> weak = shared_from_this();
    subscription_ = hub_.subscribe(exec, id, [weak](const task_event& e) {
      if (auto self = weak.lock()) self->events_.live(e);
    });
  }

  /// What the execution had stored, and whether the task was final then. Called before `start`
  /// (the response that starts the stream is sent after it).
  void stored(std::vector<task_event> events, bool final) {
    stored_ = std::move(events);
    final_ = final;
  }

  void start(std::function<void(std::string)> write, std::function<void()> end) override {
    {
      std::lock_guard guard{mutex_};
      write_ = std::move(write);
      end_ = std::move(end);
    }
    events_.replay(stored_);
    // A final task with nothing after the client's last event: the stream is complete already.
    std::lock_guard guard{mutex_};
    if (final_) finish();
  }

  void stop() override {
    {
      std::lock_guard guard{mutex_};
      ended_ = true;
      write_ = nullptr;
      end_ = nullptr;
    }
    unsubscribe();  // outside the lock: the hub calls `live` under its own lock
  }

 private:
  void deliver(const task_event& e) {
    std::lock_guard guard{mutex_};
    if (ended_) return;
    write_("id: " + std::to_string(e.seq) + "\nevent: " + e.type + "\ndata: " + e.json + "\n\n");
    if (e.type == "complete" || e.type == "error" || e.type == "cancelled" ||
        (workflow_ && e.type == "timed_out"))
      finish();
  }

  void finish() {
    if (ended_) return;
    ended_ = true;
    if (end_) end_();
  }

  void unsubscribe() {
    if (subscription_) hub_.unsubscribe(*subscription_);
    subscription_.reset();
  }

  event_hub& hub_;
  const bool workflow_;
  std::optional<event_hub::subscription> subscription_;
  event_sequencer events_;
  std::vector<task_event> stored_;
  bool final_ = false;
  /// Guards the output side: the connection's functions and whether the stream has ended.
  std::mutex mutex_;
  bool ended_ = false;
  std::function<void(std::string)> write_;
  std::function<void()> end_;
};

/// Reads a task's stored events page after page (each page one bounded message of the
/// execution), then starts the stream. Each reply holds the reader until the next page is asked.
class stored_event_reader : public std::enable_shared_from_this<stored_event_reader> {
 public:
  /// `method`: the execution's method that reads a page ("events", "workflow_events").
  stored_event_reader(object_stub execution, std::string method, std::string id,
                      std::shared_ptr<task_event_stream> stream, api::responder respond)
      : execution_(std::move(execution)),
        method_(std::move(method)),
        id_(std::move(id)),
        stream_(std::move(stream)),
        respond_(std::move(respond)) {}

  void read(std::uint32_t after) {
    execution_.send(method_, events_request(id_, after),
                    [self = shared_from_this()](expected<std::string> reply) {
                      self->on_page(std::move(reply));
                    });
  }

 private:
  void on_page(expected<std::string> reply) {
    if (!reply) {
      stream_->stop();
      return respond_(error_response(from_error(reply.err())));
    }
    auto page = read_event_page(reply.value());
    for (auto& e : page.events) events_.push_back(std::move(e));
    if (page.more && !page.events.empty()) return read(events_.back().seq);
    stream_->stored(std::move(events_), page.final);
    http_response r{200, {}, "text/event-stream", {{"Cache-Control", "no-cache"}}};
    r.stream = stream_;
    respond_(std::move(r));
  }

  object_stub execution_;
  std::string method_;
  std::string id_;
  std::shared_ptr<task_event_stream> stream_;
  api::responder respond_;
  std::vector<task_event> events_;
};

std::optional<std::uint32_t> parse_seq(const std::string& text) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return static_cast<std::uint32_t>(std::stoul(text));
}

}  // namespace

void api::task_events(const std::string& exec, const std::string& id,
                      const http_request& request, const responder& respond, bool workflow) {
  std::uint32_t after = 0;
  auto query = query_of(request.target).value_or(std::map<std::string, std::string>{});
  if (request.last_event_id) {
    auto seq = parse_seq(*request.last_event_id);
    if (!seq)
      return respond(error_response(invalid_field("Last-Event-ID must be a sequence number",
                                                  "Last-Event-ID")));
    after = *seq;
  } else if (auto it = query.find("lastSeq"); it != query.end()) {
    auto seq = parse_seq(it->second);
    if (!seq)
      return respond(error_response(invalid_field("'lastSeq' must be a sequence number", "lastSeq")));
    after = *seq;
  }
  if (events_ == nullptr) return respond(error_response(not_found()));
  auto stream = std::make_shared<task_event_stream>(*events_, after, workflow);
  // A workflow's events are published under "#id" (task ids never start with '#').
  stream->subscribe(exec, workflow ? "#" + id : id);
  std::make_shared<stored_event_reader>(rt_.get(execution_object::class_name, exec),
                                        workflow ? "workflow_events" : "events", id, stream,
                                        respond)
      ->read(after);
}

std::string api::metrics_text() const {
  auto s = rt_.stats();
  std::string out;
  auto metric = [&](std::string_view name, std::string_view type, std::string_view help,
                    auto value) {
    out += "# HELP " + std::string{name} + " " + std::string{help} + "\n";
    out += "# TYPE " + std::string{name} + " " + std::string{type} + "\n";
    out += std::string{name} + " " + std::to_string(value) + "\n";
  };
  metric("dort_objects_active", "gauge", "objects in memory now", s.objects_active);
  metric("dort_messages_total", "counter", "messages handled by objects", s.messages);
  metric("dort_storage_commits_total", "counter", "storage write transactions committed",
         s.commits);
  metric("dort_alarms_pending", "gauge", "alarms set and not yet fired successfully",
         s.alarms_pending);
  metric("dort_alarms_fired_total", "counter", "alarm handler runs (retries included)",
         s.alarm_runs);
  auto histogram = [&](std::string_view name, std::string_view help,
                       const latency_histogram::snapshot& h) {
    out += "# HELP " + std::string{name} + " " + std::string{help} + "\n";
    out += "# TYPE " + std::string{name} + " histogram\n";
    for (std::size_t i = 0; i < latency_histogram::bounds_s.size(); ++i) {
      char le[32];
      std::snprintf(le, sizeof le, "%g", latency_histogram::bounds_s[i]);
      out += std::string{name} + "_bucket{le=\"" + le + "\"} " + std::to_string(h.cumulative[i]) +
             "\n";
    }
    out += std::string{name} + "_bucket{le=\"+Inf\"} " + std::to_string(h.count) + "\n";
    char sum[64];
    std::snprintf(sum, sizeof sum, "%.9g", h.sum_s);
    out += std::string{name} + "_sum " + sum + "\n";
    out += std::string{name} + "_count " + std::to_string(h.count) + "\n";
  };
  histogram("dort_storage_commit_seconds", "time of one commit, fsync included",
            rt_.commit_times());
  histogram("dort_alarm_lateness_seconds", "handler start minus scheduled time, per run",
            rt_.alarm_lateness());
  if (tasks_) {
    metric("dort_tasks_submitted_total", "counter", "tasks created", tasks_->submitted.load());
    metric("dort_tasks_completed_total", "counter", "tasks that reached completed",
           tasks_->completed.load());
    metric("dort_tasks_failed_total", "counter", "tasks that reached failed", tasks_->failed.load());
    metric("dort_tasks_retries_total", "counter", "retries scheduled after a failed attempt",
           tasks_->retries.load());
    metric("dort_tasks_rate_limited_total", "counter", "times a task was held back by its rate limit",
           tasks_->rate_limited.load());
    metric("dort_tasks_running", "gauge", "attempts running now", tasks_->running.load());
    metric("dort_tasks_queued", "gauge", "tasks pending or rate_limited now", tasks_->queued.load());
    metric("dort_schedule_runs_skipped_total", "counter",
           "schedule runs skipped because the queue was full", tasks_->schedule_runs_skipped.load());
    metric("dort_http_circuit_open", "gauge", "(execution, host) circuits of http tasks open now",
           tasks_->circuits_open.load());
    metric("dort_workflows_created_total", "counter", "workflows created",
           tasks_->workflows_created.load());
    metric("dort_workflows_completed_total", "counter", "workflows that reached completed",
           tasks_->workflows_completed.load());
    metric("dort_workflows_failed_total", "counter", "workflows that reached failed",
           tasks_->workflows_failed.load());
    metric("dort_workflows_active", "gauge", "workflows running or waiting now",
           tasks_->workflows_active.load());
  }
  out += "# HELP dort_http_requests_total HTTP responses by status code\n";
  out += "# TYPE dort_http_requests_total counter\n";
  for (auto& [code, n] : responses())
    out += "dort_http_requests_total{code=\"" + std::to_string(code) + "\"} " +
           std::to_string(n) + "\n";
  return out;
}

}  // namespace dort::server
