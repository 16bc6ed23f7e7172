// bench_many_objects (BENCHMARKS.md, "Runtime core"): 100,000 distinct `counter` objects
// ("c0".."c99999"), one durable `incr` each, 1,024 in flight overall (8 client actors × 128).
// verified: every reply is {"value":1}, and a sample of the objects (every 100th) read back
// afterwards with `get` gives 1.
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "bench/bench_util.hpp"
#include "samples/counter/counter.hpp"

namespace {

constexpr const char* bench_name = "many_objects";
constexpr std::uint64_t default_objects = 100'000;
constexpr std::uint64_t default_clients = 8;
constexpr std::uint64_t default_inflight = 128;  // per client
constexpr std::uint64_t default_sample_every = 100;

using dort::bench::clock;

/// Returns "c<index>".
std::string counter_name(std::uint64_t index) {
  char buf[24] = {'c'};
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof buf, index);
  return std::string(buf, end);
}

/// One client's work: the objects i, i + clients, i + 2·clients, ... below `objects`.
struct client_state {
  dort::runtime* rt = nullptr;
  std::uint64_t first = 0;
  std::uint64_t step = 1;
  std::uint64_t objects = 0;
  std::uint64_t inflight = 0;
  std::atomic<std::uint64_t>* progress = nullptr;
  std::uint64_t next = 0;  // next object index to send to
  std::uint64_t quota = 0;
  std::uint64_t replies = 0;
  std::uint64_t errors = 0;
  std::string first_error;
  clock::time_point last_reply{};
};

void send_incr(caf::event_based_actor* self, const std::shared_ptr<client_state>& st) {
  std::uint64_t index = st->next;
  st->next += st->step;
  dort::object_stub stub = st->rt->get("counter", counter_name(index));
  stub.request(self, "incr", R"({"by":1})", [self, st](dort::expected<std::string> reply) {
    std::optional<std::int64_t> value;
    if (reply) value = dort::bench::parse_value(reply.value());
    if (!value || *value != 1) {
      if (st->errors++ == 0)
        st->first_error =
            reply ? "unexpected reply " + reply.value() : std::string{reply.err().what()};
    }
    ++st->replies;
    st->progress->fetch_add(1, std::memory_order_relaxed);
    st->last_reply = clock::now();
    if (st->next < st->objects)
      send_incr(self, st);
    else if (st->replies == st->quota)
      self->quit();
  });
}

}  // namespace

int main(int argc, char** argv) {
  dort::bench::flags args{
      argc, argv, {"objects", "clients", "inflight", "sample-every", "relaxed"}};
  const std::uint64_t objects = args.get("objects", default_objects);
  const std::uint64_t clients = std::max<std::uint64_t>(1, args.get("clients", default_clients));
  const std::uint64_t inflight = std::max<std::uint64_t>(1, args.get("inflight", default_inflight));
  const std::uint64_t sample_every =
      std::max<std::uint64_t>(1, args.get("sample-every", default_sample_every));

  const bool relaxed = args.get("relaxed", 0) != 0;  // exploration only: the contract is strict

  dort::bench::temp_dir dir;
  dort::bench::json_line result;
  result.add("bench", bench_name)
      .add("objects", objects)
      .add("clients", clients)
      .add("inflight", inflight);
  if (relaxed) result.add("durability", "relaxed");
  return dort::bench::report(bench_name, result, dir, [&] {
    bool verified = false;
    std::cerr << bench_name << ": " << objects << " counters, one incr each, " << clients
              << " clients x " << inflight << " in flight, data in " << dir.path() << '\n';
    dort::runtime rt{dort::bench::bench_options(dir.path(), relaxed)};
    rt.register_class<dort::samples::counter>("counter");

    std::atomic<std::uint64_t> progress{0};
    std::vector<std::shared_ptr<client_state>> states;
    for (std::uint64_t i = 0; i < clients && i < objects; ++i) {
      auto st = std::make_shared<client_state>();
      st->rt = &rt;
      st->first = st->next = i;
      st->step = clients;
      st->objects = objects;
      st->inflight = inflight;
      st->progress = &progress;
      st->quota = (objects - i + clients - 1) / clients;
      states.push_back(std::move(st));
    }

    auto start = clock::now();
    std::vector<caf::actor> actors;
    for (auto& st : states) {
      actors.push_back(rt.system().spawn([st](caf::event_based_actor* self) {
        for (std::uint64_t k = 0; k < st->inflight && st->next < st->objects; ++k)
          send_incr(self, st);
      }));
    }
    if (!dort::bench::wait_until_quit(
            actors, bench_name, [&] { return progress.load(); }, objects))
      dort::bench::give_up(bench_name, "clients did not finish in time", dir);
    actors.clear();

    clock::time_point end = start;
    std::uint64_t replies = 0, errors = 0;
    for (auto& st : states) {
      end = std::max(end, st->last_reply);
      replies += st->replies;
      errors += st->errors;
      if (st->errors) std::cerr << "client error: " << st->first_error << '\n';
    }
    double elapsed = dort::bench::seconds_between(start, end);
    auto stats = rt.stats();  // before the read-back, which writes nothing anyway
    double rss = dort::bench::peak_rss_mb();

    std::uint64_t sampled = 0, sample_bad = 0;
    for (std::uint64_t i = 0; i < objects; i += sample_every) {
      ++sampled;
      auto reply = rt.get("counter", counter_name(i)).try_call("get");
      auto value = reply ? dort::bench::parse_value(reply.value()) : std::nullopt;
      if (!value || *value != 1) {
        if (sample_bad++ == 0)
          std::cerr << "read-back of c" << i << ": "
                    << (reply ? reply.value() : std::string{reply.err().what()}) << '\n';
      }
    }

    verified = errors == 0 && replies == objects && sample_bad == 0;
    std::cerr << bench_name << ": " << replies << " replies, " << errors << " errors, "
              << sampled - sample_bad << '/' << sampled << " read back as 1, " << elapsed << " s, "
              << stats.objects_active << " objects active\n";

    result.add("objects_per_s", static_cast<double>(replies - errors) / elapsed, 0)
        .add("peak_rss_mb", rss)
        .add("elapsed_s", elapsed, 3)
        .add("sampled", sampled)
        .add("commits", stats.commits)
        .add("writes", stats.writes)
        .add("commit_avg_us", dort::bench::commit_avg_us(stats));
    return verified;
  });
}
