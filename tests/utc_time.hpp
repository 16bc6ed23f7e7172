// A UTC instant in ms since the epoch from its calendar fields, for tables of expected run times.
// Built on <chrono>'s calendar, not on the civil-date arithmetic under test.
#pragma once

#include <chrono>
#include <cstdint>

namespace dort::test {

/// Returns year-month-day hour:minute:second.ms in UTC as ms since 1970-01-01T00:00Z.
inline std::int64_t utc(int year, unsigned month, unsigned day, int hour = 0, int minute = 0,
                        int second = 0, int ms = 0) {
  using namespace std::chrono;
  sys_days date{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}};
  return duration_cast<milliseconds>(date.time_since_epoch()).count() +
         ((hour * 60LL + minute) * 60 + second) * 1'000 + ms;
}

}  // namespace dort::test
