// The results of workflows' prepare hooks (task_handler.hpp, `prepare_hook`) in this process,
// one per (execution, workflow, task name): the first attempt that needs one runs the hook, the
// others that come meanwhile wait for it, later ones take it. In memory only, so a restart runs
// each hook again (DurableTasks' `Prepare`); bounded, so that old workflows' results go. A hook
// that throws leaves nothing: the next attempt runs it again. Thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>

namespace dort {

class prepared_results {
 public:
  /// Results kept at most; past it the oldest half is forgotten.
  static constexpr std::size_t max_results = 65'536;

  /// Returns the result for `key`, running `run` (on the calling thread) if none is kept or
  /// being made. Throws what `run` threw.
  std::string get(const std::string& key, const std::function<std::string()>& run);

 private:
  std::mutex mutex_;
  std::uint64_t next_ = 0;
  struct slot {
    std::shared_future<std::string> result;
    std::uint64_t order;
  };
  std::map<std::string, slot> results_;
};

}  // namespace dort
