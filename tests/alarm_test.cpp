// Alarms through the runtime, on a simulated clock: time moves only when the test advances it,
// and `waiting_for` shows what the scheduler waits for, so "not yet" is checked without sleeping.
#include <doctest/doctest.h>

#include <chrono>
#include <limits>
#include <mutex>
#include <thread>

#include "actors/json_reader.hpp"
#include "actors/json_writer.hpp"
#include "error_code_of.hpp"
#include "runtime/runtime.hpp"
#include "samples/reminder/reminder.hpp"
#include "temp_dir.hpp"

using namespace dort;
using dort::test::code_of;
using dort::test::temp_dir;

namespace {

constexpr std::int64_t forever = std::numeric_limits<std::int64_t>::max();

/// Runs of `flaky` alarm handlers, kept outside the objects (a failing run's writes are dropped).
struct run_log {
  std::mutex mutex;
  std::vector<std::pair<std::string, alarm_info>> runs;
  std::vector<std::int64_t> run_times;

  std::size_t size() {
    std::lock_guard guard{mutex};
    return runs.size();
  }
};

run_log* flaky_log = nullptr;
std::atomic<bool> flaky_fails{true};
std::atomic<int> durable_callbacks_run{0};

/// An object whose alarm handler logs each run and throws while `flaky_fails` is set.
///   set {"name", "at"} / get {"name"} → {"at": ms or null} / del {"name"}
///   set_then_throw {"name", "at"}
class flaky : public durable_object {
 public:
  using durable_object::durable_object;

  std::string handle(std::string_view method, std::string_view payload) override {
    json_object_reader body{payload};
    auto name = body.string("name").value_or("");
    if (method == "get") {
      json_writer out;
      out.begin_object().key("at");
      if (auto at = get_alarm(name))
        out.value(*at);
      else
        out.null();
      return out.end_object().str();
    }
    if (method == "del") return delete_alarm(name) ? "true" : "false";
    if (method == "has_key") return storage().get("k") ? "true" : "false";
    if (method == "failed_transaction") {
      // Everything the transaction did is taken back; what the handler does after it stays.
      try {
        storage().transaction([&] {
          storage().put("k", "v");
          set_alarm(name, body.required_int64("at"));
          after_durable([] { ++durable_callbacks_run; });
          throw std::runtime_error{"inside the transaction"};
        });
      } catch (const std::runtime_error&) {
      }
      storage().put("after", "1");
      return storage().get("k") ? "true" : "false";
    }
    if (method != "set" && method != "set_then_throw") unknown_method(method);
    set_alarm(name, body.required_int64("at"));
    if (method == "set_then_throw") throw std::runtime_error{"after setting"};
    return "{}";
  }

  void alarm(const alarm_info& info) override {
    {
      std::lock_guard guard{flaky_log->mutex};
      flaky_log->runs.emplace_back(name(), info);
      flaky_log->run_times.push_back(now_ms());
    }
    if (info.name == "rearm") set_alarm("rearm", now_ms() + 10'000);
    if (flaky_fails) throw std::runtime_error{"alarm failed"};
  }
};

struct alarm_fixture {
  alarm_fixture() { start(); }

  void start() {
    runtime_options options;
    options.data_dir = dir.path();
    options.scheduler_threads = 2;
    options.clock = clock;
    options.idle_timeout = idle_timeout;
    options.on_event = [this](std::string_view event, std::string_view class_name,
                              std::string_view object_name, std::string_view alarm_name) {
      std::lock_guard guard{events_mutex};
      events.push_back(std::string{event} + " " + std::string{class_name} + "/" +
                       std::string{object_name} + " " + std::string{alarm_name});
    };
    rt = std::make_unique<runtime>(options);
    rt->register_class<samples::reminder>("reminder");
    rt->register_class<flaky>("flaky");
    rt->start_alarms();
  }

  void restart() {
    rt.reset();
    start();
  }

  /// Waits (real time, at most 10 s) until the scheduler waits for a time other than "forever"
  /// after `after_ms`, and returns it.
  std::int64_t next_deadline(std::int64_t after_ms) {
    std::int64_t d = -1;
    eventually([&] {
      d = clock->waiting_for();
      return d != -1 && d != forever && d > after_ms;
    });
    return d;
  }

  /// Waits until the scheduler waits for exactly `deadline_ms`.
  void wait_until_waiting_for(std::int64_t deadline_ms) {
    eventually([&] { return clock->waiting_for() == deadline_ms; });
  }

  /// Waits (real time, at most 10 s) until `condition` holds.
  void eventually(const std::function<bool()>& condition) {
    auto limit = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    while (!condition()) {
      REQUIRE(std::chrono::steady_clock::now() < limit);
      std::this_thread::sleep_for(std::chrono::milliseconds{1});
    }
  }

  std::string status(std::string_view name) { return rt->get("reminder", name).call("status"); }

  temp_dir dir;
  std::shared_ptr<simulated_clock> clock = std::make_shared<simulated_clock>();
  std::chrono::milliseconds idle_timeout{30'000};
  std::unique_ptr<runtime> rt;
  std::mutex events_mutex;
  std::vector<std::string> events;
  run_log log;
  run_log* installed = (flaky_log = &log);
};

std::string set_payload(std::string_view name, std::int64_t at) {
  return json_writer{}
      .begin_object()
      .key("name")
      .value(name)
      .key("at")
      .value(at)
      .end_object()
      .str();
}

}  // namespace

TEST_CASE("a reminder fires at its time and never early") {
  alarm_fixture f;
  auto t0 = f.clock->now_ms();
  CHECK(f.rt->get("reminder", "r").call("arm", R"({"delayMs":1000})") ==
        R"({"scheduledAt":)" + std::to_string(t0 + 1000) + "}");
  f.wait_until_waiting_for(t0 + 1000);
  f.clock->advance(999);
  f.wait_until_waiting_for(t0 + 1000);
  CHECK(f.status("r") ==
        R"({"scheduledAt":)" + std::to_string(t0 + 1000) +
            R"(,"pending":true,"firedAt":null,"firedCount":0,"lastLatenessMs":null})");
  f.clock->advance(1);
  f.eventually([&] { return f.status("r").find(R"("firedCount":1)") != std::string::npos; });
  CHECK(f.status("r") == R"({"scheduledAt":)" + std::to_string(t0 + 1000) +
                             R"(,"pending":false,"firedAt":)" + std::to_string(t0 + 1000) +
                             R"(,"firedCount":1,"lastLatenessMs":0})");
}

TEST_CASE("reminder arm checks delayMs") {
  alarm_fixture f;
  auto stub = f.rt->get("reminder", "r");
  CHECK(stub.try_call("arm", "{}").err().code() == errc::missing_field);
  CHECK(stub.try_call("arm", R"({"delayMs":-1})").err().code() == errc::invalid_field);
  CHECK(stub.try_call("arm", R"({"delayMs":31536000001})").err().code() == errc::invalid_field);
  CHECK(stub.try_call("arm", R"({"delayMs":31536000000})").has_value());
}

TEST_CASE("setting replaces the alarm and deleting removes it") {
  alarm_fixture f;
  flaky_fails = false;
  auto t0 = f.clock->now_ms();
  auto stub = f.rt->get("flaky", "a");
  stub.call("set", set_payload("", t0 + 100));
  stub.call("set", set_payload("", t0 + 500));
  CHECK(stub.call("get", "{}") == R"({"at":)" + std::to_string(t0 + 500) + "}");
  stub.call("set", set_payload("gone", t0 + 200));
  CHECK(stub.call("del", R"({"name":"gone"})") == "true");
  CHECK(stub.call("del", R"({"name":"gone"})") == "false");
  f.clock->advance(500);
  f.eventually([&] { return f.log.size() == 1; });
  CHECK(f.log.runs[0].first == "a");
  CHECK(f.log.runs[0].second.name == "");
  CHECK(f.log.runs[0].second.scheduled_ms == t0 + 500);
  f.wait_until_waiting_for(forever);
  CHECK(f.log.size() == 1);
}

TEST_CASE("an alarm set by a handler that then throws is not set") {
  alarm_fixture f;
  auto stub = f.rt->get("flaky", "a");
  CHECK(code_of([&] { stub.call("set_then_throw", set_payload("", 1)); }) == errc::handler_error);
  CHECK(stub.call("get", "{}") == R"({"at":null})");
}

TEST_CASE("a storage transaction that throws takes back its writes - alarm changes and durable callbacks") {
  alarm_fixture f;
  auto stub = f.rt->get("flaky", "tx");
  durable_callbacks_run = 0;
  CHECK(stub.call("failed_transaction", set_payload("tx", f.clock->now_ms() + 1'000)) == "false");
  CHECK(stub.call("get", R"({"name":"tx"})") == R"({"at":null})");
  CHECK(stub.call("has_key", "{}") == "false");
  CHECK(durable_callbacks_run.load() == 0);
}

TEST_CASE("named alarms of one object fire independently and reserved names are refused") {
  alarm_fixture f;
  flaky_fails = false;
  auto t0 = f.clock->now_ms();
  auto stub = f.rt->get("flaky", "a");
  stub.call("set", set_payload("one", t0 + 100));
  stub.call("set", set_payload("two", t0 + 200));
  stub.call("set", set_payload("", t0 + 300));
  CHECK(code_of([&] { stub.call("set", set_payload("dort.tasks", t0)); }) == errc::invalid_field);
  f.clock->advance(100);
  f.eventually([&] { return f.log.size() == 1; });
  CHECK(stub.call("get", R"({"name":"two"})") == R"({"at":)" + std::to_string(t0 + 200) + "}");
  f.clock->advance(200);
  f.eventually([&] { return f.log.size() == 3; });
  CHECK(f.log.runs[0].second.name == "one");
  CHECK(f.log.runs[1].second.name == "two");
  CHECK(f.log.runs[2].second.name == "");
}

TEST_CASE("a failing alarm is retried after 2 4 8 16 32 64 s within the jitter and then dropped") {
  alarm_fixture f;
  flaky_fails = true;
  auto t0 = f.clock->now_ms();
  auto stub = f.rt->get("flaky", "a");
  stub.call("set", set_payload("", t0 + 1'000));
  f.wait_until_waiting_for(t0 + 1'000);
  f.clock->advance(1'000);
  std::int64_t base = 2'000;
  for (std::uint32_t retry = 1; retry <= 6; ++retry, base *= 2) {
    CAPTURE(retry);
    f.eventually([&] { return f.log.size() == retry; });
    auto now = f.clock->now_ms();
    auto next = f.next_deadline(now);
    CHECK(next - now >= base);
    CHECK(next - now <= base + base / 4);
    f.clock->advance(next - now);
  }
  f.eventually([&] { return f.log.size() == 7; });
  f.eventually([&] { return f.rt->stats().alarms_dropped == 1; });
  {
    std::lock_guard guard{f.events_mutex};
    REQUIRE(f.events.size() == 1);
    CHECK(f.events[0].starts_with("alarm_dropped flaky/"));
  }
  for (std::uint32_t run = 0; run < 7; ++run) {
    CHECK(f.log.runs[run].second.retry_count == run);
    CHECK(f.log.runs[run].second.is_retry == (run > 0));
    CHECK(f.log.runs[run].second.scheduled_ms <= f.log.run_times[run]);  // never early
  }
  CHECK(stub.call("get", "{}") == R"({"at":null})");
  CHECK(f.rt->stats().alarm_failures == 7);
  flaky_fails = false;
}

TEST_CASE("an alarm handler that sets a new alarm keeps it") {
  alarm_fixture f;
  flaky_fails = false;
  auto t0 = f.clock->now_ms();
  auto stub = f.rt->get("flaky", "a");
  stub.call("set", set_payload("rearm", t0 + 100));
  f.clock->advance(100);
  f.eventually([&] { return f.log.size() == 1; });
  f.eventually([&] {
    return stub.call("get", R"({"name":"rearm"})") ==
           R"({"at":)" + std::to_string(t0 + 10'100) + "}";
  });
  f.next_deadline(t0 + 100);
  f.clock->advance(10'000);
  f.eventually([&] { return f.log.size() == 2; });
}

TEST_CASE("an evicted object is woken by its alarm") {
  alarm_fixture f;
  f.idle_timeout = std::chrono::milliseconds{20};
  f.restart();
  auto t0 = f.clock->now_ms();
  f.rt->get("reminder", "sleepy").call("arm", R"({"delayMs":5000})");
  f.eventually([&] { return f.rt->stats().objects_active == 0; });
  f.clock->advance(5'000);
  f.eventually([&] { return f.rt->stats().alarm_runs == 1; });
  CHECK(f.status("sleepy").find(R"("firedAt":)" + std::to_string(t0 + 5000)) != std::string::npos);
}

TEST_CASE("many objects with the same due time each fire exactly once") {
  alarm_fixture f;
  constexpr int objects = 300;
  for (int i = 0; i < objects; ++i)
    f.rt->get("reminder", "r" + std::to_string(i)).call("arm", R"({"delayMs":1000})");
  f.clock->advance(1'000);
  f.eventually([&] { return f.rt->stats().alarm_runs == objects; });
  f.clock->advance(100'000);
  f.wait_until_waiting_for(forever);
  CHECK(f.rt->stats().alarm_runs == objects);
  for (int i = 0; i < objects; i += 37)
    CHECK(f.status("r" + std::to_string(i)).find(R"("firedCount":1,)") != std::string::npos);
}

TEST_CASE("alarms survive a restart and those that fell due while it was down fire at start") {
  alarm_fixture f;
  f.rt->get("reminder", "early").call("arm", R"({"delayMs":1000})");
  f.rt->get("reminder", "late").call("arm", R"({"delayMs":100000})");
  CHECK(f.rt->stats().alarms_pending == 2);
  f.rt.reset();              // the process stops
  f.clock->advance(50'000);  // and stays down past the first alarm
  f.start();
  f.eventually([&] { return f.rt->stats().alarm_runs == 1; });
  CHECK(f.status("early").find(R"("firedCount":1,)") != std::string::npos);
  CHECK(f.status("late").find(R"("pending":true)") != std::string::npos);
  f.clock->advance(50'000);
  f.eventually([&] { return f.rt->stats().alarm_runs == 2; });
  f.eventually([&] { return f.rt->stats().alarms_pending == 0; });
}
