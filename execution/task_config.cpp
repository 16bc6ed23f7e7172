#include "execution/task_config.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "actors/int64_range.hpp"
#include "actors/json_reader.hpp"
#include "persistence/error.hpp"

namespace dort {

namespace {

/// Reads the integer `field` into `target` if present, checking its range.
void read_int(const json_object_reader& in, std::string_view field, std::int64_t& target,
              std::int64_t low, std::int64_t high) {
  if (auto v = in.int64(field)) target = in.in_range(field, *v, low, high);
}

}  // namespace

std::int64_t task_config::base_retry_delay_ms(std::int64_t retry) const {
  // Computed in double: multiplier^(retry−1) overflows any integer long before the cap applies.
  double delay = static_cast<double>(initial_retry_delay_ms) *
                 std::pow(backoff_multiplier, static_cast<double>(std::max<std::int64_t>(retry, 1) - 1));
  double cap = static_cast<double>(max_retry_delay_ms);
  return static_cast<std::int64_t>(std::min(delay, cap));
}

std::int64_t task_config::retry_delay_ms(std::int64_t retry, std::mt19937_64& random) const {
  auto base = base_retry_delay_ms(retry);
  std::uniform_real_distribution<double> jitter{0.0, 0.25};
  return base + static_cast<std::int64_t>(static_cast<double>(base) * jitter(random));
}

dort::rate_limit read_rate_limit(std::string_view json, std::string_view path) {
  json_object_reader limit{json, path};
  limit.allow_only({"maxExecutions", "windowMs"});
  auto max = limit.required_int64("maxExecutions");
  auto window = limit.required_int64("windowMs");
  return dort::rate_limit{limit.in_range("maxExecutions", max, 1, 1'000'000),
                          limit.in_range("windowMs", window, 1, 86'400'000)};
}

void merge_config(task_config& config, std::string_view json, std::string_view path) {
  json_object_reader in{json, path};
  in.allow_only({"maxRetries", "initialRetryDelay", "maxRetryDelay", "backoffMultiplier", "timeout",
                 "rateLimit"});
  task_config out = config;
  read_int(in, "maxRetries", out.max_retries, 0, 1'000);
  read_int(in, "initialRetryDelay", out.initial_retry_delay_ms, 0, 86'400'000);
  read_int(in, "maxRetryDelay", out.max_retry_delay_ms, 0, 604'800'000);
  read_int(in, "timeout", out.timeout_ms, 1, 86'400'000);
  if (auto m = in.number("backoffMultiplier")) {
    if (*m < 1.0 || *m > 100.0)
      throw error{errc::invalid_field, "'" + in.field_name("backoffMultiplier") + "' must be in 1 .. 100",
                  in.field_name("backoffMultiplier")};
    out.backoff_multiplier = *m;
  }
  if (in.is_null("rateLimit")) {
    out.rate_limit.reset();
  } else if (auto raw = in.raw("rateLimit")) {
    out.rate_limit = read_rate_limit(*raw, in.field_name("rateLimit"));
  }
  config = out;
}

void write_config(json_writer& out, const task_config& config) {
  out.begin_object()
      .key("maxRetries").value(config.max_retries)
      .key("initialRetryDelay").value(config.initial_retry_delay_ms)
      .key("maxRetryDelay").value(config.max_retry_delay_ms)
      .key("backoffMultiplier");
  // An integral multiplier prints as an integer, as clients wrote it ("2", not "2.0"); only
  // within int64, where the conversion is defined (a damaged stored record may hold 4.4e44:
  // found by fuzzing).
  const double m = config.backoff_multiplier;
  if (std::floor(m) == m && within_int64(m))
    out.value(static_cast<std::int64_t>(config.backoff_multiplier));
  else
    out.value(config.backoff_multiplier);
  out.key("timeout").value(config.timeout_ms);
  if (config.rate_limit)
    out.key("rateLimit")
        .begin_object()
        .key("maxExecutions").value(config.rate_limit->max_executions)
        .key("windowMs").value(config.rate_limit->window_ms)
        .end_object();
  out.end_object();
}

}  // namespace dort
