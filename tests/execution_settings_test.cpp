// The settings of `PUT .../config` (execution/execution_settings.hpp): the exact default shape,
// merges that replace only the fields named, nulls, ranges and the round trip through storage.
#include <doctest/doctest.h>

#include "execution/execution_settings.hpp"
#include "error_code_of.hpp"

using namespace dort;
using dort::test::code_of;

namespace {

/// The field named by the error `merge_settings` throws for `json`, or "" if it accepts it; the
/// error is `invalid_field` unless `code` says otherwise.
std::string refused_field(const std::string& json, errc code = errc::invalid_field) {
  execution_settings s;
  try {
    merge_settings(s, json);
  } catch (const error& e) {
    CHECK(e.code() == code);
    return e.field();
  }
  return "";
}

}  // namespace

TEST_SUITE_BEGIN("without_caf");

TEST_CASE("the settings of an execution never configured are exactly API.md's") {
  CHECK(settings_json(execution_settings{}) ==
        R"({"config":{"maxRetries":3,"initialRetryDelay":1000,"maxRetryDelay":60000,)"
        R"("backoffMultiplier":2,"timeout":30000},"concurrency":16,"groups":{"concurrency":null,)"
        R"("rateLimit":null,"maxQueued":null},"retention":{"completedMs":604800000,"failedMs":)"
        R"(2592000000},"circuitBreaker":{"failureThreshold":5,"openMs":30000}})");
}

TEST_CASE("each object given replaces only the fields it names") {
  execution_settings s;
  merge_settings(s, R"({"groups":{"concurrency":2,"maxQueued":10}})");
  merge_settings(s, R"({"groups":{"rateLimit":{"maxExecutions":3,"windowMs":1000}}})");
  CHECK(s.groups.concurrency == 2);
  CHECK(s.groups.max_queued == 10);
  CHECK(s.groups.rate_limit == rate_limit{3, 1'000});
  merge_settings(s, R"({"retention":{"failedMs":0}})");
  CHECK(s.retention.failed_ms == 0);
  CHECK(s.retention.completed_ms == 604'800'000);
  merge_settings(s, R"({"circuitBreaker":{"openMs":5}})");
  CHECK(s.circuit_breaker == circuit_breaker_policy{5, 5});
  merge_settings(s, R"({"config":{"maxRetries":9},"concurrency":3})");
  CHECK(s.defaults.max_retries == 9);
  CHECK(s.defaults.timeout_ms == 30'000);
  CHECK(s.concurrency == 3);
  CHECK(s.groups.concurrency == 2);  // untouched by the later merges
}

TEST_CASE("null removes a group limit and turns the circuit breaker off") {
  execution_settings s;
  merge_settings(s, R"({"groups":{"concurrency":2,"rateLimit":{"maxExecutions":1,"windowMs":9}}})");
  merge_settings(s, R"({"groups":{"concurrency":null,"rateLimit":null},"circuitBreaker":null})");
  CHECK(!s.groups.concurrency);
  CHECK(!s.groups.rate_limit);
  CHECK(!s.circuit_breaker);
  CHECK(settings_json(s).find(R"("circuitBreaker":null)") != std::string::npos);
  // A breaker turned on again takes the defaults for the fields not given.
  merge_settings(s, R"({"circuitBreaker":{"failureThreshold":2}})");
  CHECK(s.circuit_breaker == circuit_breaker_policy{2, 30'000});
}

TEST_CASE("settings refuse values out of their ranges and unknown fields - naming the field") {
  CHECK(refused_field(R"({"retention":{"completedMs":-1}})") == "retention.completedMs");
  CHECK(refused_field(R"({"retention":{"failedMs":315360000001}})") == "retention.failedMs");
  CHECK(refused_field(R"({"retention":{"failedMs":315360000000}})").empty());
  CHECK(refused_field(R"({"circuitBreaker":{"failureThreshold":0}})") ==
        "circuitBreaker.failureThreshold");
  CHECK(refused_field(R"({"circuitBreaker":{"failureThreshold":1001}})") ==
        "circuitBreaker.failureThreshold");
  CHECK(refused_field(R"({"circuitBreaker":{"openMs":0}})") == "circuitBreaker.openMs");
  CHECK(refused_field(R"({"circuitBreaker":{"openMs":86400001}})") == "circuitBreaker.openMs");
  CHECK(refused_field(R"({"groups":{"concurrency":0}})") == "groups.concurrency");
  CHECK(refused_field(R"({"groups":{"maxQueued":"x"}})") == "groups.maxQueued");
  CHECK(refused_field(R"({"groups":{"rateLimit":{"maxExecutions":1}}})", errc::missing_field) ==
        "groups.rateLimit.windowMs");
  CHECK(refused_field(R"({"groups":{"slots":1}})") == "groups.slots");
  CHECK(refused_field(R"({"groups":[]})") == "groups");
  CHECK(refused_field(R"({"groups":null})") == "groups");
  CHECK(refused_field(R"({"retention":null})") == "retention");
  CHECK(refused_field(R"({"config":null})") == "config");
  CHECK(refused_field(R"({"concurrency":null})") == "concurrency");
  CHECK(refused_field(R"({"concurrency":1025})") == "concurrency");
  CHECK(refused_field(R"({"other":1})") == "other");
}

TEST_CASE("a refused merge leaves the settings unchanged") {
  execution_settings s;
  CHECK(code_of([&] { merge_settings(s, R"({"concurrency":4,"retention":{"failedMs":-1}})"); }) ==
        errc::invalid_field);
  CHECK(s == execution_settings{});
}

TEST_CASE("settings written and merged back over the defaults are the same settings") {
  execution_settings s;
  merge_settings(s, R"({"config":{"backoffMultiplier":1.5,"rateLimit":{"maxExecutions":2,"windowMs":5}},)"
                    R"("concurrency":7,"groups":{"maxQueued":3},"retention":{"completedMs":0},)"
                    R"("circuitBreaker":null})");
  execution_settings read;
  merge_settings(read, settings_json(s));
  CHECK(read == s);
  // Settings stored by an older version hold only config and concurrency.
  execution_settings old;
  merge_settings(old, R"({"config":{"maxRetries":1},"concurrency":2})");
  CHECK(old.retention == retention_policy{});
  CHECK(old.circuit_breaker == circuit_breaker_policy{});
}

TEST_SUITE_END();
