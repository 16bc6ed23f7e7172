// The code of the dort::error a call throws, or errc{} when it throws none: lets a test state
// "this call fails with that code" in one line.
#pragma once

#include <functional>

#include "persistence/error.hpp"

namespace dort::test {

inline errc code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const error& e) {
    return e.code();
  }
  return errc{};
}

}  // namespace dort::test
