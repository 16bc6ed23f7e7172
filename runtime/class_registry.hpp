// Maps class names to the factories that make their objects, and to the methods a class
// declares (if it declares them: a class that does not accepts any method name and answers
// `unknown_method` itself). Registration may happen at any time; a name registered twice keeps
// its first factory (and says so).
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
  /// Registers `factory` under `name` with its declared `methods` (empty: not declared);
  /// returns false if the name is taken.
  bool add(std::string name, object_factory factory, std::vector<std::string> methods = {});

  /// Returns the factory of `name`, or nothing.
  std::optional<object_factory> find(std::string_view name) const;

  /// Returns whether class `name` is registered and has `method`, or declares no methods.
  bool accepts(std::string_view name, std::string_view method) const;

  /// Returns the registered names in order.
  std::vector<std::string> names() const;

 private:
  mutable std::shared_mutex mutex_;
  struct entry {
    object_factory factory;
    std::vector<std::string> methods;
  };
  std::map<std::string, entry, std::less<>> classes_;
};

}  // namespace dort
