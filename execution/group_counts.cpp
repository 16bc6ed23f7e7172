#include "execution/group_counts.hpp"

#include <string_view>

#include "execution/task_keys.hpp"
#include "persistence/error.hpp"

namespace dort {

namespace {

/// Groups whose counts memory keeps at most.
constexpr std::size_t max_cached_groups = 65'536;

}  // namespace

std::int64_t group_counts::queued(const std::string& group) {
  if (auto it = cache_.find(group); it != cache_.end()) return it->second;
  std::int64_t count = 0;
  if (auto stored = store_.get(task_keys::group_count(group))) {
    if (stored->size() != 8) throw error{errc::storage_failure, "a stored group count is damaged"};
    count = static_cast<std::int64_t>(task_keys::read_be(*stored));
  }
  if (cache_.size() >= max_cached_groups) cache_.clear();
  cache_.emplace(group, count);
  return count;
}

void group_counts::add(const std::string& group, std::int64_t delta) {
  auto count = queued(group) + delta;
  if (count < 0) count = 0;  // never below: a damaged count heals rather than wraps
  cache_[group] = count;
  const auto key = task_keys::group_count(group);
  if (count == 0) {
    store_.del(key);
    return;
  }
  std::string value;
  task_keys::append_be(value, static_cast<std::uint64_t>(count), 8);
  store_.put(key, value);
}

}  // namespace dort
