#include "execution/event_hub.hpp"

namespace dort {

std::string event_hub::key_of(std::string_view exec, std::string_view task_id) {
  // Length-prefixed: names may contain any byte, so no separator is safe.
  return std::to_string(exec.size()) + ":" + std::string{exec} + std::string{task_id};
}

event_hub::subscription event_hub::subscribe(std::string_view exec, std::string_view task_id,
                                             subscriber fn) {
  std::lock_guard guard{mutex_};
  auto id = next_++;
  auto key = key_of(exec, task_id);
  subscribers_.emplace(key, std::pair{id, std::move(fn)});
  keys_.emplace(id, std::move(key));
  return id;
}

void event_hub::unsubscribe(subscription id) {
  std::lock_guard guard{mutex_};
  auto k = keys_.find(id);
  if (k == keys_.end()) return;
  auto [first, last] = subscribers_.equal_range(k->second);
  for (auto it = first; it != last; ++it)
    if (it->second.first == id) {
      subscribers_.erase(it);
      break;
    }
  keys_.erase(k);
}

void event_hub::publish(std::string_view exec, std::string_view task_id, const task_event& event) {
  // Called under the lock, so that unsubscribe() returning means no call is in progress.
  std::lock_guard guard{mutex_};
  auto [first, last] = subscribers_.equal_range(key_of(exec, task_id));
  for (auto it = first; it != last; ++it) it->second.second(event);
}

std::size_t event_hub::size() const {
  std::lock_guard guard{mutex_};
  return keys_.size();
}

}  // namespace dort
