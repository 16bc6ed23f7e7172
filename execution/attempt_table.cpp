#include "execution/attempt_table.hpp"

namespace dort {

std::uint64_t attempt_table::add(const std::string& id, std::int64_t deadline_ms,
                                 std::shared_ptr<task_attempt> attempt,
                                 std::optional<std::string> group) {
  abandon(id);  // a task has one attempt at a time
  const auto token = next_token_++;
  if (group) ++by_group_[*group];
  entries_.insert_or_assign(id, entry{token, deadline_ms, std::move(attempt), phase::starting, 0,
                                      std::move(group)});
  return token;
}

void attempt_table::erase(std::unordered_map<std::string, entry>::iterator it) {
  if (const auto& group = it->second.group) {
    auto counted = by_group_.find(*group);
    if (--counted->second == 0) by_group_.erase(counted);
  }
  entries_.erase(it);
}

std::size_t attempt_table::running_in(const std::string& group) const {
  auto it = by_group_.find(group);
  return it == by_group_.end() ? 0 : it->second;
}

std::shared_ptr<task_attempt> attempt_table::launch(const std::string& id, std::uint64_t token) {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.token != token || it->second.state != phase::starting)
    return nullptr;
  it->second.state = phase::launched;
  return it->second.attempt;
}

bool attempt_table::is_live(const std::string& id, std::uint64_t token) const {
  auto it = entries_.find(id);
  return it != entries_.end() && it->second.token == token;
}

void attempt_table::note_event(const std::string& id, std::uint32_t seq) {
  if (auto it = entries_.find(id); it != entries_.end() && seq > it->second.last_event)
    it->second.last_event = seq;
}

std::uint32_t attempt_table::last_event(const std::string& id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? 0 : it->second.last_event;
}

bool attempt_table::remove(const std::string& id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  erase(it);
  return true;
}

void attempt_table::abandon(const std::string& id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  auto attempt = std::move(it->second.attempt);
  erase(it);
  attempt->abandon();
}

void attempt_table::abandon_all() {
  auto entries = std::move(entries_);
  entries_.clear();
  by_group_.clear();
  for (auto& [id, e] : entries) e.attempt->abandon();
}

std::vector<std::string> attempt_table::expired(std::int64_t now_ms) const {
  std::vector<std::string> ids;
  for (const auto& [id, e] : entries_)
    if (e.deadline_ms <= now_ms) ids.push_back(id);
  return ids;
}

std::optional<std::int64_t> attempt_table::earliest_deadline() const {
  std::optional<std::int64_t> next;
  for (const auto& [id, e] : entries_)
    if (!next || e.deadline_ms < *next) next = e.deadline_ms;
  return next;
}

}  // namespace dort
