#include "execution/finished_index.hpp"

#include <algorithm>

#include "execution/task_keys.hpp"

namespace dort {

namespace {

constexpr std::array<char, 2> classes{'C', 'F'};
constexpr std::array<task_status, 2> class_status{task_status::completed, task_status::failed};

std::size_t class_of(task_status s) { return task_keys::retention_class(s) == 'F' ? 1 : 0; }

}  // namespace

void finished_index::add(const task_record& task) {
  const auto at = task.completed_at.value_or(0);
  store_.put(task_keys::finished(task.status, at, task.seq), task.id);
  const auto c = class_of(task.status);
  if (first_known_[c] && (!first_[c] || at < *first_[c])) first_[c] = at;
}

void finished_index::remove(const task_record& task) {
  const auto at = task.completed_at.value_or(0);
  store_.del(task_keys::finished(task.status, at, task.seq));
  const auto c = class_of(task.status);
  if (first_[c] && *first_[c] == at) first_known_[c] = false;  // it may have been the first
}

std::optional<std::int64_t> finished_index::first(std::size_t c) {
  if (!first_known_[c]) {
    list_options front;
    front.prefix = task_keys::finished_prefix(classes[c]);
    front.limit = 1;
    auto found = store_.list(front);
    first_[c].reset();
    if (!found.empty()) first_[c] = task_keys::finished_time(found.front().first);
    first_known_[c] = true;
  }
  return first_[c];
}

std::optional<std::int64_t> finished_index::next_due(const retention_policy& policy) {
  std::optional<std::int64_t> next;
  for (std::size_t c = 0; c < classes.size(); ++c) {
    auto at = first(c);
    if (!at) continue;
    auto due = *at + policy.keep_ms(class_status[c]);
    if (!next || due < *next) next = due;
  }
  return next;
}

std::vector<std::string> finished_index::due(std::int64_t now, const retention_policy& policy,
                                             std::size_t limit) {
  std::vector<std::string> ids;
  for (std::size_t c = 0; c < classes.size() && ids.size() < limit; ++c) {
    auto at = first(c);
    const auto keep = policy.keep_ms(class_status[c]);
    if (!at || *at + keep > now) continue;
    list_options range;
    range.prefix = task_keys::finished_prefix(classes[c]);
    // Ended at or before now − keep: the keys below the first one of (now − keep + 1).
    range.end = range.prefix;
    task_keys::append_be(*range.end, static_cast<std::uint64_t>(std::max<std::int64_t>(now - keep + 1, 0)), 8);
    range.limit = limit - ids.size();
    for (auto& [key, id] : store_.list(range)) ids.push_back(std::move(id));
    first_known_[c] = false;  // the caller deletes them
  }
  return ids;
}

}  // namespace dort
