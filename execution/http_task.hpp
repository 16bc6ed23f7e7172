// The built-in `http` task of API.md: each attempt makes one HTTP call through libcurl, on one
// event-loop thread for all calls (curl_loop), so calls in flight hold no thread each.
// Guaranteed: the input is checked at submit; 2xx completes with {"status", "body"}; 408, 429,
// 5xx, connection errors and the task's timeout fail the attempt retryably; other 3xx/4xx, more
// than `max_redirects` redirects and a body the output cannot hold fail the task permanently.
// Not guaranteed: a call still in flight when the handler is destroyed (server stop) is never
// reported; the execution attempts it again after the next start, as after a crash.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dort {

class task_services;

/// Registers the `http` task handler in `services`. The handler owns its libcurl loop, which
/// stops with `services.handlers`: calls in flight then are dropped without a report.
void add_http_handler(task_services& services);

/// Checks an `http` task's input as submit does; throws `dort::error` `invalid_field` naming the
/// field ("input.url", "input.method", "input.headers", "input.body").
void check_http_input(std::string_view input_json);

/// The host an `http` task's input calls, as its circuit is named: "scheme://host:port" in lower
/// case, the port given or the scheme's default. Nothing if the input has no valid URL.
std::optional<std::string> http_circuit_host(std::string_view input_json);

}  // namespace dort
