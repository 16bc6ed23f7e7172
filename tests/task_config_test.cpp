// The task config of API.md: ranges, defaults, merging, and the backoff formula.
#include <doctest/doctest.h>

#include "error_code_of.hpp"
#include "execution/task_config.hpp"
#include "persistence/error.hpp"

using namespace dort;
using dort::test::code_of;

namespace {

std::string field_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const error& e) {
    return e.field();
  }
  return "";
}

}  // namespace

TEST_SUITE_BEGIN("without_caf");

TEST_CASE("a task config merges given fields and keeps the others") {
  task_config c;
  merge_config(c, R"({"maxRetries": 5, "backoffMultiplier": 1.5, "rateLimit": {"maxExecutions": 2, "windowMs": 100}})");
  CHECK(c.max_retries == 5);
  CHECK(c.backoff_multiplier == 1.5);
  CHECK(c.initial_retry_delay_ms == 1'000);
  CHECK(c.timeout_ms == 30'000);
  REQUIRE(c.rate_limit);
  CHECK(c.rate_limit->max_executions == 2);
  merge_config(c, R"({"rateLimit": null})");
  CHECK_FALSE(c.rate_limit);
  json_writer out;
  write_config(out, task_config{});
  CHECK(out.str() ==
        R"({"maxRetries":3,"initialRetryDelay":1000,"maxRetryDelay":60000,"backoffMultiplier":2,"timeout":30000})");
}

TEST_CASE("a task config refuses out-of-range and unknown fields and names them") {
  task_config c;
  CHECK(field_of([&] { merge_config(c, R"({"maxRetries": 1001})"); }) == "config.maxRetries");
  CHECK(field_of([&] { merge_config(c, R"({"timeout": 0})"); }) == "config.timeout");
  CHECK(field_of([&] { merge_config(c, R"({"backoffMultiplier": 0.5})"); }) ==
        "config.backoffMultiplier");
  CHECK(field_of([&] { merge_config(c, R"({"maxRetry": 1})"); }) == "config.maxRetry");
  CHECK(field_of([&] { merge_config(c, R"({"rateLimit": {"windowMs": 5}})"); }) ==
        "config.rateLimit.maxExecutions");
  CHECK(field_of([&] { merge_config(c, R"({"rateLimit": {"maxExecutions": 0, "windowMs": 5}})"); }) ==
        "config.rateLimit.maxExecutions");
  CHECK(code_of([&] { merge_config(c, R"({"maxRetryDelay": "1"})"); }) == errc::invalid_field);
  CHECK(c == task_config{});  // nothing of a refused merge is kept
}

TEST_CASE("retry delays grow by the multiplier up to the cap with at most 25 percent jitter") {
  task_config c;
  c.initial_retry_delay_ms = 100;
  c.backoff_multiplier = 3;
  c.max_retry_delay_ms = 1'000;
  CHECK(c.base_retry_delay_ms(1) == 100);
  CHECK(c.base_retry_delay_ms(2) == 300);
  CHECK(c.base_retry_delay_ms(3) == 900);
  CHECK(c.base_retry_delay_ms(4) == 1'000);
  CHECK(c.base_retry_delay_ms(1'000) == 1'000);
  std::mt19937_64 random{7};
  for (int i = 0; i < 1'000; ++i) {
    auto d = c.retry_delay_ms(2, random);
    CHECK(d >= 300);
    CHECK(d <= 375);
  }
}

TEST_SUITE_END();
