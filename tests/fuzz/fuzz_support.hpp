// What every fuzz target shares (include it from the target's one .cpp file): sanitizer defaults
// (UBSan halts on any report but the reviewed suppressions, as in the test binary) and
// `fuzz_check`, which stops the run with a message when a property of the target fails, so that
// libFuzzer saves the input as a crash.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:suppressions=" DORT_UBSAN_SUPPRESSIONS;
}

namespace dort::fuzz {

/// Aborts with `what` (and `detail`) unless `ok`.
inline void fuzz_check(bool ok, std::string_view what, std::string_view detail = {}) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property failed: %.*s\n  %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}

}  // namespace dort::fuzz
