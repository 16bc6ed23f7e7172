#include "execution/task_store.hpp"

#include "execution/task_keys.hpp"

namespace dort {

void task_store::load() {
  counters_ = task_counters{};
  if (auto stored = store_.get(task_keys::counters)) counters_ = task_counters::decode(*stored);
  moves_.clear();
}

std::optional<task_record> task_store::find(std::string_view id) {
  auto stored = store_.get(task_keys::task(id));
  if (!stored) return std::nullopt;
  return decode_task(*stored);
}

void task_store::save(const task_record& task) {
  store_.put(task_keys::task(task.id), encode_task(task));
}

void task_store::add(const task_record& task) {
  ++counters_.of(task.status);
  store_.put(task_keys::all(task.seq), task.id);
  moves_.insert_or_assign(task.id, status_move{std::nullopt, task.status, task.seq});
}

void task_store::set_status(task_record& task, task_status to) {
  if (task.status == to) return;
  auto [move, first] = moves_.try_emplace(task.id, status_move{task.status, to, task.seq});
  if (!first) move->second.to = to;
  counters_.move(task.status, to);
  task.status = to;
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
