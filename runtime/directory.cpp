#include "runtime/directory.hpp"

namespace dort {

caf::actor directory::find_or_spawn(const object_id& id,
                                     const std::function<live_object()>& spawn) {
  auto& s = shard_of(id);
  std::lock_guard guard{s.mutex};
  auto [it, inserted] = s.actors.try_emplace(id);
  if (inserted) {
    try {
      it->second = spawn();
    } catch (...) {
      s.actors.erase(it);
      throw;
    }
  }
  return it->second.actor;
}

void directory::forget(const object_id& id, const caf::actor_addr& addr) {
  auto& s = shard_of(id);
  {
    std::lock_guard guard{s.mutex};
    auto it = s.actors.find(id);
    if (it == s.actors.end() || it->second.actor.address() != addr) return;
    s.actors.erase(it);
  }
  std::lock_guard guard{empty_mutex_};
  empty_.notify_all();
}

std::vector<caf::actor> directory::all() const {
  std::vector<caf::actor> out;
  for (const auto& s : shards_) {
    std::lock_guard guard{s.mutex};
    for (const auto& [id, live] : s.actors) out.push_back(live.actor);
  }
  return out;
}

std::vector<caf::actor> directory::quiet_since(activity_stamp::clock::time_point cutoff) const {
  std::vector<caf::actor> out;
  for (const auto& s : shards_) {
    std::lock_guard guard{s.mutex};
    for (const auto& [id, live] : s.actors)
      if (live.activity->last() < cutoff) out.push_back(live.actor);
  }
  return out;
}

bool directory::wait_until_empty(std::chrono::milliseconds timeout) {
  auto is_empty = [this] {
    for (const auto& s : shards_) {
      std::lock_guard guard{s.mutex};
      if (!s.actors.empty()) return false;
    }
    return true;
  };
  std::unique_lock lock{empty_mutex_};
  return empty_.wait_for(lock, timeout, is_empty);
}

}  // namespace dort
