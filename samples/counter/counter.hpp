// The `counter` sample class (API.md): a durable int64 that only moves by whole messages.
//   incr {"by": n}  (n optional, default 1) → {"value": new}; the new value must stay in int64
//   get             → {"value": current}   (0 if never set)
//   reset           → {"value": 0}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <vector>

#include "actors/declared_object.hpp"

namespace dort::samples {

class counter : public declared_object<counter> {
 public:
  explicit counter(object_context& context);

  /// The methods (the server answers `unknown_method` for others).
  static std::vector<method<counter>> declare();

  std::string incr(const json_object_reader& body);
  std::string get(const json_object_reader& body);
  std::string reset(const json_object_reader& body);

 private:
  void store(std::int64_t value);

  /// The value as stored, read once at activation and kept in step with every write.
  std::int64_t value_ = 0;
};

}  // namespace dort::samples
