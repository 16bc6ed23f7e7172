// What a stub holds of its runtime: a link that the runtime cuts (under the lock) before its core
// is destroyed. A stub used after its runtime is gone gets `shutting_down` instead of touching
// freed memory; while a stub resolves and sends, the core cannot go away under it. The lock is
// never held while a caller waits for a reply. Internal to runtime/.
#pragma once

#include <shared_mutex>
#include <string>

#include <caf/actor.hpp>

#include "persistence/error.hpp"
#include "persistence/object_id.hpp"

namespace dort {

class runtime_core;

class runtime_link {
 public:
  explicit runtime_link(runtime_core* core) : core_(core) {}

  /// Runs `fn(core)` while the runtime is alive; throws `shutting_down` once it is gone.
  template <class Fn>
  decltype(auto) with_core(Fn&& fn) {
    std::shared_lock lock{mutex_};
    if (core_ == nullptr) throw error{errc::shutting_down, "the runtime of this stub is gone"};
    return fn(*core_);
  }

  /// Cuts the link; called by the runtime after its objects stopped, before its core goes.
  void cut() {
    std::unique_lock lock{mutex_};
    core_ = nullptr;
  }

 private:
  std::shared_mutex mutex_;
  runtime_core* core_;
};

}  // namespace dort
