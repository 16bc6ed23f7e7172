// bench_workflows (BENCHMARKS.md, "Workflows"): 10,000 workflows of 5 `echo` task steps over 100
// execution objects ("e0".."e99"), workflow i ("w<i>") going to execution i mod 100, created by
// client actors through the asynchronous stub with 1,024 creates in flight in total. Each step's
// input is a reference to the previous step's output, the first step's to the workflow's input
// {"n": i}, so the last output equals the input.
// Measured from the first create until the last workflow is completed: each workflow's
// `complete` event, heard through the event hub (subscribed before the create), gives its
// completion time; latency is create → complete event (published once durable).
// verified: every create answered created; every workflow got exactly one complete event whose
// output equals its input, and no error event; every record, read back, is completed.
// Flags: --workflows, --executions, --inflight, --clients, --deadline-s.
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "bench/bench_util.hpp"
#include "execution/execution_object.hpp"
#include "execution/task_services.hpp"
#include "execution/workflow_client.hpp"

namespace {

constexpr const char* bench_name = "workflows";
constexpr std::uint64_t steps_per_workflow = 5;
constexpr std::uint64_t default_workflows = 10'000;
constexpr std::uint64_t default_executions = 100;
constexpr std::uint64_t default_inflight = 1'024;  // in total, over all clients
constexpr std::uint64_t default_clients = 8;
/// Longest wait for the last completion; leaves time for the check within the 5-minute rule.
constexpr std::uint64_t default_deadline_s = 240;

using dort::bench::clock;

/// What the clients, the event subscribers and main share; outlives the runtime.
struct shared_state {
  explicit shared_state(std::uint64_t n)
      : workflows(n), created_ns(n), completed_ns(n), complete_events(n), right_output(n) {}

  clock::time_point start;
  std::vector<dort::object_stub> stubs;
  dort::task_services* services = nullptr;
  std::uint64_t workflows = 0;
  std::uint64_t clients = 0;
  std::vector<std::atomic<std::int64_t>> created_ns;
  std::vector<std::atomic<std::int64_t>> completed_ns;
  std::vector<std::atomic<std::uint32_t>> complete_events;
  std::vector<std::atomic<bool>> right_output;
  std::atomic<std::uint64_t> completed{0};
  std::atomic<std::uint64_t> error_events{0};
  std::atomic<std::uint64_t> replies{0};
  std::atomic<std::uint64_t> create_errors{0};
};

struct client_state {
  std::uint64_t next = 0;
  std::uint64_t quota = 0;
  std::uint64_t replies = 0;
};

std::string input_of(std::uint64_t w) { return R"({"n":)" + std::to_string(w) + "}"; }

void on_event(shared_state& s, std::uint64_t w, const dort::task_event& event) {
  if (event.type == "complete") {
    s.completed_ns[w].store(dort::bench::ns_between(s.start, clock::now()),
                            std::memory_order_relaxed);
    s.right_output[w].store(event.json.find(R"("output":)" + input_of(w) + "}") !=
                            std::string::npos);
    s.complete_events[w].fetch_add(1, std::memory_order_relaxed);
    s.completed.fetch_add(1, std::memory_order_release);
  } else if (event.type == "error") {
    s.error_events.fetch_add(1, std::memory_order_release);
  }
}

std::string create_body(std::uint64_t w) {
  std::string body = R"({"id":"w)" + std::to_string(w) + R"(","input":)" + input_of(w) +
                     R"(,"steps":[)";
  for (std::uint64_t i = 0; i < steps_per_workflow; ++i) {
    const std::string from = i == 0 ? "$input" : "s" + std::to_string(i - 1);
    body += std::string{i ? "," : ""} + R"({"name":"s)" + std::to_string(i) +
            R"(","task":"echo","input":{"$ref":")" + from + R"("}})";
  }
  return body + "]}";
}

void send_create(caf::event_based_actor* self, const std::shared_ptr<shared_state>& s,
                 const std::shared_ptr<client_state>& c) {
  const std::uint64_t w = c->next;
  c->next += s->clients;
  const auto& stub = s->stubs[w % s->stubs.size()];
  s->services->events.subscribe(stub.name(), "#w" + std::to_string(w),
                                [st = s.get(), w](const dort::task_event& e) { on_event(*st, w, e); });
  s->created_ns[w].store(dort::bench::ns_between(s->start, clock::now()), std::memory_order_relaxed);
  stub.request(self, "workflow_create", create_body(w),
               [self, s, c](dort::expected<std::string> reply) {
                 constexpr std::string_view created = R"({"created":true,)";
                 if ((!reply || reply.value().rfind(created, 0) != 0) &&
                     s->create_errors.fetch_add(1) == 0)
                   std::cerr << bench_name << ": create error: "
                             << (reply ? reply.value() : std::string{reply.err().what()}) << '\n';
                 ++c->replies;
                 s->replies.fetch_add(1, std::memory_order_relaxed);
                 if (c->next < s->workflows)
                   send_create(self, s, c);
                 else if (c->replies == c->quota)
                   self->quit();
               });
}

}  // namespace

int main(int argc, char** argv) {
  dort::bench::flags args{
      argc, argv, {"workflows", "executions", "inflight", "clients", "deadline-s"}};
  const std::uint64_t workflows = std::max<std::uint64_t>(1, args.get("workflows", default_workflows));
  const std::uint64_t executions =
      std::max<std::uint64_t>(1, args.get("executions", default_executions));
  const std::uint64_t inflight = std::max<std::uint64_t>(1, args.get("inflight", default_inflight));
  const std::uint64_t clients = std::clamp<std::uint64_t>(args.get("clients", default_clients), 1,
                                                          std::min(inflight, workflows));
  const std::chrono::seconds deadline{args.get("deadline-s", default_deadline_s)};

  dort::bench::temp_dir dir;
  dort::bench::json_line result;
  result.add("bench", bench_name)
      .add("workflows", workflows)
      .add("steps", workflows * steps_per_workflow)
      .add("executions", executions)
      .add("inflight", inflight);
  return dort::bench::report(bench_name, result, dir, [&] {
    auto s = std::make_shared<shared_state>(workflows);
    s->clients = clients;
    auto real_time = std::make_shared<dort::system_clock>();
    auto services = std::make_shared<dort::task_services>(
        *real_time, dort::task_services_options{.worker_threads = 1});
    s->services = services.get();
    auto options = dort::bench::bench_options(dir.path(), false);
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
      c->quota = (workflows - i + clients - 1) / clients;
      states.push_back(std::move(c));
    }
    const auto before = rt.stats();
    s->start = clock::now();
    std::vector<caf::actor> actors;
    for (std::uint64_t i = 0; i < clients; ++i) {
      const std::uint64_t own = inflight / clients + (i < inflight % clients ? 1 : 0);
      actors.push_back(rt.system().spawn([s, c = states[i], own](caf::event_based_actor* self) {
        for (std::uint64_t k = 0; k < own && c->next < s->workflows; ++k) send_create(self, s, c);
      }));
    }
    auto finished = [&] {
      return s->completed.load(std::memory_order_acquire) +
                 s->error_events.load(std::memory_order_acquire) + s->create_errors.load() >=
             workflows;
    };
    if (!dort::bench::wait_until_true(
            finished, std::string{bench_name} + ": completed", [&] { return s->completed.load(); },
            workflows, deadline, std::chrono::milliseconds{5},
            [&] { return ", created " + std::to_string(s->replies.load()); })) {
      result.add("completed", s->completed.load()).add("created", s->replies.load());
      dort::bench::give_up(bench_name, "workflows did not complete in time", dir, result);
    }
    const auto after = rt.stats();
    if (!dort::bench::wait_until_quit(
            actors, std::string{bench_name} + ": create replies", [&] { return s->replies.load(); },
            workflows, std::chrono::seconds{10}))
      dort::bench::give_up(bench_name, "create replies did not all arrive", dir, result);
    actors.clear();

    std::int64_t end_ns = 0;
    std::uint64_t once = 0;
    std::uint64_t right = 0;
    std::vector<std::int64_t> latencies;
    for (std::uint64_t i = 0; i < workflows; ++i) {
      auto events = s->complete_events[i].load();
      if (events == 0) continue;
      if (events == 1) ++once;
      if (s->right_output[i].load()) ++right;
      auto done = s->completed_ns[i].load();
      end_ns = std::max(end_ns, done);
      latencies.push_back(done - s->created_ns[i].load());
    }
    const double elapsed = static_cast<double>(end_ns) / 1e9;
    std::uint64_t records = 0;
    for (std::uint64_t i = 0; i < workflows; ++i) {
      dort::workflow_client client{rt, s->stubs[i % s->stubs.size()].name()};
      if (client.get("w" + std::to_string(i)).status == "completed") ++records;
    }
    const bool verified = s->create_errors.load() == 0 && s->error_events.load() == 0 &&
                          once == workflows && right == workflows && records == workflows;
    std::cerr << bench_name << ": " << once << '/' << workflows << " completed once, " << right
              << " with the right output, " << records << " records completed\n";
    const auto steps = static_cast<double>(workflows * steps_per_workflow);
    const auto writes = after.writes - before.writes;
    result.add("workflows_per_s", static_cast<double>(workflows) / elapsed, 0)
        .add("steps_per_s", steps / elapsed, 0)
        .add("p50_ms", dort::bench::percentile_us(latencies, 50) / 1e3, 2)
        .add("p99_ms", dort::bench::percentile_us(latencies, 99) / 1e3, 2)
        .add("elapsed_s", elapsed, 3)
        .add("commits", after.commits - before.commits)
        .add("writes", writes)
        .add("writes_per_step", static_cast<double>(writes) / steps, 1);
    return verified;
  });
}
