#include <doctest/doctest.h>

#include "alarms/retry_policy.hpp"

using namespace dort;

TEST_SUITE_BEGIN("without_caf");

TEST_CASE("the default retry schedule is 2 4 8 16 32 64 s and then none") {
  retry_policy policy;
  std::int64_t expected = 2'000;
  for (std::uint32_t retry = 1; retry <= 6; ++retry, expected *= 2) {
    CAPTURE(retry);
    CHECK(policy.base_delay_ms(retry) == expected);
  }
  CHECK_FALSE(policy.base_delay_ms(7).has_value());
  CHECK_FALSE(policy.base_delay_ms(0).has_value());
}

TEST_CASE("jitter adds up to a quarter of the delay and never takes away") {
  retry_policy policy;
  std::mt19937_64 random{42};
  bool saw_jitter = false;
  for (int i = 0; i < 1'000; ++i)
    for (std::uint32_t retry = 1; retry <= 6; ++retry) {
      auto base = *policy.base_delay_ms(retry);
      auto delay = *policy.delay_ms(retry, random);
      CHECK(delay >= base);
      CHECK(delay <= base + base / 4);
      saw_jitter = saw_jitter || delay > base;
    }
  CHECK(saw_jitter);
}

TEST_CASE("delays stop growing at the cap") {
  retry_policy policy;
  policy.max_retries = 40;
  CHECK(policy.base_delay_ms(11) == 1'024'000);  // 2 s × 2^10 reaches the cap
  CHECK(policy.base_delay_ms(40) == 1'024'000);  // and stays there without overflow
}

TEST_SUITE_END();
