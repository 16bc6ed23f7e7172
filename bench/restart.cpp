// bench_restart (BENCHMARKS.md, "Alarms"), alarms part (the task layer does not exist yet; its
// 100,000 pending tasks over 100 executions join this program when it does).
//
// Fill: a runtime on a fresh data directory; 1,000,000 reminder-like objects ("r0".."r999999",
// class bench_reminder of reminder_bench.hpp) each arm one alarm for the same time T = the start
// of the program + 1 hour (real time), from 8 client actors × 128 `arm` requests in flight; idle
// timeout 200 ms, so that the objects leave memory as they are armed. Then the runtime is
// destroyed (every commit finished, storage closed).
// Reopen: open_ms runs from the start of constructing a new dort::runtime on the same directory —
// then registering the class, taking a stub of "r0" (the first stub also loads the alarm
// scheduler's near window from the index) — until the reply to a blocking `status` call to "r0"
// (which activates it and reads its alarm) is back. construct_ms, start_alarms_ms and call_ms
// split it into those three steps. The data file is in the OS page cache (it was
// just written), as after a restart of the process rather than of the machine.
// verified: every arm answered {"scheduledAt":T}; the index holds 1,000,000 pending alarms before
// closing and after reopening; the first reply and a sample (every 1000th object) answer
// {"alarm":T,"firedCount":0}; no alarm ran in either runtime.
// The fill gives up (printing what was measured, unverified) after --fill-deadline-s (240 s).
#include "bench/bench_util.hpp"
#include "bench/reminder_bench.hpp"

namespace {

constexpr const char* bench_name = "restart";
constexpr std::uint64_t default_objects = 1'000'000;
constexpr std::uint64_t default_due_in_ms = 3'600'000;
constexpr std::uint64_t default_idle_ms = 200;
constexpr std::uint64_t default_clients = 8;
constexpr std::uint64_t default_inflight = 128;  // per client
constexpr std::uint64_t default_sample_every = 1'000;
constexpr std::uint64_t default_fill_deadline_s = 240;

using dort::bench::clock;

}  // namespace

int main(int argc, char** argv) {
  dort::bench::flags args{
      argc,
      argv,
      {"objects", "due-in-ms", "idle-ms", "clients", "inflight", "sample-every", "fill-deadline-s",
       "relaxed"}};
  const std::uint64_t objects = std::max<std::uint64_t>(1, args.get("objects", default_objects));
  const auto due_in_ms = static_cast<std::int64_t>(args.get("due-in-ms", default_due_in_ms));
  const std::chrono::milliseconds idle{args.get("idle-ms", default_idle_ms)};
  const std::uint64_t clients = std::max<std::uint64_t>(1, args.get("clients", default_clients));
  const std::uint64_t inflight = std::max<std::uint64_t>(1, args.get("inflight", default_inflight));
  const std::uint64_t sample_every =
      std::max<std::uint64_t>(1, args.get("sample-every", default_sample_every));
  const bool relaxed = args.get("relaxed", 0) != 0;  // exploration only: the contract is strict

  dort::bench::temp_dir dir;
  dort::bench::json_line result;
  result.add("bench", bench_name).add("objects", objects);
  if (relaxed) result.add("durability", "relaxed");
  return dort::bench::report(bench_name, result, dir, [&] {
    const auto program_start = clock::now();
    const std::int64_t due = dort::bench::offset_clock::real_ms() + due_in_ms;
    const std::string pending = R"({"alarm":)" + std::to_string(due) + R"(,"firedCount":0})";
    // The fill may take most of the 5 minutes; the rest is kept for closing and reopening.
    const std::chrono::seconds fill_deadline{args.get("fill-deadline-s", default_fill_deadline_s)};
    auto options = dort::bench::bench_options(dir.path(), relaxed);
    options.idle_timeout = idle;

    // -- fill ---------------------------------------------------------------------------------
    std::cerr << bench_name << ": filling " << dir.path() << " with " << objects
              << " pending alarms due in " << due_in_ms << " ms\n";
    dort::runtime_stats fill_stats{};
    dort::bench::arming_result armed;
    double close_ms = 0;
    {
      std::optional<dort::runtime> rt{std::in_place, options};
      dort::bench::register_bench_reminder(*rt, "reminder", nullptr, nullptr);
      armed = dort::bench::arm_all(*rt, bench_name, dir, result, fill_deadline, "reminder", 'r',
                                   objects, clients, inflight,
                                   [due](std::uint64_t) { return due; });
      fill_stats = rt->stats();
      std::cerr << bench_name << ": armed " << armed.replies - armed.errors << " in "
                << armed.elapsed_s << " s (" << fill_stats.commits << " commits, "
                << fill_stats.writes << " writes); " << fill_stats.objects_active
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
              << " ms, call " << call_ms << " ms): "
              << (first ? first.value() : std::string{first.err().what()}) << '\n';

    std::uint64_t sampled = 0;
    auto bad = dort::bench::count_bad_status(
        rt, bench_name, "reminder", 'r', objects, sample_every,
        [&](std::uint64_t) { return pending; }, &sampled);
    auto stats = rt.stats();
    std::cerr << bench_name << ": " << sampled - bad << '/' << sampled
              << " sampled still pending at the time armed; alarms pending " << stats.alarms_pending
              << "; alarm runs " << fill_stats.alarm_runs << " before the restart, "
              << stats.alarm_runs << " after\n";
    const bool verified = armed.errors == 0 && armed.replies == objects && first_ok && bad == 0 &&
                          fill_stats.alarms_pending == objects &&
                          stats.alarms_pending == objects && fill_stats.alarm_runs == 0 &&
                          stats.alarm_runs == 0;

    result.add("open_ms", open_ms, 1)
        .add("construct_ms", construct_ms, 1)
        .add("start_alarms_ms", start_alarms_ms, 1)
        .add("call_ms", call_ms, 1)
        .add("armed_per_s", static_cast<double>(objects) / armed.elapsed_s, 0)
        .add("arm_s", armed.elapsed_s, 2)
        .add("close_ms", close_ms, 1)
        .add("data_mb", static_cast<double>(data_bytes) / (1024.0 * 1024.0), 1)
        .add("sampled", sampled)
        .add("commits", fill_stats.commits)
        .add("writes", fill_stats.writes)
        .add("elapsed_s", dort::bench::seconds_between(program_start, clock::now()), 1);
    return verified;
  });
}
