#include "execution/task_store.hpp"

#include "execution/task_keys.hpp"

namespace dort {

namespace {

/// The statuses a group's `maxQueued` counts.
bool is_queued(task_status s) {
  return s == task_status::pending || s == task_status::rate_limited;
}

/// Bounds of the record cache, per execution: a few times the attempts one runs at once.
constexpr std::size_t max_cached_records = 1'024;
constexpr std::size_t max_cached_bytes = 4u << 20;

/// The client-owned text a record holds: what its copy costs.
std::size_t payload_bytes(const task_record& task) {
  auto size = [](const std::optional<std::string>& s) { return s ? s->size() : 0; };
  return task.id.size() + task.name.size() + size(task.input) + size(task.metadata) +
         size(task.output) + size(task.error) + size(task.output_at_wake) +
         size(task.idempotency_key) + size(task.group);
}

}  // namespace

void task_store::load() {
  cache_.clear();
  cached_bytes_ = 0;
  counters_ = task_counters{};
  finished_.forget();
  groups_.forget();
  if (auto stored = store_.get(task_keys::counters)) counters_ = task_counters::decode(*stored);
  moves_.clear();
}

std::optional<task_record> task_store::find(std::string_view id) {
  if (auto it = cache_.find(std::string{id}); it != cache_.end()) return it->second;
  auto stored = store_.get(task_keys::task(id));
  if (!stored) return std::nullopt;
  auto task = decode_task(*stored);
  remember(task);
  return task;
}

void task_store::save(const task_record& task) {
  store_.put(task_keys::task(task.id), encode_task(task));
  remember(task);
}

void task_store::remember(const task_record& task) {
  forget(task.id);
  if (is_final(task.status)) return;  // read again only by `get`s
  const auto bytes = payload_bytes(task);
  if (cache_.size() >= max_cached_records || cached_bytes_ + bytes > max_cached_bytes) return;
  cache_.emplace(task.id, task);
  cached_bytes_ += bytes;
}

void task_store::forget(const std::string& id) {
  auto it = cache_.find(id);
  if (it == cache_.end()) return;
  cached_bytes_ -= payload_bytes(it->second);
  cache_.erase(it);
}

void task_store::remove(const task_record& task) {
  // The status index holds the state before this message's moves of the task, if it has any.
  std::optional<task_status> indexed = task.status;
  if (auto it = moves_.find(task.id); it != moves_.end()) {
    indexed = it->second.from;
    moves_.erase(it);
  }
  if (indexed) store_.del(task_keys::by_status(*indexed, task.seq));
  if (!task.workflow_id) finished_.remove(task);
  store_.del(task_keys::all(task.seq));
  store_.del(task_keys::task(task.id));
  if (task.idempotency_key) {
    auto key = task_keys::idempotency(*task.idempotency_key);
    if (store_.get(key) == task.id) store_.del(key);
  }
  for (std::uint32_t seq = 1; seq <= task.events; ++seq) store_.del(task_keys::event(task.id, seq));
  --counters_.of(task.status);
  counters_.count_finished(task, -1);
  forget(task.id);
}

void task_store::add(const task_record& task) {
  ++counters_.of(task.status);
  if (task.group && is_queued(task.status)) groups_.add(*task.group, +1);
  store_.put(task_keys::all(task.seq), task.id);
  moves_.insert_or_assign(task.id, status_move{std::nullopt, task.status, task.seq});
}

void task_store::set_status(task_record& task, task_status to) {
  if (task.status == to) return;
  auto [move, first] = moves_.try_emplace(task.id, status_move{task.status, to, task.seq});
  if (!first) move->second.to = to;
  counters_.move(task.status, to);
  // Step tasks have no finished entry: they go with their workflow (API.md, retention).
  if (is_final(task.status) && !is_final(to) && !task.workflow_id) finished_.remove(task);
  if (task.group && is_queued(task.status) != is_queued(to))
    groups_.add(*task.group, is_queued(to) ? +1 : -1);
  const bool finishes = !is_final(task.status) && is_final(to);
  task.status = to;
  if (finishes && !task.workflow_id) finished_.add(task);
}

task_event task_store::append_event(task_record& task, std::string_view type, std::int64_t now_ms,
                                    const std::function<void(json_writer&)>& fields) {
  task_event event{++task.events, std::string{type}, {}};
  json_writer data;
  data.begin_object().key("taskId").value(task.id).key("seq").value(
      static_cast<std::int64_t>(event.seq));
  data.key("type").value(type).key("at").value(now_ms);
  if (fields) fields(data);
  data.end_object();
  event.json = data.str();
  store_.put(task_keys::event(task.id, event.seq), event.json);
  return event;
}

std::uint32_t task_store::last_stored_event(const std::string& id) {
  list_options last;
  last.prefix = task_keys::events_prefix(id);
  last.reverse = true;
  last.limit = 1;
  auto found = store_.list(last);
  if (found.empty()) return 0;
  const auto& key = found.front().first;
  return static_cast<std::uint32_t>(
      task_keys::read_be(std::string_view{key}.substr(key.size() - 4)));
}

void task_store::save_counters() {
  store_.put(task_keys::counters, counters_.encode());
}

task_store::gauge_moves task_store::flush() {
  gauge_moves gauges;
  auto count = [&](task_status s, int sign) {
    if (s == task_status::running) gauges.running += sign;
    if (s == task_status::pending || s == task_status::rate_limited) gauges.queued += sign;
  };
  for (auto& [id, move] : moves_) {
    if (move.from == move.to) continue;
    if (move.from) {
      store_.del(task_keys::by_status(*move.from, move.seq));
      count(*move.from, -1);
    }
    store_.put(task_keys::by_status(move.to, move.seq), id);
    count(move.to, +1);
  }
  moves_.clear();
  return gauges;
}

}  // namespace dort
