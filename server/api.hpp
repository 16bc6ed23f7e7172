// The HTTP API of API.md, apart from HTTP itself: a request goes in, a response comes out (now
// or later, from another thread). Checks run in API.md's order: in-flight limit → shutdown → auth
// → route (404) → method (405) → path segments (400) → class (404) → body size (413) → media
// type (415) → the body is valid JSON (400) → the operation. Knows nothing of sockets, so tests
// and fuzzers feed it requests directly.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/api_error.hpp"

namespace dort {
class runtime;
struct task_metrics;
class event_hub;
}

namespace dort::server {

struct http_request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query
  std::optional<std::string> content_type;
  std::optional<std::string> authorization;
  /// The Last-Event-ID header of an event-stream client that reconnects.
  std::optional<std::string> last_event_id;
  std::string body;
  /// The body was longer than the limit (and was not read whole).
  bool body_too_large = false;
};

/// A response body that comes in pieces over time (server-sent events). The connection calls
/// `start` once the head is written, with functions to write a piece and to end the stream (both
/// callable from any thread), and `stop` when the connection goes (the client left, or the server
/// stops); after `stop` the functions do nothing.
class stream_source {
 public:
  virtual ~stream_source() = default;
  virtual void start(std::function<void(std::string)> write, std::function<void()> end) = 0;
  virtual void stop() = 0;
};

struct http_response {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  /// Set for a streamed body (then `body` is empty and the connection closes at its end).
  std::shared_ptr<stream_source> stream = {};
};

struct api_options {
  /// Bearer token; empty = no auth.
  std::string token;
  std::size_t max_body_bytes = 1'048'576;
  std::size_t max_inflight_requests = 10'000;
};

class api {
 public:
  using responder = std::function<void(http_response)>;

  /// `tasks` (may be null) feeds the dort_tasks_* metrics; `events` (may be null) the task event
  /// streams.
  api(runtime& rt, api_options options, const task_metrics* tasks = nullptr,
      event_hub* events = nullptr);

  /// Answers `request` through `respond`, exactly once, possibly later and on another thread.
  void handle(const http_request& request, responder respond);

  /// From now on, new requests get 503 shutting_down.
  void begin_shutdown() { shutting_down_.store(true, std::memory_order_release); }

  /// Requests being handled now.
  std::size_t inflight() const { return inflight_.load(std::memory_order_acquire); }

  /// Responses so far, by status code.
  std::map<unsigned, std::uint64_t> responses() const;

 private:
  void route(const http_request& request, const responder& respond);
  void objects(const http_request& request, const std::vector<std::string>& segments,
               const responder& respond);
  void executions(const http_request& request, const std::vector<std::string>& segments,
                  const responder& respond);
  /// The routes below an execution's `workflows`.
  void workflows(const http_request& request, const std::vector<std::string>& segments,
                 const responder& respond);
  void send_workflow(const std::string& exec, const std::string& method, std::string payload,
                     const responder& respond);
  /// The event stream of task `id`, or with `workflow` of workflow `id`.
  void task_events(const std::string& exec, const std::string& id, const http_request& request,
                   const responder& respond, bool workflow = false);
  /// The error for a body over the limit or of another media type, if any.
  std::optional<api_error> body_refused(const http_request& request) const;
  std::string metrics_text() const;

  runtime& rt_;
  const api_options options_;
  const task_metrics* tasks_;
  event_hub* events_;
  std::atomic<std::size_t> inflight_{0};
  std::atomic<bool> shutting_down_{false};
  mutable std::mutex responses_mutex_;
  std::map<unsigned, std::uint64_t> responses_;
};

/// The response for an error.
http_response error_response(const api_error& e);

}  // namespace dort::server
