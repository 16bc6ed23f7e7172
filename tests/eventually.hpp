// Waiting in end-to-end tests of the runtime: real time, polling, with a generous deadline that
// only a condition that never comes reaches. Asserts the outcome, never how long it took.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <thread>

namespace dort::test {

/// Waits until `condition` holds; fails the test after 10 s.
inline void eventually(const std::function<bool()>& condition) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (!condition()) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds{2});
  }
}

}  // namespace dort::test
