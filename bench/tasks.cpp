// bench_tasks / bench_tasks_plain (BENCHMARKS.md, "Task execution"): 100,000 tasks over 100
// execution objects ("e0".."e99"), task i ("t<i>") going to execution i mod 100, submitted by
// client actors through the asynchronous stub with 1,024 submits in flight in total.
//   bench_tasks:       the handler "flaky" fails the first attempt and completes the second;
//                      each task's config has initialRetryDelay 1 ms
//   bench_tasks_plain: the handler completes the first attempt (DORT_BENCH_TASKS_PLAIN)
// Handlers end their attempt inline, in the handler call (the report comes back by a post to the
// execution's mailbox), so no worker thread takes part.
// Measured from the first submit until the last task is completed: each task's `complete` event,
// heard through the task layer's event hub (subscribed before the task is submitted), gives its
// completion time; latency is submit → complete event (the event is published once durable).
// verified: every submit answered created; every task got exactly one complete event and no
// error event; every task's record, read back by listing each execution's completed tasks, is
// completed with retries 1 and attempts 2 (plain: 0 and 1).
// Flags: --tasks, --executions, --inflight, --clients, --deadline-s; for exploration only,
// --relaxed 1 (no fsync) and --groups N (task i in group "g<i mod N>", to measure the turns).
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "bench/bench_util.hpp"
#include "execution/execution_client.hpp"
#include "execution/execution_object.hpp"
#include "execution/task_services.hpp"

namespace {

#ifdef DORT_BENCH_TASKS_PLAIN
constexpr const char* bench_name = "tasks_plain";
/// Attempts each task takes: the handler completes the first.
constexpr std::int64_t attempts_per_task = 1;
#else
constexpr const char* bench_name = "tasks";
/// Attempts each task takes: the handler fails the first and completes the second.
constexpr std::int64_t attempts_per_task = 2;
#endif
constexpr const char* handler_name = "flaky";
constexpr std::uint64_t default_tasks = 100'000;
constexpr std::uint64_t default_executions = 100;
constexpr std::uint64_t default_inflight = 1'024;  // in total, over all clients
constexpr std::uint64_t default_clients = 8;
constexpr std::uint64_t default_initial_retry_delay_ms = 1;
/// Longest wait for the last completion; leaves time for the check within the 5-minute rule.
constexpr std::uint64_t default_deadline_s = 240;
/// Tasks per `list` page when reading the records back (the method's largest page).
constexpr std::int64_t list_page = 1'000;

using dort::bench::clock;

/// What the clients, the event subscribers and main share; outlives the runtime.
struct shared_state {
  explicit shared_state(std::uint64_t n)
      : tasks(n), submitted_ns(n), completed_ns(n), complete_events(n) {}

  clock::time_point start;
  std::vector<dort::object_stub> stubs;  // one per execution, read-only once clients run
  dort::task_services* services = nullptr;
  std::uint64_t tasks = 0;
  std::uint64_t clients = 0;
  std::string config_json;
  std::uint64_t groups = 0;
  /// Per task, ns from `start`: when its submit was sent, when its complete event was heard.
  std::vector<std::atomic<std::int64_t>> submitted_ns;
  std::vector<std::atomic<std::int64_t>> completed_ns;
  std::vector<std::atomic<std::uint32_t>> complete_events;
  std::atomic<std::uint64_t> completed{0};
  std::atomic<std::uint64_t> error_events{0};
  std::atomic<std::uint64_t> replies{0};
  std::atomic<std::uint64_t> submit_errors{0};
};

/// One client's work; touched only by its actor.
struct client_state {
  std::uint64_t next = 0;
  std::uint64_t quota = 0;
  std::uint64_t replies = 0;
  std::string first_error;
};

void on_event(shared_state& s, std::uint64_t task, const dort::task_event& event) {
  if (event.type == "complete") {
    s.completed_ns[task].store(dort::bench::ns_between(s.start, clock::now()),
                               std::memory_order_relaxed);
    s.complete_events[task].fetch_add(1, std::memory_order_relaxed);
    s.completed.fetch_add(1, std::memory_order_release);
  } else if (event.type == "error") {
    s.error_events.fetch_add(1, std::memory_order_release);
  }
}

void send_submit(caf::event_based_actor* self, const std::shared_ptr<shared_state>& s,
                 const std::shared_ptr<client_state>& c) {
  const std::uint64_t task = c->next;
  c->next += s->clients;
  const auto& stub = s->stubs[task % s->stubs.size()];
  std::string id = "t" + std::to_string(task);
  s->services->events.subscribe(
      stub.name(), id, [st = s.get(), task](const dort::task_event& e) { on_event(*st, task, e); });
  std::string payload =
      R"({"id":")" + id + R"(","name":")" + handler_name + R"(","config":)" + s->config_json;
  if (s->groups > 0) payload += R"(,"group":"g)" + std::to_string(task % s->groups) + "\"";
  payload += "}";
  s->submitted_ns[task].store(dort::bench::ns_between(s->start, clock::now()),
                              std::memory_order_relaxed);
  stub.request(self, "submit", std::move(payload), [self, s, c](dort::expected<std::string> reply) {
    constexpr std::string_view created = R"({"created":true,)";
    if (!reply || reply.value().rfind(created, 0) != 0) {
      if (s->submit_errors.fetch_add(1) == 0)
        std::cerr << bench_name << ": submit error: "
                  << (reply ? "unexpected reply " + reply.value() : std::string{reply.err().what()})
                  << '\n';
    }
    ++c->replies;
    s->replies.fetch_add(1, std::memory_order_relaxed);
    if (c->next < s->tasks)
      send_submit(self, s, c);
    else if (c->replies == c->quota)
      self->quit();
  });
}

/// Reads every completed task of every execution back (pages of `list_page`) and checks it;
/// returns the number of tasks found completed with the expected retries and attempts, once each.
std::uint64_t count_good_records(dort::runtime& rt, const shared_state& s) {
  std::vector<char> seen(s.tasks, 0);
  std::uint64_t good = 0, bad = 0;
  for (const auto& stub : s.stubs) {
    dort::execution_client client{rt, stub.name()};
    dort::task_query query;
    query.status = dort::task_status::completed;
    query.limit = list_page;
    for (;;) {
      auto page = client.list(query);
      for (const auto& t : page.tasks) {
        std::uint64_t i = 0;
        auto [end, ec] = std::from_chars(t.id.data() + 1, t.id.data() + t.id.size(), i);
        bool ok = t.id.size() > 1 && t.id[0] == 't' && ec == std::errc{} &&
                  end == t.id.data() + t.id.size() && i < s.tasks && !seen[i] &&
                  t.status == dort::task_status::completed && t.retries == attempts_per_task - 1 &&
                  t.attempts == attempts_per_task;
        if (ok) {
          seen[i] = 1;
          ++good;
        } else if (bad++ == 0) {
          std::cerr << bench_name << ": unexpected record " << t.id << " in " << stub.name()
                    << ": status " << dort::status_name(t.status) << ", retries " << t.retries
                    << ", attempts " << t.attempts << '\n';
        }
      }
      if (!page.next_cursor) break;
      query.cursor = page.next_cursor;
    }
  }
  return bad == 0 ? good : 0;
}

}  // namespace

int main(int argc, char** argv) {
  dort::bench::flags args{
      argc, argv, {"tasks", "executions", "inflight", "clients", "deadline-s", "relaxed", "groups"}};
  const std::uint64_t tasks = std::max<std::uint64_t>(1, args.get("tasks", default_tasks));
  const std::uint64_t executions =
      std::max<std::uint64_t>(1, args.get("executions", default_executions));
  const std::uint64_t inflight = std::max<std::uint64_t>(1, args.get("inflight", default_inflight));
  const std::uint64_t clients =
      std::clamp<std::uint64_t>(args.get("clients", default_clients), 1, std::min(inflight, tasks));
  const std::chrono::seconds deadline{args.get("deadline-s", default_deadline_s)};
  const bool relaxed = args.get("relaxed", 0) != 0;  // exploration only: the contract is strict
  // Exploration: task i in group "g<i mod groups>" (0: no groups, as BENCHMARKS.md runs it).
  const std::uint64_t groups = args.get("groups", 0);

  dort::bench::temp_dir dir;
  dort::bench::json_line result;
  result.add("bench", bench_name)
      .add("tasks", tasks)
      .add("executions", executions)
      .add("inflight", inflight);
  if (relaxed) result.add("durability", "relaxed");
  if (groups > 0) result.add("groups", groups);
  return dort::bench::report(bench_name, result, dir, [&] {
    std::cerr << bench_name << ": " << tasks << " tasks over " << executions << " executions, "
              << clients << " clients, " << inflight << " submits in flight, data in " << dir.path()
              << '\n';
    // Declared before the runtime, so that they outlive every object that may publish to them.
    auto s = std::make_shared<shared_state>(tasks);
    s->clients = clients;
    s->groups = groups;
    s->config_json =
        R"({"initialRetryDelay":)" + std::to_string(default_initial_retry_delay_ms) + "}";
    auto real_time = std::make_shared<dort::system_clock>();
    auto services = std::make_shared<dort::task_services>(
        *real_time, dort::task_services_options{.worker_threads = 1});
    services->handlers.add(handler_name, [](std::shared_ptr<dort::task_attempt> attempt) {
      if (attempt->attempt() < attempts_per_task)
        attempt->fail("first attempt fails");
      else
        attempt->complete("{}");
    });
    s->services = services.get();

    auto options = dort::bench::bench_options(dir.path(), relaxed);
    options.clock = real_time;
    dort::runtime rt{options};
    dort::register_execution(rt, services);
    for (std::uint64_t e = 0; e < executions; ++e) {
      s->stubs.push_back(rt.get(dort::execution_object::class_name, "e" + std::to_string(e)));
      s->stubs.back().call("config");  // activates it; writes nothing
    }

    std::vector<std::shared_ptr<client_state>> states;
    for (std::uint64_t i = 0; i < clients; ++i) {
      auto c = std::make_shared<client_state>();
      c->next = i;
      c->quota = (tasks - i + clients - 1) / clients;
      states.push_back(std::move(c));
    }
    const auto before = rt.stats();
    s->start = clock::now();
    std::vector<caf::actor> actors;
    for (std::uint64_t i = 0; i < clients; ++i) {
      const std::uint64_t own = inflight / clients + (i < inflight % clients ? 1 : 0);
      actors.push_back(rt.system().spawn([s, c = states[i], own](caf::event_based_actor* self) {
        for (std::uint64_t k = 0; k < own && c->next < s->tasks; ++k) send_submit(self, s, c);
      }));
    }
    auto finished = [&] {
      return s->completed.load(std::memory_order_acquire) +
                 s->error_events.load(std::memory_order_acquire) + s->submit_errors.load() >=
             tasks;
    };
    if (!dort::bench::wait_until_true(
            finished, std::string{bench_name} + ": completed", [&] { return s->completed.load(); },
            tasks, deadline, std::chrono::milliseconds{5},
            [&] { return ", submitted " + std::to_string(s->replies.load()); })) {
      result.add("completed", s->completed.load()).add("submitted", s->replies.load());
      dort::bench::give_up(bench_name, "tasks did not complete in time", dir, result);
    }
    const auto after = rt.stats();
    if (!dort::bench::wait_until_quit(
            actors, std::string{bench_name} + ": submit replies", [&] { return s->replies.load(); },
            tasks, std::chrono::seconds{10}))
      dort::bench::give_up(bench_name, "submit replies did not all arrive", dir, result);
    actors.clear();

    std::int64_t end_ns = 0;
    std::uint64_t once = 0;
    std::vector<std::int64_t> latencies;
    latencies.reserve(tasks);
    for (std::uint64_t i = 0; i < tasks; ++i) {
      auto events = s->complete_events[i].load();
      if (events == 0) continue;
      if (events == 1) ++once;
      auto done = s->completed_ns[i].load();
      end_ns = std::max(end_ns, done);
      latencies.push_back(done - s->submitted_ns[i].load());
    }
    const double elapsed = static_cast<double>(end_ns) / 1e9;
    const auto commits = after.commits - before.commits;
    const auto writes = after.writes - before.writes;

    std::cerr << bench_name << ": " << s->completed.load() << " completed in " << elapsed
              << " s; reading the records back\n";
    const auto good = count_good_records(rt, *s);
    const bool verified = s->submit_errors.load() == 0 && s->error_events.load() == 0 &&
                          s->completed.load() == tasks && once == tasks && good == tasks;
    std::cerr << bench_name << ": " << good << '/' << tasks << " records completed with "
              << attempts_per_task - 1 << " retries; " << once << " with one complete event; "
              << s->submit_errors.load() << " submit errors, " << s->error_events.load()
              << " error events\n";

    result.add("tasks_per_s", static_cast<double>(tasks) / elapsed, 0)
        .add("p50_ms", dort::bench::percentile_us(latencies, 50) / 1e3, 2)
        .add("p99_ms", dort::bench::percentile_us(latencies, 99) / 1e3, 2)
        .add("elapsed_s", elapsed, 3)
        .add("commits", commits)
        .add("writes", writes)
        .add("writes_per_task", static_cast<double>(writes) / static_cast<double>(tasks), 1)
        .add("commit_avg_us", commits ? static_cast<double>(after.commit_ns - before.commit_ns) /
                                            1e3 / static_cast<double>(commits)
                                      : 0.0);
    return verified;
  });
}
