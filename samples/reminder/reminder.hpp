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

#include "actors/durable_object.hpp"

namespace dort::samples {

class reminder : public durable_object {
 public:
  /// Longest delay `arm` accepts: one year, in ms.
  static constexpr std::int64_t max_delay_ms = 31'536'000'000;

  using durable_object::durable_object;

  /// The methods `handle` answers (the server answers `unknown_method` for others).
  static constexpr std::string_view methods[] = {"arm", "status"};

  std::string handle(std::string_view method, std::string_view payload) override;
  void alarm(const alarm_info& info) override;

 private:
  std::string arm(std::string_view payload);
  std::string status(std::string_view payload);
};

}  // namespace dort::samples
