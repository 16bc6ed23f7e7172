// The `counter` sample class (API.md): a durable int64 that only moves by whole messages.
//   incr {"by": n}  (n optional, default 1) → {"value": new}; the new value must stay in int64
//   get             → {"value": current}   (0 if never set)
//   reset           → {"value": 0}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "actors/durable_object.hpp"

namespace dort::samples {

class counter : public durable_object {
 public:
  explicit counter(object_context& context);

  /// The methods `handle` answers (the server answers `unknown_method` for others).
  static constexpr std::string_view methods[] = {"incr", "get", "reset"};

  std::string handle(std::string_view method, std::string_view payload) override;

 private:
  std::int64_t incr(std::string_view payload);
  void store(std::int64_t value);

  /// The value as stored, read once at activation and kept in step with every write.
  std::int64_t value_ = 0;
};

}  // namespace dort::samples
