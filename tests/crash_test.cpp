#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <sstream>
#include <thread>

#include "child_process.hpp"
#include "execution/execution_client.hpp"
#include "execution/execution_object.hpp"
#include "runtime/runtime.hpp"
#include "samples/counter/counter.hpp"
#include "samples/reminder/reminder.hpp"
#include "temp_dir.hpp"

using namespace dort;
using dort::test::child_process;
using dort::test::temp_dir;

namespace {

struct child_log {
  std::int64_t sent = 0;
  std::int64_t last_acknowledged = 0;
};

child_log parse(const std::string& text) {
  child_log log;
  std::istringstream lines{text};
  std::string line;
  while (std::getline(lines, line)) {
    if (lines.eof()) break;  // a line cut by the kill is not a whole line
    if (line == "s")
      ++log.sent;
    else if (line.rfind("a ", 0) == 0)
      log.last_acknowledged =
          std::max<std::int64_t>(log.last_acknowledged, std::stoll(line.substr(2)));
  }
  return log;
}

std::int64_t counter_value(const temp_dir& dir, std::string_view name) {
  runtime_options options;
  options.data_dir = dir.path();
  options.scheduler_threads = 2;
  runtime rt{options};
  rt.register_class<samples::counter>("counter");
  auto reply = rt.get("counter", name).call("get");
  return std::stoll(reply.substr(9, reply.size() - 10));
}

}  // namespace

TEST_CASE("crash safety: after SIGKILL at a random moment every acknowledged increment is kept") {
  constexpr int rounds = 20;
  std::mt19937 random{std::random_device{}()};
  std::uniform_int_distribution<int> kill_after_ms{1, 300};
  temp_dir dir;  // one directory for all rounds: each round starts from the last one's state
  std::int64_t floor = 0;
  for (int round = 0; round < rounds; ++round) {
    CAPTURE(round);
    std::string text;
    {
      child_process child{{"incr", dir.path().string(), "4"}};
      // Wait for the first acknowledgement, so that the kill meets a loaded process.
      while (text.find("\na ") == std::string::npos && text.rfind("a ", 0) != 0)
        REQUIRE(child.read_for(10'000, text));
      auto deadline =
          std::chrono::steady_clock::now() + std::chrono::milliseconds{kill_after_ms(random)};
      while (std::chrono::steady_clock::now() < deadline) child.read_for(5, text);
      child.kill_hard();
      child.read_all(text);
      CHECK(WIFSIGNALED(child.wait()));
    }
    auto log = parse(text);
    auto value = counter_value(dir, "crash");
    CHECK(log.last_acknowledged > 0);
    CHECK(value >= log.last_acknowledged);  // nothing acknowledged is lost
    CHECK(value <= floor + log.sent);       // nothing is counted that was not sent
    floor = value;
  }
}

TEST_CASE("crash safety: after SIGKILL during a load of submits every acknowledged task is kept and finishes") {
  constexpr int rounds = 5;
  std::mt19937 random{std::random_device{}()};
  std::uniform_int_distribution<int> kill_after_ms{20, 400};
  temp_dir dir;
  std::vector<std::string> acknowledged;
  for (int round = 0; round < rounds; ++round) {
    CAPTURE(round);
    std::string text;
    {
      child_process child{{"tasks", dir.path().string(), "4"}};
      while (text.find("a ") == std::string::npos) REQUIRE(child.read_for(10'000, text));
      auto deadline =
          std::chrono::steady_clock::now() + std::chrono::milliseconds{kill_after_ms(random)};
      while (std::chrono::steady_clock::now() < deadline) child.read_for(5, text);
      child.kill_hard();
      child.read_all(text);
      CHECK(WIFSIGNALED(child.wait()));
    }
    std::istringstream lines{text};
    std::string line;
    while (std::getline(lines, line)) {
      if (lines.eof()) break;  // a line cut by the kill is not a whole line
      if (line.rfind("a ", 0) == 0) acknowledged.push_back(line.substr(2));
    }
    // Reopen: the first message recovers the attempts cut short; every task acknowledged so far
    // (this round and earlier ones) exists and completes, with the cut-short attempts not counted.
    auto clock = std::make_shared<system_clock>();
    runtime_options options;
    options.data_dir = dir.path();
    options.scheduler_threads = 2;
    options.clock = clock;
    runtime rt{options};
    auto services = std::make_shared<task_services>(*clock);
    register_execution(rt, services);
    execution_client client{rt, "crash"};
    auto limit = std::chrono::steady_clock::now() + std::chrono::seconds{30};
    for (;;) {
      auto m = client.metrics();
      if (m.pending + m.running + m.rate_limited == 0) break;
      REQUIRE(std::chrono::steady_clock::now() < limit);
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    REQUIRE(!acknowledged.empty());
    for (const auto& id : acknowledged) {
      CAPTURE(id);
      auto t = client.get(id);
      CHECK(t.status == task_status::completed);
      CHECK(t.attempts == 2);
      CHECK(t.retries == 1);
    }
  }
}

TEST_CASE("another process reads a data directory read-only while a runtime writes to it") {
  temp_dir dir;
  runtime_options options;
  options.data_dir = dir.path();
  options.scheduler_threads = 2;
  runtime rt{options};
  rt.register_class<samples::counter>("counter");
  rt.get("counter", "seen").call("incr", R"({"by":12})");
  std::string text;
  child_process reader{{"read", dir.path().string(), "seen"}};
  reader.read_all(text);
  CHECK(reader.wait() == 0);
  CHECK(text == "12\n");
  rt.get("counter", "seen").call("incr");  // the writer goes on
  std::string again;
  child_process second{{"read", dir.path().string(), "seen"}};
  second.read_all(again);
  CHECK(again == "13\n");
}

TEST_CASE(
    "crash safety: alarms firing at SIGKILL fire again after restart unless their run committed") {
  constexpr int reminders = 10'000;
  temp_dir dir;
  std::mt19937 random{std::random_device{}()};
  {
    child_process child{{"alarms", dir.path().string(), std::to_string(reminders)}};
    std::string text;
    while (text.find("armed\n") == std::string::npos) REQUIRE(child.read_for(60'000, text));
    // The first reminders are due by now; kill while they fire.
    std::this_thread::sleep_for(
        std::chrono::milliseconds{std::uniform_int_distribution{0, 200}(random)});
    child.kill_hard();
    CHECK(WIFSIGNALED(child.wait()));
  }
  runtime_options options;
  options.data_dir = dir.path();
  options.scheduler_threads = 2;
  runtime rt{options};
  rt.register_class<samples::reminder>("reminder");
  rt.start_alarms();
  // Every reminder fires (again, if its run was cut short) and is then done; a run that had
  // committed before the kill is not lost: firedCount never goes back to 0.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{120};
  for (int i = 0; i < reminders; ++i) {
    auto stub = rt.get("reminder", "r" + std::to_string(i));
    std::string status;
    for (;;) {
      status = stub.call("status");
      if (status.find(R"("pending":false)") != std::string::npos) break;
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    CAPTURE(status);
    CHECK(status.find(R"("firedCount":0)") == std::string::npos);
  }
  // The last reminders were armed less than their 300 ms before the kill: they fired here.
  CHECK(rt.stats().alarm_runs > 0);
}
