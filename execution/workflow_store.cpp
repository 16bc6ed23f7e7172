#include "execution/workflow_store.hpp"

#include <simdjson.h>

#include "execution/task_keys.hpp"
#include "persistence/error.hpp"

namespace dort {

namespace {

/// Decoded definitions kept per execution.
constexpr std::size_t max_cached_definitions = 1'024;

constexpr std::string_view counter_names[] = {"running",   "waiting",   "completed",
                                              "failed",    "cancelled", "timedOut"};

char status_letter(workflow_status s) { return "RWCFXT"[static_cast<int>(s)]; }

/// Retention classes as for tasks: `completedMs` keeps completed and cancelled workflows (C),
/// `failedMs` failed and timed-out ones (F).
char retention_class(workflow_status s) {
  return s == workflow_status::failed || s == workflow_status::timed_out ? 'F' : 'C';
}

std::string with_length(char letter, std::string_view id) {
  std::string k{letter};
  task_keys::append_be(k, id.size(), 2);
  return k + std::string{id};
}

std::string by_status(workflow_status s, std::uint64_t seq) {
  std::string k{'B', status_letter(s)};
  task_keys::append_be(k, seq, 8);
  return k;
}

std::string finished(workflow_status s, std::int64_t at, std::uint64_t seq) {
  std::string k{'X', retention_class(s)};
  task_keys::append_be(k, static_cast<std::uint64_t>(at < 0 ? 0 : at), 8);
  task_keys::append_be(k, seq, 8);
  return k;
}

}  // namespace

namespace workflow_keys {

std::string definition(std::string_view id) { return "D" + std::string{id}; }
std::string state(std::string_view id) { return "W" + std::string{id}; }

std::string output(std::string_view id, std::size_t step) {
  auto k = with_length('o', id);
  task_keys::append_be(k, step, 2);
  return k;
}

std::string all(std::uint64_t seq) {
  std::string k = "b";
  task_keys::append_be(k, seq, 8);
  return k;
}

std::string listing_prefix(std::optional<workflow_status> s) {
  return s ? std::string{'B', status_letter(*s)} : std::string{"b"};
}

std::string timed(std::int64_t at_ms, std::uint64_t seq, char what, std::size_t step) {
  std::string k{timed_prefix};
  task_keys::append_be(k, static_cast<std::uint64_t>(at_ms < 0 ? 0 : at_ms), 8);
  task_keys::append_be(k, seq, 8);
  k.push_back(what);
  task_keys::append_be(k, step, 2);
  return k;
}

std::int64_t timed_time(std::string_view key) {
  return static_cast<std::int64_t>(task_keys::read_be(key.substr(1, 8)));
}
char timed_what(std::string_view key) { return key.size() > 17 ? key[17] : '?'; }
std::size_t timed_step(std::string_view key) {
  return key.size() >= 20 ? static_cast<std::size_t>(task_keys::read_be(key.substr(18, 2))) : 0;
}

std::string events_prefix(std::string_view id) { return with_length('E', id); }

std::string queued_prefix(std::string_view id, std::string_view type) {
  auto k = with_length('v', id);
  task_keys::append_be(k, type.size(), 2);
  return k + std::string{type};
}

}  // namespace workflow_keys

void workflow_store::load() {
  by_status_ = {};
  next_seq_ = 1;
  counters_changed_ = false;
  definitions_.clear();
  auto stored = store_.get(workflow_keys::counters);
  if (!stored) return;
  try {
    simdjson::ondemand::parser parser;
    simdjson::padded_string padded{*stored};
    auto doc = parser.iterate(padded);
    for (auto field : doc.get_object()) {
      auto key = field.unescaped_key().value();
      auto n = field.value().get_int64().value();
      if (key == "next") next_seq_ = static_cast<std::uint64_t>(n);
      for (std::size_t i = 0; i < by_status_.size(); ++i)
        if (key == counter_names[i]) by_status_[i] = n;
    }
  } catch (const simdjson::simdjson_error& e) {
    throw error{errc::storage_failure, std::string{"the workflow counters are damaged: "} + e.what()};
  }
}

void workflow_store::save_counters() {
  if (!counters_changed_) return;  // most step changes move no workflow between statuses
  counters_changed_ = false;
  json_writer out;
  out.begin_object().key("next").value(next_seq_);
  for (std::size_t i = 0; i < by_status_.size(); ++i) out.key(counter_names[i]).value(by_status_[i]);
  out.end_object();
  store_.put(workflow_keys::counters, out.str());
}

void workflow_store::write_metrics(json_writer& out) const {
  std::int64_t total = 0;
  for (auto n : by_status_) total += n;
  out.begin_object().key("total").value(total);
  for (std::size_t i = 0; i < by_status_.size(); ++i) out.key(counter_names[i]).value(by_status_[i]);
  out.end_object();
}

std::optional<std::string> workflow_store::stored_definition(std::string_view id) {
  return store_.get(workflow_keys::definition(id));
}

std::optional<workflow> workflow_store::find(std::string_view id) {
  auto stored_state = store_.get(workflow_keys::state(id));
  if (!stored_state) return std::nullopt;
  workflow w;
  w.state = decode_workflow(*stored_state);
  if (auto it = definitions_.find(std::string{id}); it != definitions_.end()) {
    w.definition = it->second;
    return w;
  }
  auto text = stored_definition(id);
  if (!text) throw error{errc::storage_failure, "workflow '" + std::string{id} + "' has no definition"};
  w.definition = read_workflow_definition(*text, {});
  if (w.definition.steps.size() != w.state.steps.size())
    throw error{errc::storage_failure, "workflow '" + std::string{id} + "' has a damaged state"};
  if (definitions_.size() >= max_cached_definitions) definitions_.clear();
  definitions_.emplace(std::string{id}, w.definition);
  return w;
}

void workflow_store::add(workflow& w, const std::string& definition_text) {
  w.state.seq = next_seq_++;
  store_.put(workflow_keys::definition(w.state.id), definition_text);
  store_.put(workflow_keys::all(w.state.seq), w.state.id);
  store_.put(by_status(w.state.status, w.state.seq), w.state.id);
  ++by_status_[static_cast<std::size_t>(w.state.status)];
  counters_changed_ = true;
}

void workflow_store::save(const workflow_state& w) {
  store_.put(workflow_keys::state(w.id), encode_workflow(w));
}

void workflow_store::set_status(workflow_state& w, workflow_status to) {
  if (w.status == to) return;
  store_.del(by_status(w.status, w.seq));
  store_.put(by_status(to, w.seq), w.id);
  --by_status_[static_cast<std::size_t>(w.status)];
  ++by_status_[static_cast<std::size_t>(to)];
  counters_changed_ = true;
  if (is_final(w.status) && !is_final(to))
    store_.del(finished(w.status, w.completed_at.value_or(0), w.seq));
  const bool finishes = !is_final(w.status) && is_final(to);
  w.status = to;
  if (finishes) store_.put(finished(to, w.completed_at.value_or(0), w.seq), w.id);
}

void workflow_store::remove(const workflow& w) {
  const auto& s = w.state;
  store_.del(workflow_keys::definition(s.id));
  store_.del(workflow_keys::state(s.id));
  store_.del(workflow_keys::all(s.seq));
  store_.del(by_status(s.status, s.seq));
  if (is_final(s.status)) store_.del(finished(s.status, s.completed_at.value_or(0), s.seq));
  for (std::size_t i = 0; i < s.steps.size(); ++i)
    if (s.steps[i].status == step_status::completed) store_.del(workflow_keys::output(s.id, i));
  for (std::uint32_t seq = 1; seq <= s.events; ++seq) {
    auto key = workflow_keys::events_prefix(s.id);
    task_keys::append_be(key, seq, 4);
    store_.del(key);
  }
  if (s.queued_events > 0) {
    list_options queued;
    queued.prefix = with_length('v', s.id);
    queued.limit = static_cast<std::size_t>(s.queued_events);
    for (auto& [key, payload] : store_.list(queued)) store_.del(key);
  }
  --by_status_[static_cast<std::size_t>(s.status)];
  counters_changed_ = true;
  definitions_.erase(s.id);
}

std::optional<std::string> workflow_store::output(const workflow_state& w, std::size_t step) {
  return store_.get(workflow_keys::output(w.id, step));
}

void workflow_store::put_output(const workflow_state& w, std::size_t step, std::string_view json) {
  store_.put(workflow_keys::output(w.id, step), json);
}

void workflow_store::queue_event(workflow_state& w, std::string_view type,
                                 std::string_view payload) {
  auto key = workflow_keys::queued_prefix(w.id, type);
  task_keys::append_be(key, w.next_event++, 8);
  store_.put(key, payload);
  ++w.queued_events;
}

std::optional<std::string> workflow_store::take_event(workflow_state& w, std::string_view type) {
  if (w.queued_events == 0) return std::nullopt;
  list_options oldest;
  oldest.prefix = workflow_keys::queued_prefix(w.id, type);
  oldest.limit = 1;
  auto found = store_.list(oldest);
  if (found.empty()) return std::nullopt;
  store_.del(found.front().first);
  --w.queued_events;
  return std::move(found.front().second);
}

task_event workflow_store::append_event(workflow_state& w, std::string_view type,
                                        std::int64_t now_ms,
                                        const std::function<void(json_writer&)>& fields) {
  task_event event{++w.events, std::string{type}, {}};
  json_writer data;
  data.begin_object().key("workflowId").value(w.id).key("seq").value(
      static_cast<std::int64_t>(event.seq));
  data.key("type").value(type).key("at").value(now_ms);
  if (fields) fields(data);
  data.end_object();
  event.json = data.str();
  auto key = workflow_keys::events_prefix(w.id);
  task_keys::append_be(key, event.seq, 4);
  store_.put(key, event.json);
  return event;
}

std::vector<std::string> workflow_store::due(std::int64_t now, const retention_policy& policy,
                                             std::size_t limit) {
  std::vector<std::string> ids;
  for (char c : {'C', 'F'}) {
    if (ids.size() >= limit) break;
    const auto keep = c == 'F' ? policy.failed_ms : policy.completed_ms;
    list_options range;
    range.prefix = std::string{'X', c};
    range.end = range.prefix;
    task_keys::append_be(*range.end,
                         static_cast<std::uint64_t>(std::max<std::int64_t>(now - keep + 1, 0)), 8);
    range.limit = limit - ids.size();
    for (auto& [key, id] : store_.list(range)) ids.push_back(std::move(id));
  }
  return ids;
}

std::optional<std::int64_t> workflow_store::next_due(const retention_policy& policy) {
  if (count(workflow_status::completed) + count(workflow_status::failed) +
          count(workflow_status::cancelled) + count(workflow_status::timed_out) ==
      0)
    return std::nullopt;
  std::optional<std::int64_t> next;
  for (char c : {'C', 'F'}) {
    list_options front;
    front.prefix = std::string{'X', c};
    front.limit = 1;
    auto found = store_.list(front);
    if (found.empty()) continue;
    const auto at = static_cast<std::int64_t>(
        task_keys::read_be(std::string_view{found.front().first}.substr(2, 8)));
    const auto due = at + (c == 'F' ? policy.failed_ms : policy.completed_ms);
    if (!next || due < *next) next = due;
  }
  return next;
}

}  // namespace dort
