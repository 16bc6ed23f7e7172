// How large the scale tests are: full size in Release, a fifth under the sanitizers (see
// tests/CMakeLists.txt), where a million of anything costs CI minutes. Their checks (bounded
// reads, exact windows) hold at either size.
#pragma once

#include <cstdint>

namespace dort::test {

#ifdef DORT_TEST_SCALE_DIVISOR
inline constexpr std::uint64_t scale_divisor = DORT_TEST_SCALE_DIVISOR;
#else
inline constexpr std::uint64_t scale_divisor = 1;
#endif

/// Returns `n` at this build's test scale.
constexpr std::uint64_t at_scale(std::uint64_t n) { return n / scale_divisor; }

}  // namespace dort::test
