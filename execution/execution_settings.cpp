#include "execution/execution_settings.hpp"

#include "actors/json_reader.hpp"
#include "persistence/error.hpp"

namespace dort {

namespace {

/// Largest per-group `concurrency` and `maxQueued`.
constexpr std::int64_t max_group_bound = 1'000'000'000;

/// Reads `field` of `in` as an optional bound: absent leaves `target`, null clears it, else an
/// integer in low .. high.
void read_nullable_int(const json_object_reader& in, std::string_view field,
                       std::optional<std::int64_t>& target, std::int64_t low, std::int64_t high) {
  if (!in.has(field)) return;
  if (in.is_null(field)) {
    target.reset();
    return;
  }
  target = in.in_range(field, *in.int64(field), low, high);
}

void throw_not_object(const json_object_reader& in, std::string_view field) {
  throw error{errc::invalid_field, "'" + in.field_name(field) + "' must be an object",
              in.field_name(field)};
}

void merge_groups(group_limits& groups, const json_object_reader& in) {
  in.allow_only({"concurrency", "rateLimit", "maxQueued"});
  read_nullable_int(in, "concurrency", groups.concurrency, 1, max_group_bound);
  read_nullable_int(in, "maxQueued", groups.max_queued, 1, max_group_bound);
  if (in.is_null("rateLimit")) {
    groups.rate_limit.reset();
  } else if (auto raw = in.raw("rateLimit")) {
    groups.rate_limit = read_rate_limit(*raw, in.field_name("rateLimit"));
  }
}

void merge_retention(retention_policy& retention, const json_object_reader& in) {
  in.allow_only({"completedMs", "failedMs"});
  if (auto v = in.int64("completedMs"))
    retention.completed_ms = in.in_range("completedMs", *v, 0, max_retention_ms);
  if (auto v = in.int64("failedMs"))
    retention.failed_ms = in.in_range("failedMs", *v, 0, max_retention_ms);
}

void merge_circuit_breaker(circuit_breaker_policy& breaker, const json_object_reader& in) {
  in.allow_only({"failureThreshold", "openMs"});
  if (auto v = in.int64("failureThreshold"))
    breaker.failure_threshold = in.in_range("failureThreshold", *v, 1, 1'000);
  if (auto v = in.int64("openMs")) breaker.open_ms = in.in_range("openMs", *v, 1, 86'400'000);
}

void write_rate_limit(json_writer& out, const dort::rate_limit& limit) {
  out.begin_object()
      .key("maxExecutions").value(limit.max_executions)
      .key("windowMs").value(limit.window_ms)
      .end_object();
}

void write_nullable(json_writer& out, std::string_view key, const std::optional<std::int64_t>& v) {
  out.key(key);
  if (v)
    out.value(*v);
  else
    out.null();
}

}  // namespace

void merge_settings(execution_settings& settings, std::string_view json) {
  json_object_reader in{json};
  in.allow_only({"config", "concurrency", "groups", "retention", "circuitBreaker"});
  execution_settings out = settings;
  if (in.has("config")) {
    if (in.is_null("config")) throw_not_object(in, "config");
    merge_config(out.defaults, *in.raw("config"));
  }
  if (auto c = in.int64("concurrency"))
    out.concurrency = in.in_range("concurrency", *c, 1, max_concurrency);
  if (in.has("groups")) {
    if (in.is_null("groups")) throw_not_object(in, "groups");
    merge_groups(out.groups, json_object_reader{*in.raw("groups"), "groups"});
  }
  if (in.has("retention")) {
    if (in.is_null("retention")) throw_not_object(in, "retention");
    merge_retention(out.retention, json_object_reader{*in.raw("retention"), "retention"});
  }
  if (in.is_null("circuitBreaker")) {
    out.circuit_breaker.reset();
  } else if (auto raw = in.raw("circuitBreaker")) {
    // Fields given to a breaker that was off apply over the defaults.
    auto breaker = out.circuit_breaker.value_or(circuit_breaker_policy{});
    merge_circuit_breaker(breaker, json_object_reader{*raw, "circuitBreaker"});
    out.circuit_breaker = breaker;
  }
  settings = out;
}

void write_settings(json_writer& out, const execution_settings& settings) {
  out.begin_object().key("config");
  write_config(out, settings.defaults);
  out.key("concurrency").value(settings.concurrency);
  out.key("groups").begin_object();
  write_nullable(out, "concurrency", settings.groups.concurrency);
  out.key("rateLimit");
  if (settings.groups.rate_limit)
    write_rate_limit(out, *settings.groups.rate_limit);
  else
    out.null();
  write_nullable(out, "maxQueued", settings.groups.max_queued);
  out.end_object();
  out.key("retention")
      .begin_object()
      .key("completedMs").value(settings.retention.completed_ms)
      .key("failedMs").value(settings.retention.failed_ms)
      .end_object();
  out.key("circuitBreaker");
  if (settings.circuit_breaker)
    out.begin_object()
        .key("failureThreshold").value(settings.circuit_breaker->failure_threshold)
        .key("openMs").value(settings.circuit_breaker->open_ms)
        .end_object();
  else
    out.null();
  out.end_object();
}

std::string settings_json(const execution_settings& settings) {
  json_writer out;
  write_settings(out, settings);
  return out.str();
}

}  // namespace dort
