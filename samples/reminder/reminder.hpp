// The `reminder` sample class (API.md): an object with one alarm.
//   arm {"delayMs": n}  (required, 0 … one year) → {"scheduledAt": ms}: sets the alarm to now + n,
//                        replacing an earlier one
//   status               → {"scheduledAt", "pending", "firedAt", "firedCount", "lastLatenessMs"}
//                        (all five always present, null where unset)
// Its alarm handler stores firedAt (the clock when it ran), increments firedCount and stores
// lastLatenessMs = firedAt − scheduledAt.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <vector>

#include "actors/declared_object.hpp"

namespace dort::samples {

class reminder : public declared_object<reminder> {
 public:
  /// Longest delay `arm` accepts: one year, in ms.
  static constexpr std::int64_t max_delay_ms = 31'536'000'000;

  using declared_object::declared_object;

  /// The methods (the server answers `unknown_method` for others).
  static std::vector<method<reminder>> declare();

  std::string arm(const json_object_reader& body);
  std::string status(const json_object_reader& body);
  void alarm(const alarm_info& info) override;
};

}  // namespace dort::samples
