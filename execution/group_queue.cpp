#include "execution/group_queue.hpp"

#include "execution/task_keys.hpp"
#include "persistence/error.hpp"

namespace dort {

namespace {

/// Groups whose states memory keeps at most (states are read again from `H` as needed).
constexpr std::size_t max_cached_groups = 65'536;

/// `H` value: last start (8), head priority as queue keys hold it (8), head seq (8), in the
/// turns (1), head id.
constexpr std::size_t state_header_bytes = 25;

}  // namespace

std::string group_queue::encode_state(const state& st) {
  std::string value;
  value.reserve(state_header_bytes + st.head_id.size());
  task_keys::append_be(value, st.last_start, 8);
  task_keys::append_priority(value, st.head_priority);
  task_keys::append_be(value, st.head_seq, 8);
  value.push_back(st.in_turns ? 1 : 0);
  value += st.head_id;
  return value;
}

std::optional<group_queue::state> group_queue::decode_state(std::string_view stored) {
  if (stored.size() <= state_header_bytes) return std::nullopt;
  state st;
  st.ready = true;
  st.last_start = task_keys::read_be(stored.substr(0, 8));
  st.head_priority = task_keys::priority_at(stored, 8);
  st.head_seq = task_keys::read_be(stored.substr(16, 8));
  st.in_turns = stored[24] != 0;
  st.head_id = std::string{stored.substr(state_header_bytes)};
  return st;
}

group_queue::state& group_queue::state_of(const std::string& group) {
  if (auto it = states_.find(group); it != states_.end()) return it->second;
  if (states_.size() >= max_cached_groups) states_.clear();  // forgets only ranks of empty groups
  auto& st = states_[group];
  if (auto stored = store_.get(task_keys::group_state(group))) {
    auto decoded = decode_state(*stored);
    if (!decoded) {
      states_.erase(group);
      throw error{errc::storage_failure, "the stored turn of group '" + group + "' is damaged"};
    }
    st = std::move(*decoded);
  }
  return st;
}

void group_queue::save(const std::string& group, const state& st) {
  const auto key = task_keys::group_state(group);
  if (st.ready)
    store_.put(key, encode_state(st));
  else
    store_.del(key);
}

void group_queue::leave_turns(const std::string& group, state& st) {
  if (!st.in_turns) return;
  turns_.remove(task_keys::turn(st.head_priority, st.rank(), group));
  st.in_turns = false;
}

void group_queue::enter_turns(const std::string& group, state& st) {
  if (st.in_turns || !st.ready || parked_.contains(group)) return;
  turns_.add(task_keys::turn(st.head_priority, st.rank(), group), st.head_id);
  st.in_turns = true;
}

void group_queue::add(const task_record& task) {
  const auto& group = *task.group;
  store_.put(task_keys::group_ready(group, task.priority, task.seq), task.id);
  auto& st = state_of(group);
  const bool new_head = !st.ready || task_keys::queue_order_before(task.priority, task.seq,
                                                                    st.head_priority, st.head_seq);
  // A group out of the turns that is not parked comes back with any task it queues: after a
  // restart no attempt holds it at its concurrency any more.
  if (!new_head && (st.in_turns || parked_.contains(group))) return;
  leave_turns(group, st);
  if (new_head) {
    st.ready = true;
    st.head_priority = task.priority;
    st.head_seq = task.seq;
    st.head_id = task.id;
  }
  enter_turns(group, st);
  save(group, st);
}

void group_queue::remove(const std::string& group, std::int64_t priority, std::uint64_t seq) {
  store_.del(task_keys::group_ready(group, priority, seq));
  auto& st = state_of(group);
  if (!st.ready || st.head_seq != seq) return;
  const bool was_in_turns = st.in_turns;
  leave_turns(group, st);
  list_options next;
  next.prefix = task_keys::group_ready_prefix(group);
  next.limit = 1;
  auto found = store_.list(next);
  if (found.empty()) {
    st.ready = false;  // the rank stays in memory for the group's next task
  } else {
    const auto& key = found.front().first;
    const auto at = next.prefix.size();
    st.head_priority = task_keys::priority_at(key, at);
    st.head_seq = task_keys::read_be(key.substr(at + 8, 8));
    st.head_id = std::move(found.front().second);
    if (was_in_turns) enter_turns(group, st);
  }
  save(group, st);
}

std::optional<group_queue::head> group_queue::front() {
  auto* first = turns_.front();
  if (first == nullptr) return std::nullopt;
  const std::string_view key = first->first;
  head h;
  h.group = std::string{task_keys::turn_group(key)};
  h.id = first->second;
  h.priority = task_keys::turn_priority(key);
  h.rank = task_keys::turn_rank(key);
  h.seq = state_of(h.group).head_seq;
  return h;
}

void group_queue::started(const std::string& group, std::uint64_t rank) {
  auto& st = state_of(group);
  if (!st.ready) {
    st.last_start = rank;  // memory only: an empty group has no `H` key
    return;
  }
  const bool was_in_turns = st.in_turns;
  leave_turns(group, st);
  st.last_start = rank;
  if (was_in_turns) enter_turns(group, st);
  save(group, st);
}

void group_queue::park(const std::string& group) {
  if (!parked_.insert(group).second) return;
  auto& st = state_of(group);
  if (!st.in_turns) return;
  leave_turns(group, st);
  save(group, st);
}

void group_queue::unpark(const std::string& group) {
  if (parked_.erase(group) == 0) return;
  auto& st = state_of(group);
  if (!st.ready || st.in_turns) return;
  enter_turns(group, st);
  save(group, st);
}

void group_queue::forget() {
  states_.clear();
  parked_.clear();
  turns_.reset();
}

}  // namespace dort
