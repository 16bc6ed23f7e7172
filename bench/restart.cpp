// bench_restart (BENCHMARKS.md, "Alarms"): a data directory with 1,000,000 pending alarms and
// 100,000 pending tasks, closed and reopened.
//
// Fill: a runtime on a fresh data directory; 1,000,000 reminder-like objects ("r0".."r999999",
// class bench_reminder of reminder_bench.hpp) each arm one alarm for the same time T = the start
// of the program + 1 hour (real time), from 8 client actors × 128 `arm` requests in flight; idle
// timeout 200 ms, so that the objects leave memory as they are armed. Then 100,000 tasks ("t0"..,
// task i in execution "e<i mod 100>", built-in handler `echo`, `delayMs` 1 hour, so they stay
// pending) are submitted the same way. Then the runtime is destroyed (every commit finished,
// storage closed).
// Reopen: open_ms runs from the start of constructing a new dort::runtime on the same directory —
// then registering the classes (the task layer's services included), taking a stub of "r0" (the
// first stub also loads the alarm scheduler's near window from the index) — until the reply to a
// blocking `status` call to "r0" (which activates it and reads its alarm) is back. construct_ms,
// start_alarms_ms and call_ms split it into those three steps; first_task_ms is the `get` of "t0"
// that follows (activating "e0"). The data file is in the OS page cache (it was just written), as
// after a restart of the process rather than of the machine.
// verified: every arm answered {"scheduledAt":T} and every submit created a pending task; the
// index holds the 1,000,000 alarms plus one per execution (its reserved task alarm, due in an
// hour) before closing and after reopening; the first reply and a sample (every 1000th object)
// answer {"alarm":T,"firedCount":0}; the executions count 100,000 pending tasks before closing and
// after reopening, and a sample (every 1000th task) is pending, never attempted; no alarm ran in
// either runtime.
// The fill gives up (printing what was measured, unverified) after --fill-deadline-s (240 s).
#include "bench/bench_util.hpp"
#include "bench/reminder_bench.hpp"
#include "execution/execution_client.hpp"
#include "execution/execution_object.hpp"
#include "execution/task_services.hpp"

namespace {

constexpr const char* bench_name = "restart";
constexpr std::uint64_t default_objects = 1'000'000;
constexpr std::uint64_t default_due_in_ms = 3'600'000;
constexpr std::uint64_t default_idle_ms = 200;
constexpr std::uint64_t default_clients = 8;
constexpr std::uint64_t default_inflight = 128;  // per client
constexpr std::uint64_t default_sample_every = 1'000;
constexpr std::uint64_t default_fill_deadline_s = 240;
constexpr std::uint64_t default_tasks = 100'000;
constexpr std::uint64_t default_executions = 100;
/// Least time the task fill gets, even when the alarms took most of the fill deadline.
constexpr std::chrono::seconds min_task_fill_deadline{10};

using dort::bench::clock;

std::string task_id(std::uint64_t index) {
  return dort::bench::indexed_name('t', index);
}

std::string execution_name(std::uint64_t task, std::uint64_t executions) {
  return dort::bench::indexed_name('e', task % executions);
}

/// The task layer as the runtime `rt` runs it: built-in handlers only, on the runtime's clock.
std::shared_ptr<dort::task_services> register_tasks(dort::runtime& rt, dort::clock& clock) {
  auto services = std::make_shared<dort::task_services>(
      clock, dort::task_services_options{.worker_threads = 1});
  dort::register_execution(rt, services);
  return services;
}

/// Submits tasks 0 .. tasks − 1 (`echo`, starting after `delay_ms`) from `clients` client actors
/// that each keep `inflight` submits in flight; checks that each reply is a created, pending
/// task. Gives up (the 5-minute rule), printing `partial`, if they do not finish within
/// `deadline`.
dort::bench::arming_result submit_all(dort::runtime& rt, dort::bench::temp_dir& dir,
                                      dort::bench::json_line& partial,
                                      std::chrono::seconds deadline, std::uint64_t tasks,
                                      std::uint64_t executions, std::uint64_t clients,
                                      std::uint64_t inflight, std::int64_t delay_ms) {
  struct client {
    std::uint64_t next = 0;
    std::uint64_t quota = 0;
    std::uint64_t replies = 0;
    std::uint64_t errors = 0;
    std::string first_error;
    clock::time_point last_reply{};
  };
  struct shared {
    std::vector<dort::object_stub> stubs;
    std::uint64_t tasks;
    std::uint64_t step;
    std::string tail;  // the payload after the id
    std::atomic<std::uint64_t> progress{0};
  };
  auto common = std::make_shared<shared>();
  for (std::uint64_t e = 0; e < std::min(executions, tasks); ++e)
    common->stubs.push_back(
        rt.get(dort::execution_object::class_name, execution_name(e, executions)));
  common->tasks = tasks;
  common->step = clients;
  common->tail = R"(","name":"echo","delayMs":)" + std::to_string(delay_ms) + "}";

  struct sender {
    static void send(caf::event_based_actor* self, const std::shared_ptr<shared>& common,
                     const std::shared_ptr<client>& c) {
      std::uint64_t index = c->next;
      c->next += common->step;
      common->stubs[index % common->stubs.size()].request(
          self, "submit", R"({"id":")" + task_id(index) + common->tail,
          [self, common, c](dort::expected<std::string> reply) {
            if (!reply || reply.value().rfind(R"({"created":true,)", 0) != 0 ||
                reply.value().find(R"("status":"pending")") == std::string::npos) {
              if (c->errors++ == 0)
                c->first_error =
                    reply ? "unexpected reply " + reply.value() : std::string{reply.err().what()};
            }
            ++c->replies;
            common->progress.fetch_add(1, std::memory_order_relaxed);
            c->last_reply = clock::now();
            if (c->next < common->tasks)
              send(self, common, c);
            else if (c->replies == c->quota)
              self->quit();
          });
    }
  };

  std::vector<std::shared_ptr<client>> states;
  for (std::uint64_t i = 0; i < clients && i < tasks; ++i) {
    auto c = std::make_shared<client>();
    c->next = i;
    c->quota = (tasks - i + clients - 1) / clients;
    states.push_back(std::move(c));
  }
  auto start = clock::now();
  std::vector<caf::actor> actors;
  for (auto& c : states)
    actors.push_back(rt.system().spawn([common, c, inflight](caf::event_based_actor* self) {
      for (std::uint64_t k = 0; k < inflight && c->next < common->tasks; ++k)
        sender::send(self, common, c);
    }));
  std::string label = std::string{bench_name} + ": submitted";
  if (!dort::bench::wait_until_quit(
          actors, label, [&] { return common->progress.load(); }, tasks, deadline)) {
    partial.add("submitted", common->progress.load())
        .add("submit_wait_s", dort::bench::seconds_between(start, clock::now()), 1);
    dort::bench::give_up(bench_name, "submitting did not finish in time", dir, partial);
  }
  actors.clear();

  dort::bench::arming_result out;
  clock::time_point end = start;
  for (auto& c : states) {
    end = std::max(end, c->last_reply);
    out.replies += c->replies;
    out.errors += c->errors;
    if (c->errors && out.first_error.empty()) out.first_error = c->first_error;
  }
  out.elapsed_s = dort::bench::seconds_between(start, end);
  if (out.errors) std::cerr << bench_name << ": submit error: " << out.first_error << '\n';
  return out;
}

/// Returns the sum of `pending` over the executions' metrics.
std::int64_t pending_tasks(dort::runtime& rt, std::uint64_t tasks, std::uint64_t executions) {
  std::int64_t pending = 0;
  for (std::uint64_t e = 0; e < std::min(executions, tasks); ++e)
    pending += dort::execution_client{rt, execution_name(e, executions)}.metrics().pending;
  return pending;
}

/// Whether task `index` is pending and was never attempted; prints the first that is not.
bool task_still_pending(dort::runtime& rt, std::uint64_t index, std::uint64_t executions,
                        std::uint64_t& bad) {
  std::string why;
  try {
    auto task = dort::execution_client{rt, execution_name(index, executions)}.get(task_id(index));
    if (task.status == dort::task_status::pending && task.attempts == 0) return true;
    why = std::string{dort::status_name(task.status)} + ", " + std::to_string(task.attempts) +
          " attempts";
  } catch (const std::exception& e) {
    why = e.what();
  }
  if (bad++ == 0) std::cerr << bench_name << ": task " << task_id(index) << ": " << why << '\n';
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  dort::bench::flags args{argc,
                          argv,
                          {"objects", "due-in-ms", "idle-ms", "clients", "inflight", "sample-every",
                           "fill-deadline-s", "tasks", "executions", "relaxed"}};
  const std::uint64_t objects = std::max<std::uint64_t>(1, args.get("objects", default_objects));
  const auto due_in_ms = static_cast<std::int64_t>(args.get("due-in-ms", default_due_in_ms));
  const std::chrono::milliseconds idle{args.get("idle-ms", default_idle_ms)};
  const std::uint64_t clients = std::max<std::uint64_t>(1, args.get("clients", default_clients));
  const std::uint64_t inflight = std::max<std::uint64_t>(1, args.get("inflight", default_inflight));
  const std::uint64_t sample_every =
      std::max<std::uint64_t>(1, args.get("sample-every", default_sample_every));
  const std::uint64_t tasks = args.get("tasks", default_tasks);
  const std::uint64_t executions =
      std::max<std::uint64_t>(1, args.get("executions", default_executions));
  const std::uint64_t executions_used = std::min(executions, tasks);
  const bool relaxed = args.get("relaxed", 0) != 0;  // exploration only: the contract is strict

  dort::bench::temp_dir dir;
  dort::bench::json_line result;
  result.add("bench", bench_name).add("objects", objects).add("tasks", tasks);
  if (relaxed) result.add("durability", "relaxed");
  return dort::bench::report(bench_name, result, dir, [&] {
    const auto program_start = clock::now();
    const std::int64_t due = dort::bench::offset_clock::real_ms() + due_in_ms;
    const std::string pending = R"({"alarm":)" + std::to_string(due) + R"(,"firedCount":0})";
    // The fill may take most of the 5 minutes; the rest is kept for closing and reopening.
    const std::chrono::seconds fill_deadline{args.get("fill-deadline-s", default_fill_deadline_s)};
    auto options = dort::bench::bench_options(dir.path(), relaxed);
    options.idle_timeout = idle;
    // The runtime's clock, shared with the task layer (the default, real time).
    auto real_time = std::make_shared<dort::system_clock>();
    options.clock = real_time;

    // -- fill ---------------------------------------------------------------------------------
    std::cerr << bench_name << ": filling " << dir.path() << " with " << objects
              << " pending alarms due in " << due_in_ms << " ms\n";
    dort::runtime_stats fill_stats{};
    dort::bench::arming_result armed;
    dort::bench::arming_result submitted;
    std::int64_t pending_before = 0;
    double close_ms = 0;
    {
      std::optional<dort::runtime> rt{std::in_place, options};
      dort::bench::register_bench_reminder(*rt, "reminder", nullptr, nullptr);
      auto services = register_tasks(*rt, *real_time);
      armed =
          dort::bench::arm_all(*rt, bench_name, dir, result, fill_deadline, "reminder", 'r',
                               objects, clients, inflight, [due](std::uint64_t) { return due; });
      const auto armed_stats = rt->stats();
      std::cerr << bench_name << ": armed " << armed.replies - armed.errors << " in "
                << armed.elapsed_s << " s (" << armed_stats.commits << " commits, "
                << armed_stats.writes << " writes); submitting " << tasks << " tasks over "
                << executions_used << " executions\n";
      const auto task_deadline = std::max(
          min_task_fill_deadline, fill_deadline - std::chrono::duration_cast<std::chrono::seconds>(
                                                      clock::now() - program_start));
      submitted = submit_all(*rt, dir, result, task_deadline, tasks, executions, clients, inflight,
                             due_in_ms);
      pending_before = pending_tasks(*rt, tasks, executions);
      fill_stats = rt->stats();
      std::cerr << bench_name << ": submitted " << submitted.replies - submitted.errors << " in "
                << submitted.elapsed_s << " s (" << fill_stats.commits - armed_stats.commits
                << " commits, " << fill_stats.writes - armed_stats.writes << " writes); "
                << pending_before << " tasks pending; " << fill_stats.objects_active
                << " objects live; closing\n";
      auto close_start = clock::now();
      rt.reset();
      close_ms = dort::bench::seconds_between(close_start, clock::now()) * 1e3;
    }
    std::uintmax_t data_bytes = 0;
    for (const auto& entry : std::filesystem::directory_iterator{dir.path()})
      if (entry.is_regular_file()) data_bytes += entry.file_size();
    std::cerr << bench_name << ": closed in " << close_ms << " ms; data directory "
              << data_bytes / (1024 * 1024) << " MiB; reopening\n";

    // -- reopen -------------------------------------------------------------------------------
    auto open_start = clock::now();
    dort::runtime rt{options};
    dort::bench::register_bench_reminder(rt, "reminder", nullptr, nullptr);
    auto services = register_tasks(rt, *real_time);
    const auto constructed = clock::now();
    auto stub = rt.get("reminder", dort::bench::indexed_name('r', 0));
    const auto stub_taken = clock::now();
    auto first = stub.try_call("status");
    const auto answered = clock::now();
    const double open_ms = dort::bench::seconds_between(open_start, answered) * 1e3;
    const double construct_ms = dort::bench::seconds_between(open_start, constructed) * 1e3;
    const double start_alarms_ms = dort::bench::seconds_between(constructed, stub_taken) * 1e3;
    const double call_ms = dort::bench::seconds_between(stub_taken, answered) * 1e3;
    const bool first_ok = first && first.value() == pending;
    std::cerr << bench_name << ": first reply after " << open_ms << " ms (runtime constructed "
              << construct_ms << " ms, first stub with the alarm window loaded " << start_alarms_ms
              << " ms, call " << call_ms
              << " ms): " << (first ? first.value() : std::string{first.err().what()}) << '\n';
    std::uint64_t bad_tasks = 0;
    const bool first_task_ok = tasks == 0 || task_still_pending(rt, 0, executions, bad_tasks);
    const double first_task_ms = dort::bench::seconds_between(answered, clock::now()) * 1e3;

    std::uint64_t sampled = 0;
    auto bad = dort::bench::count_bad_status(
        rt, bench_name, "reminder", 'r', objects, sample_every,
        [&](std::uint64_t) { return pending; }, &sampled);
    std::uint64_t tasks_sampled = 0;
    for (std::uint64_t i = 0; i < tasks; i += sample_every, ++tasks_sampled)
      task_still_pending(rt, i, executions, bad_tasks);
    const auto pending_after = pending_tasks(rt, tasks, executions);
    auto stats = rt.stats();
    std::cerr << bench_name << ": " << sampled - bad << '/' << sampled
              << " sampled still pending at the time armed; " << tasks_sampled - bad_tasks << '/'
              << tasks_sampled << " sampled tasks pending; tasks pending " << pending_before
              << " before the restart, " << pending_after << " after; alarms pending "
              << stats.alarms_pending << "; alarm runs " << fill_stats.alarm_runs
              << " before the restart, " << stats.alarm_runs << " after\n";
    // Each execution holds one reserved alarm (its next wake, an hour away).
    const std::uint64_t alarms = objects + executions_used;
    const bool alarms_ok = armed.errors == 0 && armed.replies == objects && first_ok && bad == 0 &&
                           fill_stats.alarms_pending == alarms && stats.alarms_pending == alarms &&
                           fill_stats.alarm_runs == 0 && stats.alarm_runs == 0;
    const auto expected_pending = static_cast<std::int64_t>(tasks);
    const bool tasks_ok = submitted.errors == 0 && submitted.replies == tasks && first_task_ok &&
                          bad_tasks == 0 && pending_before == expected_pending &&
                          pending_after == expected_pending;
    const bool verified = alarms_ok && tasks_ok;

    result.add("open_ms", open_ms, 1)
        .add("construct_ms", construct_ms, 1)
        .add("start_alarms_ms", start_alarms_ms, 1)
        .add("call_ms", call_ms, 1)
        .add("first_task_ms", first_task_ms, 1)
        .add("armed_per_s", static_cast<double>(objects) / armed.elapsed_s, 0)
        .add("arm_s", armed.elapsed_s, 2)
        .add("tasks_per_s", static_cast<double>(tasks) / submitted.elapsed_s, 0)
        .add("submit_s", submitted.elapsed_s, 2)
        .add("close_ms", close_ms, 1)
        .add("data_mb", static_cast<double>(data_bytes) / (1024.0 * 1024.0), 1)
        .add("sampled", sampled)
        .add("tasks_sampled", tasks_sampled)
        .add("commits", fill_stats.commits)
        .add("writes", fill_stats.writes)
        .add("elapsed_s", dort::bench::seconds_between(program_start, clock::now()), 1);
    return verified;
  });
}
