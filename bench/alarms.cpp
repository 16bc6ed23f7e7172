// bench_alarms (BENCHMARKS.md, "Alarms").
//
// Phase 1 — many alarms due at one instant, objects evicted: 1,000,000 reminder-like objects
// ("r0".."r999999", class bench_reminder of reminder_bench.hpp) each arm one alarm, from 8 client
// actors × 128 `arm` requests in flight; idle timeout 200 ms. The due instant must be fixed when
// arming but lies "2 s after arming ends", so the runtime runs on an offset_clock (real time plus
// an offset the program moves): every alarm is armed for T = real time + 1 day; once arming has
// ended and every object has been evicted (runtime_stats::objects_active == 0), the resident
// memory is read and the clock is set to read T − 2 s, so T falls 2 s later in real time, and the
// clock runs at real speed from then on. The due instant is therefore 2 s after arming *and
// eviction* end (eviction takes about the idle timeout plus one sweep). fired_per_s = 1,000,000 /
// (start of the last handler − T). Each handler first records its run in a preallocated log (count
// per object, start time on the clock in µs, scheduled time), then writes what reminder's handler
// writes (firedAt, firedCount, lastLatenessMs), so each firing activates an evicted object, runs a
// handler and commits its writes with the clearing of the alarm; cleared_s is the time from T
// until the index holds no pending alarm (runtime_stats::alarms_pending == 0).
//   armed_per_s:    1,000,000 / (first arm sent → last arm reply, replies released after commit)
//   pending_rss_mb: VmRSS with the alarms pending and their objects evicted − VmRSS just before
//                   arming (runtime open, log allocated and touched); its anonymous and
//                   file-backed (pages of the LMDB map) parts are printed beside it.
//
// Phase 2 — lateness on live objects: a second runtime on its own data directory, idle timeout
// 5 min so that objects stay live; 200,000 objects ("p0".."p199999") each arm one alarm, object i
// due at T2 + i·20,000/200,000 ms (10 per ms, 10,000/s over 20 s), armed for T2 = real time +
// 1 day; then the clock is set to read T2 − 1 s and runs at real speed. lateness = handler start −
// scheduled time, read on the clock in µs (real time shifted by a constant; now_ms() in the
// handler is its floor), reported in ms.
//
// verified: every arm answered {"scheduledAt":T} and the index then held one pending alarm per
// object; in each phase every object's alarm ran exactly once (log count 1, none at an unknown
// object, runtime alarm_runs equal to the alarms, no failures), none started before its scheduled
// time, each ran for the time armed; after the last run, once the objects' commits are done (phase
// 1: no alarm pending in the index and all objects evicted again; phase 2: a pause of 1 s), no
// alarm ran again; a sample (every 1000th object) answers `status` with no alarm pending and
// firedCount 1. commits and writes are the sums over both runtimes.
//
// The whole program keeps within --deadline-s (default 290 s): a phase that cannot finish in the
// time left gives up, printing the fields measured so far with "verified": false. Exploration:
// --objects 0 or --phase2-alarms 0 skips that phase (such a run is not verified).
#include "bench/bench_util.hpp"
#include "bench/reminder_bench.hpp"

namespace {

constexpr const char* bench_name = "alarms";
constexpr std::uint64_t default_objects = 1'000'000;
constexpr std::uint64_t default_lead_ms = 2'000;
constexpr std::uint64_t default_idle_ms = 200;
constexpr std::uint64_t default_phase2_alarms = 200'000;
constexpr std::uint64_t default_phase2_span_ms = 20'000;
constexpr std::uint64_t default_clients = 8;
constexpr std::uint64_t default_inflight = 128;  // per client
constexpr std::uint64_t default_deadline_s = 290;
constexpr std::uint64_t sample_every = 1'000;
/// How far ahead alarms are armed before the clock is moved (nothing is due while arming).
constexpr std::int64_t far_ahead_ms = 86'400'000;
/// How long before the first phase-2 alarm the clock is set.
constexpr std::int64_t phase2_lead_ms = 1'000;
/// Time kept back for phase 2 while phase 1 runs: arming 200,000 and closing.
constexpr std::chrono::seconds phase2_reserve{40};

using dort::bench::clock;
using std::chrono::seconds;

struct settings {
  std::uint64_t objects;
  std::int64_t lead_ms;
  std::chrono::milliseconds idle;
  std::uint64_t alarms2;
  std::int64_t span2_ms;
  std::uint64_t clients;
  std::uint64_t inflight;
  bool relaxed;
  clock::time_point deadline;
};

/// Seconds left before `deadline` minus `reserve`, at least 1.
seconds left(const settings& s, seconds reserve = seconds{0}) {
  auto d = std::chrono::duration_cast<seconds>(s.deadline - reserve - clock::now());
  return std::max(d, seconds{1});
}

struct rss_reading {
  double total, anon, file;
};

rss_reading read_rss() {
  return {dort::bench::current_rss_mb(), dort::bench::proc_status_mb("RssAnon"),
          dort::bench::proc_status_mb("RssFile")};
}

/// Progress detail: objects live, alarms pending (durable), resident memory.
std::string runtime_detail(dort::runtime& rt) {
  auto stats = rt.stats();
  std::ostringstream out;
  out << "; objects live " << stats.objects_active << ", alarms pending " << stats.alarms_pending
      << ", RSS " << std::fixed << std::setprecision(0) << dort::bench::current_rss_mb() << " MiB";
  return out.str();
}

/// Checks the log after a phase: each object ran once, none early, at the time armed.
bool check_log(const dort::bench::fire_log& log, std::uint64_t alarms, std::string_view phase,
               const std::function<std::int64_t(std::uint64_t)>& due_ms) {
  std::uint64_t not_once = 0, wrong_time = 0;
  for (std::uint64_t i = 0; i < alarms; ++i) {
    auto count = log.count(i);
    if (count != 1) {
      if (not_once++ == 0)
        std::cerr << bench_name << ": " << phase << ": object " << i << " ran " << count
                  << " times\n";
    } else if (log.scheduled_ms(i) != due_ms(i)) {
      if (wrong_time++ == 0)
        std::cerr << bench_name << ": " << phase << ": object " << i << " ran for "
                  << log.scheduled_ms(i) << ", armed for " << due_ms(i) << '\n';
    }
  }
  std::cerr << bench_name << ": " << phase << ": " << alarms - not_once << '/' << alarms
            << " ran exactly once, " << wrong_time << " at a wrong scheduled time, " << log.early()
            << " early, " << log.strays() << " at unknown objects\n";
  return not_once == 0 && wrong_time == 0 && log.early() == 0 && log.strays() == 0 &&
         log.runs() == alarms;
}

/// Phase 1; adds its fields to `result` and its commits and writes to the totals.
bool phase1(const settings& s, dort::bench::temp_dir& dir, dort::bench::json_line& result,
            std::uint64_t& commits, std::uint64_t& writes) {
  const std::uint64_t objects = s.objects;
  std::cerr << bench_name << ": phase 1: " << objects << " objects, one alarm each, due "
            << s.lead_ms << " ms after arming and eviction, idle timeout " << s.idle.count()
            << " ms, data in " << dir.path() / "phase1" << '\n';
  auto clk = std::make_shared<dort::bench::offset_clock>();
  dort::bench::fire_log log{objects};
  auto options = dort::bench::bench_options(dir.path() / "phase1", s.relaxed);
  options.idle_timeout = s.idle;
  options.clock = clk;
  dort::runtime rt{options};
  dort::bench::register_bench_reminder(rt, "reminder", &log, clk.get());
  auto fail = [&](std::string_view why) { dort::bench::give_up(bench_name, why, dir, result); };
  auto live = [&] { return static_cast<std::uint64_t>(rt.stats().objects_active); };

  const std::int64_t due = clk->now_ms() + far_ahead_ms;
  auto due_of = [due](std::uint64_t) { return due; };
  auto rss_before = read_rss();
  auto armed =
      dort::bench::arm_all(rt, bench_name, dir, result, left(s, phase2_reserve), "reminder", 'r',
                           objects, s.clients, s.inflight, due_of);
  auto arm_stats = rt.stats();
  const bool all_pending = arm_stats.alarms_pending == objects;
  result.add("armed_per_s", static_cast<double>(objects) / armed.elapsed_s, 0)
      .add("arm_s", armed.elapsed_s, 2)
      .add("arm_commits", arm_stats.commits);
  std::cerr << bench_name << ": armed " << armed.replies - armed.errors << " in "
            << armed.elapsed_s << " s; " << arm_stats.alarms_pending
            << " alarms pending; waiting for eviction\n";

  auto evict_start = clock::now();
  if (!dort::bench::wait_until_true([&] { return live() == 0; }, "phase 1: objects live", live,
                                    objects, left(s, phase2_reserve)))
    fail("objects were not evicted in time");
  const double evict_s = dort::bench::seconds_between(evict_start, clock::now());
  auto rss_pending = read_rss();
  std::cerr << bench_name << ": all evicted after " << evict_s << " s; RSS " << rss_before.total
            << " -> " << rss_pending.total << " MiB (anon " << rss_before.anon << " -> "
            << rss_pending.anon << ", file " << rss_before.file << " -> " << rss_pending.file
            << ")\n";
  result.add("pending_rss_mb", rss_pending.total - rss_before.total)
      .add("pending_rss_anon_mb", rss_pending.anon - rss_before.anon)
      .add("pending_rss_file_mb", rss_pending.file - rss_before.file)
      .add("evict_s", evict_s, 2);

  // The due instant: `lead_ms` from now in real time.
  clk->set_now_ms(due - s.lead_ms);
  std::cerr << bench_name << ": clock set; alarms due in " << s.lead_ms << " ms\n";
  if (!dort::bench::wait_until_true(
          [&] { return log.runs() >= objects; }, "phase 1: fired", [&] { return log.runs(); },
          objects, left(s, phase2_reserve), std::chrono::milliseconds{1},
          [&] { return runtime_detail(rt); })) {
    result.add("fired", log.runs())
        .add("fire_wait_s", static_cast<double>(clk->now_us() - due * 1000) / 1e6, 1)
        .add("objects_live", live())
        .add("rss_mb", dort::bench::current_rss_mb());
    fail("phase 1 alarms did not all fire in time");
  }
  // Until every run's outcome is durable: the index holds no pending alarm.
  if (!dort::bench::wait_until_true(
          [&] { return rt.stats().alarms_pending == 0; }, "phase 1: alarms pending",
          [&] { return rt.stats().alarms_pending; }, objects, left(s, phase2_reserve)))
    fail("phase 1 alarm runs did not all commit in time");
  const double cleared_s = static_cast<double>(clk->now_us() - due * 1000) / 1e6;
  std::int64_t first_us = std::numeric_limits<std::int64_t>::max(), last_us = 0;
  for (std::uint64_t i = 0; i < objects; ++i) {
    first_us = std::min(first_us, log.started_us(i));
    last_us = std::max(last_us, log.started_us(i));
  }
  const double fire_s = static_cast<double>(last_us - due * 1000) / 1e6;
  std::cerr << bench_name << ": fired " << objects << " in " << fire_s
            << " s from the due instant (first started " << (first_us - due * 1000) / 1000.0
            << " ms after it); all cleared durably " << cleared_s << " s after it\n";
  result.add("fired_per_s", static_cast<double>(objects) / fire_s, 0)
      .add("fire_s", fire_s, 3)
      .add("cleared_s", cleared_s, 3);

  // Their commits done, the objects leave memory again; then nothing may run a second time.
  if (!dort::bench::wait_until_true([&] { return live() == 0; }, "phase 1: objects live", live,
                                    objects, left(s, phase2_reserve)))
    fail("objects were not evicted after firing");
  std::this_thread::sleep_for(std::chrono::milliseconds{500});
  auto stats = rt.stats();
  const bool log_ok = check_log(log, objects, "phase 1", due_of);
  std::uint64_t sampled = 0;
  auto bad = dort::bench::count_bad_status(
      rt, bench_name, "reminder", 'r', objects, sample_every,
      [](std::uint64_t) { return std::string{R"({"alarm":null,"firedCount":1})"}; }, &sampled);
  std::cerr << bench_name << ": phase 1: alarm runs " << stats.alarm_runs << ", failures "
            << stats.alarm_failures << ", " << sampled - bad << '/' << sampled
            << " sampled fired once and clear; " << stats.commits << " commits ("
            << arm_stats.commits << " arming), " << stats.writes << " writes\n";
  commits += stats.commits;
  writes += stats.writes;
  result.add("fire_commits", stats.commits - arm_stats.commits);
  std::cerr << bench_name << ": phase 1: closing the runtime\n";
  return armed.errors == 0 && armed.replies == objects && all_pending && log_ok &&
         stats.alarms_pending == 0 && stats.alarm_runs == objects && stats.alarm_failures == 0 &&
         bad == 0;
}

/// Phase 2; adds its fields to `result` and its commits and writes to the totals.
bool phase2(const settings& s, dort::bench::temp_dir& dir, dort::bench::json_line& result,
            std::uint64_t& commits, std::uint64_t& writes) {
  const std::uint64_t alarms = s.alarms2;
  const std::int64_t span_ms = s.span2_ms;
  std::cerr << bench_name << ": phase 2: " << alarms << " alarms on live objects, due evenly over "
            << span_ms << " ms, data in " << dir.path() / "phase2" << '\n';
  auto clk = std::make_shared<dort::bench::offset_clock>();
  dort::bench::fire_log log{alarms};
  auto options = dort::bench::bench_options(dir.path() / "phase2", s.relaxed);
  options.idle_timeout = std::chrono::minutes{5};
  options.clock = clk;
  dort::runtime rt{options};
  dort::bench::register_bench_reminder(rt, "reminder", &log, clk.get());

  const std::int64_t start = clk->now_ms() + far_ahead_ms;
  auto due_of = [start, alarms, span_ms](std::uint64_t i) {
    return start + static_cast<std::int64_t>(i * static_cast<std::uint64_t>(span_ms) / alarms);
  };
  auto armed = dort::bench::arm_all(rt, bench_name, dir, result, left(s), "reminder", 'p',
                                    alarms, s.clients, s.inflight, due_of);
  auto arm_stats = rt.stats();
  const auto live = arm_stats.objects_active;
  std::cerr << bench_name << ": armed " << armed.replies - armed.errors << " in "
            << armed.elapsed_s << " s; " << live << " objects live, "
            << arm_stats.alarms_pending << " alarms pending\n";

  clk->set_now_ms(start - phase2_lead_ms);
  if (!dort::bench::wait_until_true(
          [&] { return log.runs() >= alarms; }, "phase 2: fired", [&] { return log.runs(); },
          alarms, left(s), std::chrono::milliseconds{1}, [&] { return runtime_detail(rt); })) {
    result.add("phase2_fired", log.runs());
    dort::bench::give_up(bench_name, "phase 2 alarms did not all fire in time", dir, result);
  }
  const auto live_at_end = rt.stats().objects_active;

  std::vector<std::int64_t> lateness_ns;
  lateness_ns.reserve(alarms);
  for (std::uint64_t i = 0; i < alarms; ++i)
    lateness_ns.push_back((log.started_us(i) - log.scheduled_ms(i) * 1000) * 1000);
  // Commits of the last runs done, nothing may run a second time.
  std::this_thread::sleep_for(std::chrono::milliseconds{1'000});
  auto stats = rt.stats();
  const bool log_ok = check_log(log, alarms, "phase 2", due_of);
  std::uint64_t sampled = 0;
  auto bad = dort::bench::count_bad_status(
      rt, bench_name, "reminder", 'p', alarms, sample_every,
      [](std::uint64_t) { return std::string{R"({"alarm":null,"firedCount":1})"}; }, &sampled);
  const double p50 = dort::bench::percentile_us(lateness_ns, 50) / 1000.0;
  const double p99 = dort::bench::percentile_us(lateness_ns, 99) / 1000.0;
  const double max = dort::bench::percentile_us(lateness_ns, 100) / 1000.0;
  std::cerr << bench_name << ": phase 2: lateness p50 " << p50 << " ms, p99 " << p99
            << " ms, max " << max << " ms; objects live " << live << " before, " << live_at_end
            << " after; alarm runs " << stats.alarm_runs << ", failures " << stats.alarm_failures
            << ", alarms pending " << stats.alarms_pending << ", " << sampled - bad << '/'
            << sampled << " sampled fired once and clear; " << stats.commits << " commits\n";
  commits += stats.commits;
  writes += stats.writes;
  result.add("lateness_p50_ms", p50, 2)
      .add("lateness_p99_ms", p99, 2)
      .add("lateness_max_ms", max, 2)
      .add("phase2_live_objects", static_cast<std::uint64_t>(std::min(live, live_at_end)))
      .add("phase2_commits", stats.commits);
  std::cerr << bench_name << ": phase 2: closing the runtime\n";
  return armed.errors == 0 && armed.replies == alarms && arm_stats.alarms_pending == alarms &&
         log_ok && stats.alarms_pending == 0 && stats.alarm_runs == alarms &&
         stats.alarm_failures == 0 && bad == 0;
}

}  // namespace

int main(int argc, char** argv) {
  dort::bench::flags args{argc,
                          argv,
                          {"objects", "lead-ms", "idle-ms", "phase2-alarms", "phase2-span-ms",
                           "clients", "inflight", "deadline-s", "relaxed"}};
  const auto program_start = clock::now();
  settings s{
      args.get("objects", default_objects),
      static_cast<std::int64_t>(args.get("lead-ms", default_lead_ms)),
      std::chrono::milliseconds{args.get("idle-ms", default_idle_ms)},
      args.get("phase2-alarms", default_phase2_alarms),
      static_cast<std::int64_t>(
          std::max<std::uint64_t>(1, args.get("phase2-span-ms", default_phase2_span_ms))),
      std::max<std::uint64_t>(1, args.get("clients", default_clients)),
      std::max<std::uint64_t>(1, args.get("inflight", default_inflight)),
      args.get("relaxed", 0) != 0,  // exploration only: the contract is strict
      program_start + seconds{args.get("deadline-s", default_deadline_s)},
  };

  dort::bench::temp_dir dir;
  dort::bench::json_line result;
  result.add("bench", bench_name).add("objects", s.objects).add("phase2_alarms", s.alarms2);
  if (s.idle.count() != static_cast<std::int64_t>(default_idle_ms))
    result.add("idle_ms", static_cast<std::int64_t>(s.idle.count()));
  if (s.relaxed) result.add("durability", "relaxed");
  return dort::bench::report(bench_name, result, dir, [&] {
    std::uint64_t commits = 0, writes = 0;
    const bool ok1 = s.objects > 0 && phase1(s, dir, result, commits, writes);
    if (s.objects == 0) std::cerr << bench_name << ": phase 1 skipped (--objects 0)\n";
    const bool ok2 = s.alarms2 > 0 && phase2(s, dir, result, commits, writes);
    if (s.alarms2 == 0) std::cerr << bench_name << ": phase 2 skipped (--phase2-alarms 0)\n";
    result.add("commits", commits)
        .add("writes", writes)
        .add("elapsed_s", dort::bench::seconds_between(program_start, clock::now()), 1);
    return ok1 && ok2;
  });
}
