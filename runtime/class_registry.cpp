#include "runtime/class_registry.hpp"

namespace dort {

bool class_registry::add(std::string name, object_factory factory) {
  std::unique_lock lock{mutex_};
  return factories_.try_emplace(std::move(name), std::move(factory)).second;
}

std::optional<object_factory> class_registry::find(std::string_view name) const {
  std::shared_lock lock{mutex_};
  auto it = factories_.find(name);
  if (it == factories_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> class_registry::names() const {
  std::shared_lock lock{mutex_};
  std::vector<std::string> out;
  for (const auto& [name, factory] : factories_) out.push_back(name);
  return out;
}

}  // namespace dort
