// Whether a double is within int64's range, so that converting it (truncating) is defined.
// 2^63 is exact as a double; every double in [-2^63, 2^63) converts without undefined behaviour,
// and NaN and infinities are outside.
#pragma once

namespace dort {

inline bool within_int64(double d) {
  constexpr double limit = 9223372036854775808.0;  // 2^63
  return d >= -limit && d < limit;
}

}  // namespace dort
