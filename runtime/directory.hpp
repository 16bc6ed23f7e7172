// Which objects are live, and their actors. Sharded by object id, each shard with its own mutex,
// so the path to an object takes no global lock. Guarantees exactly one live activation per id:
// lookup and spawn happen under the shard's lock, and an actor leaves its shard before it stops.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>

#include "actors/activity_stamp.hpp"
#include "persistence/object_id.hpp"

namespace dort {

class directory {
 public:
  /// Shards of the map; a power of two well above the thread count keeps contention negligible.
  static constexpr std::size_t shard_count = 64;

  /// A live object: its actor and when it last handled a message.
  struct live_object {
    caf::actor actor;
    std::shared_ptr<activity_stamp> activity;
  };

  /// Returns the live actor of `id`, spawning it with `spawn` if there is none.
  caf::actor find_or_spawn(const object_id& id, const std::function<live_object()>& spawn);

  /// Forgets `id` if it still maps to the actor at `addr`.
  void forget(const object_id& id, const caf::actor_addr& addr);

  /// Returns every live actor.
  std::vector<caf::actor> all() const;

  /// Returns the live actors whose last activity is before `cutoff`.
  std::vector<caf::actor> quiet_since(activity_stamp::clock::time_point cutoff) const;

  /// Blocks until no actor is live or `timeout` passed; returns whether none is live.
  bool wait_until_empty(std::chrono::milliseconds timeout);

 private:
  struct shard {
    mutable std::mutex mutex;
    std::unordered_map<object_id, live_object, object_id_hash> actors;
  };

  shard& shard_of(const object_id& id) { return shards_[id.hash() % shard_count]; }

  std::array<shard, shard_count> shards_;
  std::mutex empty_mutex_;
  std::condition_variable empty_;
};

}  // namespace dort
