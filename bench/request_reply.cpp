// bench_request_reply (BENCHMARKS.md, "Runtime core"): one active object whose method writes
// nothing; one request at a time. First 200,000 round trips from an event-based actor through the
// asynchronous stub (the next request leaves from the reply callback), then 50,000 from a plain
// thread through the blocking stub (`call`).
// verified: every reply of both phases is exactly "{}".
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "bench/bench_util.hpp"

namespace {

constexpr const char* bench_name = "request_reply";
constexpr std::uint64_t default_async = 200'000;
constexpr std::uint64_t default_blocking = 50'000;

using dort::bench::clock;

/// An object whose only method, `ping`, writes nothing and answers "{}".
class noop : public dort::durable_object {
 public:
  explicit noop(dort::object_context& context) : durable_object(context) {}

  std::string handle(std::string_view method, std::string_view) override {
    if (method == "ping") return "{}";
    unknown_method(method);
  }
};

struct async_state {
  explicit async_state(dort::object_stub s) : stub(std::move(s)) {}

  dort::object_stub stub;
  std::uint64_t total = 0;
  std::atomic<std::uint64_t>* progress = nullptr;
  std::uint64_t replies = 0;
  std::uint64_t errors = 0;
  std::string first_error;
  std::vector<std::int64_t> latencies_ns;
};

void send_ping(caf::event_based_actor* self, const std::shared_ptr<async_state>& st) {
  auto sent_at = clock::now();
  st->stub.request(self, "ping", "", [self, st, sent_at](dort::expected<std::string> reply) {
    st->latencies_ns.push_back(dort::bench::ns_between(sent_at, clock::now()));
    if (!reply || reply.value() != "{}") {
      if (st->errors++ == 0)
        st->first_error =
            reply ? "unexpected reply " + reply.value() : std::string{reply.err().what()};
    }
    ++st->replies;
    st->progress->fetch_add(1, std::memory_order_relaxed);
    if (st->replies < st->total)
      send_ping(self, st);
    else
      self->quit();
  });
}

}  // namespace

int main(int argc, char** argv) {
  dort::bench::flags args{argc, argv, {"async", "blocking"}};
  const std::uint64_t async_ops = args.get("async", default_async);
  const std::uint64_t blocking_ops = args.get("blocking", default_blocking);

  dort::bench::temp_dir dir;
  dort::bench::json_line result;
  result.add("bench", bench_name).add("async_ops", async_ops).add("blocking_ops", blocking_ops);
  return dort::bench::report(bench_name, result, dir, [&] {
    bool verified = false;
    std::cerr << bench_name << ": " << async_ops << " async round trips, then " << blocking_ops
              << " blocking, data in " << dir.path() << '\n';
    dort::runtime rt{dort::bench::bench_options(dir.path())};
    rt.register_class<noop>("noop");
    auto stub = rt.get("noop", "n");
    bool activated = stub.try_call("ping").has_value();  // activate it first

    // Phase 1: one event-based actor, asynchronous stub, one request at a time.
    std::atomic<std::uint64_t> progress{0};
    auto st = std::make_shared<async_state>(stub);
    st->total = async_ops;
    st->progress = &progress;
    st->latencies_ns.reserve(async_ops);
    auto async_start = clock::now();
    if (async_ops > 0) {
      std::vector<caf::actor> actors{
          rt.system().spawn([st](caf::event_based_actor* self) { send_ping(self, st); })};
      if (!dort::bench::wait_until_quit(
              actors, "async", [&] { return progress.load(); }, async_ops))
        dort::bench::give_up(bench_name, "the async client did not finish in time", dir);
    }
    double async_elapsed = dort::bench::seconds_between(async_start, clock::now());
    if (st->errors) std::cerr << "async error: " << st->first_error << '\n';
    std::cerr << "async: " << st->replies << " round trips in " << async_elapsed << " s\n";

    // Phase 2: this plain thread, blocking stub.
    std::vector<std::int64_t> blocking_ns;
    blocking_ns.reserve(blocking_ops);
    std::uint64_t blocking_errors = 0;
    auto blocking_start = clock::now();
    for (std::uint64_t i = 0; i < blocking_ops; ++i) {
      auto sent_at = clock::now();
      auto reply = stub.try_call("ping");
      blocking_ns.push_back(dort::bench::ns_between(sent_at, clock::now()));
      if (!reply || reply.value() != "{}") {
        if (blocking_errors++ == 0)
          std::cerr << "blocking error: "
                    << (reply ? "unexpected reply " + reply.value()
                              : std::string{reply.err().what()})
                    << '\n';
      }
      if ((i + 1) % 10'000 == 0) std::cerr << "blocking: " << i + 1 << '/' << blocking_ops << '\n';
    }
    double blocking_elapsed = dort::bench::seconds_between(blocking_start, clock::now());
    std::cerr << "blocking: " << blocking_ops << " round trips in " << blocking_elapsed << " s\n";
    auto stats = rt.stats();

    verified = activated && st->errors == 0 && st->replies == async_ops && blocking_errors == 0;
    result.add("async_p50_us", dort::bench::percentile_us(st->latencies_ns, 50), 2)
        .add("async_p99_us", dort::bench::percentile_us(st->latencies_ns, 99), 2)
        .add("blocking_p50_us", dort::bench::percentile_us(blocking_ns, 50), 2)
        .add("blocking_p99_us", dort::bench::percentile_us(blocking_ns, 99), 2)
        .add("async_per_s", static_cast<double>(async_ops) / async_elapsed, 0)
        .add("blocking_per_s", static_cast<double>(blocking_ops) / blocking_elapsed, 0)
        .add("commits", stats.commits)
        .add("writes", stats.writes);
    return verified;
  });
}
