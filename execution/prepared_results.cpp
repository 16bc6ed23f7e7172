#include "execution/prepared_results.hpp"

#include <vector>

namespace dort {

std::string prepared_results::get(const std::string& key, const std::function<std::string()>& run) {
  std::promise<std::string> made;
  std::shared_future<std::string> result;
  bool mine = false;
  {
    std::lock_guard guard{mutex_};
    auto it = results_.find(key);
    if (it != results_.end()) {
      result = it->second.result;
    } else {
      if (results_.size() >= max_results) {
        // The oldest half goes (a workflow long finished, most likely).
        std::vector<std::string> old;
        for (auto& [k, s] : results_)
          if (s.order < next_ - max_results / 2) old.push_back(k);
        for (auto& k : old) results_.erase(k);
      }
      result = made.get_future().share();
      results_.emplace(key, slot{result, next_++});
      mine = true;
    }
  }
  if (!mine) return result.get();
  try {
    made.set_value(run());
  } catch (...) {
    made.set_exception(std::current_exception());
    std::lock_guard guard{mutex_};
    results_.erase(key);  // the next attempt runs the hook again
  }
  return result.get();
}

}  // namespace dort
