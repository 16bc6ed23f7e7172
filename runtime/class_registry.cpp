#include "runtime/class_registry.hpp"

#include <algorithm>

namespace dort {

bool class_registry::add(std::string name, object_factory factory,
                         std::vector<std::string> methods) {
  std::unique_lock lock{mutex_};
  return classes_.try_emplace(std::move(name), entry{std::move(factory), std::move(methods)})
      .second;
}

std::optional<object_factory> class_registry::find(std::string_view name) const {
  std::shared_lock lock{mutex_};
  auto it = classes_.find(name);
  if (it == classes_.end()) return std::nullopt;
  return it->second.factory;
}

bool class_registry::accepts(std::string_view name, std::string_view method) const {
  std::shared_lock lock{mutex_};
  auto it = classes_.find(name);
  if (it == classes_.end()) return false;
  const auto& methods = it->second.methods;
  return methods.empty() || std::find(methods.begin(), methods.end(), method) != methods.end();
}

std::vector<std::string> class_registry::names() const {
  std::shared_lock lock{mutex_};
  std::vector<std::string> out;
  for (const auto& [name, entry] : classes_) out.push_back(name);
  return out;
}

}  // namespace dort
