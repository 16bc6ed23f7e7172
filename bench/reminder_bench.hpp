// What the alarm benchmarks (bench_alarms, bench_restart) share: a reminder-like object class that
// records each firing, a clock that is real time plus an adjustable offset, and a driver that
// arms many objects through the asynchronous stub with a fixed number of requests in flight.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/durable_object.hpp"
#include "bench/bench_util.hpp"

namespace dort::bench {

// -- the clock -------------------------------------------------------------------------------

/// Real time (the system clock, like `dort::system_clock`) plus an offset that the program may
/// move, in either direction, while the runtime runs; moving it wakes the waiters, so the alarm
/// scheduler looks at the new time at once. Between moves it is real time shifted by a constant,
/// so durations and lateness measured on it are real durations. `now_us` is the same reading with
/// microseconds (`now_ms` is its floor), for lateness finer than the millisecond.
class offset_clock final : public dort::clock {
 public:
  std::int64_t now_us() const { return real_us() + offset_us_.load(std::memory_order_acquire); }

  std::int64_t now_ms() const override { return floor_div(now_us(), 1000); }

  std::uint64_t wake_ticket() const override {
    std::lock_guard guard{mutex_};
    return wakes_;
  }

  bool wait_until(std::int64_t deadline_ms, std::uint64_t ticket) override {
    // At most an hour at a time, as `dort::system_clock` does ("forever" does not fit).
    constexpr std::int64_t longest_wait_us = 3'600'000'000;
    std::unique_lock lock{mutex_};
    auto reached = [&] { return now_ms() >= deadline_ms; };
    while (wakes_ == ticket && !reached()) {
      // The deadline on this clock, capped, then in real time (the offset only moves under the
      // lock, and a move wakes this wait).
      std::int64_t until_us = now_us() + longest_wait_us;
      if (deadline_ms < until_us / 1000) until_us = deadline_ms * 1000;
      auto at = std::chrono::system_clock::time_point{
          std::chrono::microseconds{until_us - offset_us_.load(std::memory_order_acquire)}};
      changed_.wait_until(lock, at);
    }
    return reached();
  }

  void wake() override {
    {
      std::lock_guard guard{mutex_};
      ++wakes_;
    }
    changed_.notify_all();
  }

  /// Moves the clock so that it reads `ms` now, and wakes the waiters.
  void set_now_ms(std::int64_t ms) {
    {
      std::lock_guard guard{mutex_};
      offset_us_.store(ms * 1000 - real_us(), std::memory_order_release);
    }
    wake();
  }

  static std::int64_t real_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  static std::int64_t real_ms() { return floor_div(real_us(), 1000); }

 private:
  static std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
  }

  std::atomic<std::int64_t> offset_us_{0};
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t wakes_ = 0;
};

// -- the firing log --------------------------------------------------------------------------

/// One slot per object, preallocated (and touched) before anything is measured: how often its
/// alarm ran, when the last run started (µs on the runtime's clock) and for when it was due.
class fire_log {
 public:
  explicit fire_log(std::size_t objects)
      : counts_(objects), started_us_(objects), scheduled_ms_(objects) {
    for (std::size_t i = 0; i < objects; ++i) {
      counts_[i].store(0, std::memory_order_relaxed);
      started_us_[i].store(0, std::memory_order_relaxed);
      scheduled_ms_[i].store(0, std::memory_order_relaxed);
    }
  }

  /// Records a run of object `index`'s alarm, due at `scheduled_ms`, started at `started_us`.
  void record(std::uint64_t index, std::int64_t scheduled_ms, std::int64_t started_us) {
    if (index >= counts_.size()) {
      strays_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    started_us_[index].store(started_us, std::memory_order_relaxed);
    scheduled_ms_[index].store(scheduled_ms, std::memory_order_relaxed);
    counts_[index].fetch_add(1, std::memory_order_release);
    if (started_us < scheduled_ms * 1000) early_.fetch_add(1, std::memory_order_relaxed);
    runs_.fetch_add(1, std::memory_order_release);
  }

  std::size_t size() const noexcept { return counts_.size(); }
  std::uint64_t runs() const noexcept { return runs_.load(std::memory_order_acquire); }
  std::uint64_t early() const noexcept { return early_.load(std::memory_order_relaxed); }
  std::uint64_t strays() const noexcept { return strays_.load(std::memory_order_relaxed); }
  std::uint32_t count(std::size_t i) const { return counts_[i].load(std::memory_order_acquire); }
  std::int64_t started_us(std::size_t i) const {
    return started_us_[i].load(std::memory_order_relaxed);
  }
  std::int64_t scheduled_ms(std::size_t i) const {
    return scheduled_ms_[i].load(std::memory_order_relaxed);
  }

 private:
  std::vector<std::atomic<std::uint32_t>> counts_;
  std::vector<std::atomic<std::int64_t>> started_us_;
  std::vector<std::atomic<std::int64_t>> scheduled_ms_;
  std::atomic<std::uint64_t> runs_{0};
  std::atomic<std::uint64_t> early_{0};
  std::atomic<std::uint64_t> strays_{0};
};

// -- the object class ------------------------------------------------------------------------

/// Returns `prefix` followed by `index` in decimal: the object names of the alarm benchmarks.
inline std::string indexed_name(char prefix, std::uint64_t index) {
  char buf[24] = {prefix};
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof buf, index);
  return std::string(buf, end);
}

/// Returns the index in a name made by `indexed_name`, or -1.
inline std::int64_t index_of_name(std::string_view name) {
  std::uint64_t index = 0;
  if (name.size() < 2) return -1;
  auto [end, ec] = std::from_chars(name.data() + 1, name.data() + name.size(), index);
  if (ec != std::errc{} || end != name.data() + name.size()) return -1;
  return static_cast<std::int64_t>(index);
}

/// Like samples/reminder, with an absolute time to arm for (the alarm benchmarks fix the due
/// times, not delays):
///   arm <ms>  (the payload is a JSON integer) → {"scheduledAt":ms}: stores scheduledAt and sets
///             the alarm to ms
///   status    → {"alarm":ms|null,"firedCount":n}
/// Its alarm handler does what reminder's does — stores firedAt, firedCount (read, +1) and
/// lastLatenessMs — and first records the run in the fire_log, if it has one, at the slot of the
/// number in its name, with the start time read from the offset_clock, if it has one.
class bench_reminder : public durable_object {
 public:
  bench_reminder(object_context& context, fire_log* log, const offset_clock* clock)
      : durable_object(context), log_(log), clock_(clock) {}

  std::string handle(std::string_view method, std::string_view payload) override {
    if (method == "arm") {
      std::int64_t at = 0;
      auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), at);
      if (ec != std::errc{} || end != payload.data() + payload.size())
        throw error{errc::invalid_field, "arm takes a time in ms", "at"};
      std::string text{payload};
      storage().put("scheduledAt", text);
      set_alarm(at);
      return R"({"scheduledAt":)" + text + "}";
    }
    if (method == "status") {
      auto alarm = get_alarm();
      auto fired = storage().get("firedCount");
      return std::string{R"({"alarm":)"} + (alarm ? std::to_string(*alarm) : "null") +
             R"(,"firedCount":)" + (fired ? *fired : "0") + "}";
    }
    unknown_method(method);
  }

  void alarm(const alarm_info& info) override {
    std::int64_t started_us = clock_ ? clock_->now_us() : now_ms() * 1000;
    if (log_) {
      auto index = index_of_name(name());
      log_->record(index < 0 ? log_->size() : static_cast<std::uint64_t>(index), info.scheduled_ms,
                   started_us);
    }
    std::int64_t fired_at = started_us / 1000;
    std::int64_t count = 0;
    if (auto stored = storage().get("firedCount"))
      std::from_chars(stored->data(), stored->data() + stored->size(), count);
    storage().put("firedAt", std::to_string(fired_at));
    storage().put("firedCount", std::to_string(count + 1));
    storage().put("lastLatenessMs", std::to_string(fired_at - info.scheduled_ms));
  }

 private:
  fire_log* log_;
  const offset_clock* clock_;
};

/// Registers `bench_reminder` as `class_name` in `rt`.
inline void register_bench_reminder(runtime& rt, const std::string& class_name, fire_log* log,
                                    const offset_clock* clock) {
  rt.register_class(class_name, [log, clock](object_context& context) {
    return std::make_unique<bench_reminder>(context, log, clock);
  });
}

// -- arming ----------------------------------------------------------------------------------

struct arming_result {
  std::uint64_t replies = 0;
  std::uint64_t errors = 0;
  std::string first_error;
  double elapsed_s = 0;
};

/// Arms the objects `prefix`0 .. `prefix`(objects − 1) of `class_name`, object i for `due_ms(i)`,
/// from `clients` client actors that each keep `inflight` `arm` requests in flight. Checks every
/// reply. Gives up (the 5-minute rule), printing `partial`, if the clients do not finish within
/// `deadline`.
inline arming_result arm_all(runtime& rt, std::string_view bench_name, temp_dir& dir,
                             json_line& partial, std::chrono::seconds deadline,
                             const std::string& class_name, char prefix, std::uint64_t objects,
                             std::uint64_t clients, std::uint64_t inflight,
                             std::function<std::int64_t(std::uint64_t)> due_ms) {
  struct client {
    std::uint64_t next = 0;
    std::uint64_t quota = 0;
    std::uint64_t replies = 0;
    std::uint64_t errors = 0;
    std::string first_error;
    clock::time_point last_reply{};
  };
  struct shared {
    runtime* rt;
    std::string class_name;
    char prefix;
    std::uint64_t objects;
    std::uint64_t step;
    std::function<std::int64_t(std::uint64_t)> due_ms;
    std::atomic<std::uint64_t> progress{0};
  };
  auto common = std::make_shared<shared>();
  common->rt = &rt;
  common->class_name = class_name;
  common->prefix = prefix;
  common->objects = objects;
  common->step = clients;
  common->due_ms = std::move(due_ms);

  // Sends the next arm of client `c`; the reply sends the one after.
  struct sender {
    static void send(caf::event_based_actor* self, const std::shared_ptr<shared>& common,
                     const std::shared_ptr<client>& c) {
      std::uint64_t index = c->next;
      c->next += common->step;
      auto stub = common->rt->get(common->class_name, indexed_name(common->prefix, index));
      std::string at = std::to_string(common->due_ms(index));
      std::string expected_reply = R"({"scheduledAt":)" + at + "}";
      stub.request(self, "arm", std::move(at),
                   [self, common, c, expected_reply = std::move(expected_reply)](
                       dort::expected<std::string> reply) {
                     if (!reply || reply.value() != expected_reply) {
                       if (c->errors++ == 0)
                         c->first_error = reply ? "unexpected reply " + reply.value()
                                                : std::string{reply.err().what()};
                     }
                     ++c->replies;
                     common->progress.fetch_add(1, std::memory_order_relaxed);
                     c->last_reply = clock::now();
                     if (c->next < common->objects)
                       send(self, common, c);
                     else if (c->replies == c->quota)
                       self->quit();
                   });
    }
  };

  std::vector<std::shared_ptr<client>> states;
  for (std::uint64_t i = 0; i < clients && i < objects; ++i) {
    auto c = std::make_shared<client>();
    c->next = i;
    c->quota = (objects - i + clients - 1) / clients;
    states.push_back(std::move(c));
  }
  auto start = clock::now();
  std::vector<caf::actor> actors;
  for (auto& c : states)
    actors.push_back(rt.system().spawn([common, c, inflight](caf::event_based_actor* self) {
      for (std::uint64_t k = 0; k < inflight && c->next < common->objects; ++k)
        sender::send(self, common, c);
    }));
  std::string label = std::string{bench_name} + ": armed";
  if (!wait_until_quit(
          actors, label, [&] { return common->progress.load(); }, objects, deadline)) {
    partial.add("armed", common->progress.load())
        .add("arm_wait_s", seconds_between(start, clock::now()), 1);
    give_up(bench_name, "arming did not finish in time", dir, partial);
  }
  actors.clear();

  arming_result out;
  clock::time_point end = start;
  for (auto& c : states) {
    end = std::max(end, c->last_reply);
    out.replies += c->replies;
    out.errors += c->errors;
    if (c->errors && out.first_error.empty()) out.first_error = c->first_error;
  }
  out.elapsed_s = seconds_between(start, end);
  if (out.errors) std::cerr << bench_name << ": arm error: " << out.first_error << '\n';
  return out;
}

/// Asks `status` of every `every`-th object `prefix`i below `objects` and counts the replies
/// that differ from `expected(i)`; prints the first difference on stderr.
inline std::uint64_t count_bad_status(runtime& rt, std::string_view bench_name,
                                      const std::string& class_name, char prefix,
                                      std::uint64_t objects, std::uint64_t every,
                                      const std::function<std::string(std::uint64_t)>& expected,
                                      std::uint64_t* sampled) {
  std::uint64_t bad = 0;
  *sampled = 0;
  for (std::uint64_t i = 0; i < objects; i += every) {
    ++*sampled;
    auto reply = rt.get(class_name, indexed_name(prefix, i)).try_call("status");
    auto want = expected(i);
    if (!reply || reply.value() != want) {
      if (bad++ == 0)
        std::cerr << bench_name << ": status of " << indexed_name(prefix, i) << ": "
                  << (reply ? reply.value() : std::string{reply.err().what()}) << ", expected "
                  << want << '\n';
    }
  }
  return bad;
}

}  // namespace dort::bench
