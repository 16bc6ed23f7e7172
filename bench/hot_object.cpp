// bench_hot_object / bench_hot_object_32 (BENCHMARKS.md, "Runtime core"): one `counter` object,
// client actors each keeping a fixed number of `incr` requests in flight through the asynchronous
// stub. Latency is measured per request, from the send to the reply callback.
//   bench_hot_object:    8 clients × 128 in flight, 2,000,000 increments
//   bench_hot_object_32: 8 clients ×   4 in flight,   300,000 increments (DORT_BENCH_HOT_32)
// verified: every request got a reply {"value":N}, the values are exactly 1..ops (each once), and
// the counter's final `get` equals the increments acknowledged.
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "bench/bench_util.hpp"
#include "samples/counter/counter.hpp"

namespace {

#ifdef DORT_BENCH_HOT_32
constexpr const char* bench_name = "hot_object_32";
constexpr std::uint64_t default_ops = 300'000;
constexpr std::uint64_t default_inflight = 4;
#else
constexpr const char* bench_name = "hot_object";
constexpr std::uint64_t default_ops = 2'000'000;
constexpr std::uint64_t default_inflight = 128;
#endif
constexpr std::uint64_t default_clients = 8;

using dort::bench::clock;

/// One client's work and results; written only by its actor, read by main after it quit.
struct client_state {
  explicit client_state(dort::object_stub s) : stub(std::move(s)) {}

  dort::object_stub stub;
  std::uint64_t quota = 0;
  std::uint64_t inflight = 0;
  std::atomic<std::uint64_t>* progress = nullptr;
  std::uint64_t sent = 0;
  std::uint64_t replies = 0;
  std::uint64_t errors = 0;
  std::string first_error;
  std::vector<std::int64_t> latencies_ns;
  std::vector<std::int64_t> values;
  clock::time_point last_reply{};
};

void send_incr(caf::event_based_actor* self, const std::shared_ptr<client_state>& st) {
  ++st->sent;
  auto sent_at = clock::now();
  st->stub.request(
      self, "incr", R"({"by":1})", [self, st, sent_at](dort::expected<std::string> reply) {
        auto now = clock::now();
        st->latencies_ns.push_back(dort::bench::ns_between(sent_at, now));
        std::optional<std::int64_t> value;
        if (reply) value = dort::bench::parse_value(reply.value());
        if (value) {
          st->values.push_back(*value);
        } else {
          if (st->errors++ == 0)
            st->first_error =
                reply ? "unexpected reply " + reply.value() : std::string{reply.err().what()};
        }
        ++st->replies;
        st->progress->fetch_add(1, std::memory_order_relaxed);
        st->last_reply = now;
        if (st->sent < st->quota)
          send_incr(self, st);
        else if (st->replies == st->quota)
          self->quit();
      });
}

}  // namespace

int main(int argc, char** argv) {
  dort::bench::flags args{argc, argv, {"ops", "clients", "inflight", "relaxed"}};
  const std::uint64_t ops = args.get("ops", default_ops);
  const std::uint64_t clients = std::max<std::uint64_t>(1, args.get("clients", default_clients));
  const std::uint64_t inflight = std::max<std::uint64_t>(1, args.get("inflight", default_inflight));

  const bool relaxed = args.get("relaxed", 0) != 0;  // exploration only: the contract is strict

  dort::bench::temp_dir dir;
  dort::bench::json_line result;
  result.add("bench", bench_name).add("ops", ops).add("clients", clients).add("inflight", inflight);
  if (relaxed) result.add("durability", "relaxed");
  return dort::bench::report(bench_name, result, dir, [&] {
    bool verified = false;
    std::cerr << bench_name << ": " << ops << " incr, " << clients << " clients x " << inflight
              << " in flight, data in " << dir.path() << '\n';
    dort::runtime rt{dort::bench::bench_options(dir.path(), relaxed)};
    rt.register_class<dort::samples::counter>("counter");
    auto stub = rt.get("counter", "hot");

    std::atomic<std::uint64_t> progress{0};
    std::vector<std::shared_ptr<client_state>> states;
    for (std::uint64_t i = 0; i < clients; ++i) {
      auto st = std::make_shared<client_state>(stub);
      st->quota = ops / clients + (i < ops % clients ? 1 : 0);
      st->inflight = inflight;
      st->progress = &progress;
      st->latencies_ns.reserve(st->quota);
      st->values.reserve(st->quota);
      states.push_back(std::move(st));
    }

    auto start = clock::now();
    std::vector<caf::actor> actors;
    for (auto& st : states) {
      actors.push_back(rt.system().spawn([st](caf::event_based_actor* self) {
        for (std::uint64_t k = 0; k < st->inflight && st->sent < st->quota; ++k)
          send_incr(self, st);
      }));
    }
    if (!dort::bench::wait_until_quit(
            actors, bench_name, [&] { return progress.load(); }, ops))
      dort::bench::give_up(bench_name, "clients did not finish in time", dir);
    actors.clear();

    clock::time_point end = start;
    std::uint64_t replies = 0, errors = 0;
    std::vector<std::int64_t> latencies;
    latencies.reserve(ops);
    std::vector<char> seen(ops + 1, 0);
    bool values_ok = true;
    for (auto& st : states) {
      end = std::max(end, st->last_reply);
      replies += st->replies;
      errors += st->errors;
      if (st->errors) std::cerr << "client error: " << st->first_error << '\n';
      latencies.insert(latencies.end(), st->latencies_ns.begin(), st->latencies_ns.end());
      for (auto v : st->values) {
        if (v < 1 || static_cast<std::uint64_t>(v) > ops || seen[v])
          values_ok = false;
        else
          seen[v] = 1;
      }
    }
    const std::uint64_t acknowledged = replies - errors;
    auto final_value = dort::bench::parse_value(stub.call("get"));
    auto stats = rt.stats();
    double elapsed = dort::bench::seconds_between(start, end);

    verified = errors == 0 && replies == ops && values_ok && final_value &&
               static_cast<std::uint64_t>(*final_value) == acknowledged;
    std::cerr << bench_name << ": " << replies << " replies, " << errors << " errors, final value "
              << (final_value ? std::to_string(*final_value) : "?") << ", values "
              << (values_ok ? "1..N each once" : "WRONG") << ", " << elapsed << " s\n";

    result.add("ops_per_s", static_cast<double>(acknowledged) / elapsed, 0)
        .add("p50_us", dort::bench::percentile_us(latencies, 50))
        .add("p99_us", dort::bench::percentile_us(latencies, 99))
        .add("elapsed_s", elapsed, 3)
        .add("commits", stats.commits)
        .add("writes", stats.writes)
        .add("commit_avg_us", dort::bench::commit_avg_us(stats));
    return verified;
  });
}
