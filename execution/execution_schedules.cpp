// The schedules of an execution (API.md "Schedules (periodic tasks)"): their methods and their
// runs. A schedule is a record (`S<name>`) and an entry of the timed index of schedules
// (`n<nextRunAt><name>`); the execution's one reserved alarm also comes for the first entry, and
// each run is a submit of the schedule's task with the id `{name}@{runAt}` in the same message
// that moves the schedule on, so a run is created once even across crashes. Runs missed while the
// server was down are not made up, except the latest (schedule_times.hpp's `next_run_at`).
#include "actors/json_reader.hpp"
#include "execution/execution_object.hpp"
#include "execution/schedule_record.hpp"
#include "execution/task_keys.hpp"

namespace dort {

namespace {

/// Schedules run per message at most; the alarm comes back at once for the rest.
constexpr std::size_t max_schedule_runs_per_pump = 64;

/// The submit body of a run: the schedule's task with the run's id.
std::string run_payload(const std::string& task, const std::string& id) {
  json_writer with_id;
  with_id.begin_object().key("id").value(id).end_object();
  auto head = with_id.str();  // {"id":"..."}
  if (task == "{}") return head;
  head.pop_back();
  return head + "," + task.substr(1);
}

}  // namespace

std::optional<schedule_record> execution_object::find_schedule(std::string_view name) {
  auto stored = storage().get(task_keys::schedule(name));
  if (!stored) return std::nullopt;
  return decode_schedule(*stored);
}

void execution_object::save_schedule(const schedule_record& s,
                                     const std::optional<schedule_record>& before) {
  dirty_ = true;
  if (before && before->next_run_at)
    storage().del(task_keys::schedule_run(*before->next_run_at, before->name));
  storage().put(task_keys::schedule(s.name), encode_schedule(s));
  if (s.next_run_at) storage().put(task_keys::schedule_run(*s.next_run_at, s.name), s.name);
  schedule_front_known_ = false;
}

std::string execution_object::put_schedule(std::string_view payload) {
  json_object_reader in{payload};
  auto name = in.required_string("name");
  auto body = in.raw("body").value_or("{}");
  auto existing = find_schedule(name);
  auto s = read_schedule_put(name, body, now_ms(), existing, [&](std::string_view task) {
    auto submission = read_submission(task, settings_.defaults);
    check_task(submission.name, submission.input.value_or("null"));
  });
  save_schedule(s, existing);
  pump();  // a run due at once (a startAt in the past) runs now
  // The record as it stands after that run, if one ran.
  json_writer out;
  write_schedule(out, find_schedule(s.name).value_or(s));
  return out.str();
}

std::string execution_object::get_schedule(std::string_view payload) {
  json_object_reader in{payload};
  auto name = in.required_string("name");
  auto s = find_schedule(name);
  if (!s) throw error{errc::schedule_not_found, "no schedule '" + name + "' in this execution", "name"};
  json_writer out;
  write_schedule(out, *s);
  return out.str();
}

std::string execution_object::list_schedules(std::string_view payload) {
  json_object_reader{payload}.allow_only({});
  list_options all;
  all.prefix = std::string{task_keys::schedules_prefix};
  json_writer out;
  out.begin_object().key("schedules").begin_array();
  for (auto& [key, stored] : storage().list(all)) write_schedule(out, decode_schedule(stored));
  out.end_array().end_object();
  return out.str();
}

std::string execution_object::delete_schedule(std::string_view payload) {
  json_object_reader in{payload};
  auto name = in.required_string("name");
  auto s = find_schedule(name);
  if (!s) throw error{errc::schedule_not_found, "no schedule '" + name + "' in this execution", "name"};
  dirty_ = true;
  if (s->next_run_at) storage().del(task_keys::schedule_run(*s->next_run_at, s->name));
  storage().del(task_keys::schedule(s->name));
  schedule_front_known_ = false;
  return "{}";
}

std::optional<std::int64_t> execution_object::next_schedule_run() {
  if (!schedule_front_known_) {
    list_options first;
    first.prefix = std::string{task_keys::schedule_runs_prefix};
    first.limit = 1;
    auto found = storage().list(first);
    schedule_front_.reset();
    if (!found.empty()) schedule_front_ = task_keys::schedule_run_time(found.front().first);
    schedule_front_known_ = true;
  }
  return schedule_front_;
}

void execution_object::run_due_schedules(std::int64_t now) {
  more_schedules_ = false;
  if (auto first = next_schedule_run(); !first || *first > now) return;
  list_options due;
  due.prefix = std::string{task_keys::schedule_runs_prefix};
  due.end = task_keys::schedule_run(now + 1, "");
  due.limit = max_schedule_runs_per_pump;
  auto entries = storage().list(due);
  more_schedules_ = entries.size() == max_schedule_runs_per_pump;
  for (auto& [key, name] : entries) {
    auto before = find_schedule(name);
    if (!before) {
      del(key);  // an entry whose schedule is gone
      continue;
    }
    auto s = *before;
    // The latest run time not after now: of the runs missed while down, only it is made up.
    auto run_at = latest_run_not_after(s.timing, now);
    if (run_at && (!s.last_run_at || *run_at > *s.last_run_at)) {
      run_schedule(s, *run_at);
      s.last_run_at = run_at;
    }
    s.next_run_at = next_run_at(s.timing, s.last_run_at, now);
    save_schedule(s, before);
  }
}

void execution_object::run_schedule(schedule_record& s, std::int64_t run_at) {
  try {
    auto outcome = check_submit(run_payload(s.task, schedule_run_id(s.name, run_at)));
    if (outcome.created) create(outcome);
  } catch (const error& e) {
    if (e.code() == errc::storage_failure) throw;  // not a refusal: the message fails
    // A full queue skips the run (API.md); so does a task the execution no longer takes.
    ++s.skipped_runs;
    after_durable([services = services_] { ++services->metrics.schedule_runs_skipped; });
  }
}

}  // namespace dort
