// Maps class names to the factories that make their objects. Registration may happen at any
// time; a name registered twice keeps its first factory (and says so).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "actors/durable_object.hpp"

namespace dort {

class class_registry {
 public:
  /// Registers `factory` under `name`; returns false if the name is taken.
  bool add(std::string name, object_factory factory);

  /// Returns the factory of `name`, or nothing.
  std::optional<object_factory> find(std::string_view name) const;

  /// Returns the registered names in order.
  std::vector<std::string> names() const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, object_factory, std::less<>> factories_;
};

}  // namespace dort
