#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

// Sanitizer defaults for every run of the test binary, however it is started (ctest, by hand).
// The sanitizer runtimes call these when they are linked in; otherwise nothing calls them.
// UBSan checks are recoverable only so that the reviewed suppressions apply: any other report
// halts the run.
extern "C" const char* __asan_default_options() { return "detect_leaks=1:abort_on_error=1"; }
extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:suppressions=" DORT_UBSAN_SUPPRESSIONS;
}
extern "C" const char* __tsan_default_options() {
  return "halt_on_error=1:second_deadlock_stack=1";
}
