// The child process of the crash and inspection tests.
//   dort_test_child incr DIR THREADS   increments counter "crash" from THREADS threads forever,
//                                      writing "s\n" before each call and "a VALUE\n" after each
//                                      acknowledged one, until it is killed
//   dort_test_child read DIR NAME      opens DIR read-only and prints counter NAME's stored value
//   dort_test_child hold-read DIR      opens DIR read-only, begins a read transaction, writes
//                                      "reading\n" and keeps it open until it is killed
//   dort_test_child alarms DIR N       arms reminders r0..r(N-1) for +300 ms from 8 threads, writes
//                                      "armed\n", then lets them fire until it is killed
//   dort_test_child tasks DIR THREADS  submits tasks to execution "crash" from THREADS threads
//                                      forever (each fails once, then completes; timeout 1 s),
//                                      writing "a ID\n" after each acknowledged submit
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "execution/execution_client.hpp"
#include "execution/execution_object.hpp"
#include "persistence/environment.hpp"
#include "persistence/key_encoding.hpp"
#include "runtime/runtime.hpp"
#include "samples/counter/counter.hpp"
#include "samples/reminder/reminder.hpp"

namespace {

/// One write(2) per line, so lines of different threads never interleave.
void emit(const std::string& line) {
  if (::write(STDOUT_FILENO, line.data(), line.size()) < 0) std::_Exit(3);
}

int run_increments(const char* dir, int threads) {
  dort::runtime_options options;
  options.data_dir = dir;
  options.scheduler_threads = 2;
  dort::runtime rt{options};
  rt.register_class<dort::samples::counter>("counter");
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      auto stub = rt.get("counter", "crash");
      for (;;) {
        emit("s\n");
        auto reply = stub.call("incr");  // {"value":N}
        auto digits = reply.substr(9, reply.size() - 10);
        emit("a " + digits + "\n");
      }
    });
  for (auto& w : workers) w.join();
  return 0;
}

int arm_reminders(const char* dir, int count) {
  constexpr int threads = 8;
  dort::runtime_options options;
  options.data_dir = dir;
  options.scheduler_threads = 2;
  dort::runtime rt{options};
  rt.register_class<dort::samples::reminder>("reminder");
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = t; i < count; i += threads)
        rt.get("reminder", "r" + std::to_string(i)).call("arm", R"({"delayMs":300})");
    });
  for (auto& w : workers) w.join();
  emit("armed\n");
  for (;;) std::this_thread::sleep_for(std::chrono::seconds{1});
}

int submit_tasks(const char* dir, int threads) {
  auto clock = std::make_shared<dort::system_clock>();
  dort::runtime_options options;
  options.data_dir = dir;
  options.scheduler_threads = 2;
  options.clock = clock;
  dort::runtime rt{options};
  auto services = std::make_shared<dort::task_services>(*clock);
  dort::register_execution(rt, services);
  dort::execution_client client{rt, "crash"};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      // Ids go on across rounds: a new process starts from the time, so ids never repeat.
      auto base = std::to_string(clock->now_ms()) + "-" + std::to_string(t) + "-";
      for (std::uint64_t n = 0;; ++n) {
        dort::task_request r;
        r.name = "fail";
        r.id = base + std::to_string(n);
        r.input_json = R"({"times": 1})";
        r.config = dort::task_config_override{.initial_retry_delay_ms = 10, .timeout_ms = 1'000};
        client.submit(r);
        emit("a " + *r.id + "\n");
      }
    });
  for (auto& w : workers) w.join();
  return 0;
}

int read_counter(const char* dir, const char* name) {
  dort::environment_options options;
  options.dir = dir;
  options.read_only = true;
  dort::environment env{options};
  std::string key;
  dort::encode_data_key(dort::object_id::from_name("counter", name), "value", key);
  auto txn = env.begin_read();
  auto value = txn.get(env.data_db(), key);
  std::cout << (value ? std::string{*value} : std::string{"none"}) << std::endl;
  return 0;
}

int hold_read(const char* dir) {
  dort::environment_options options;
  options.dir = dir;
  options.read_only = true;
  dort::environment env{options};
  auto txn = env.begin_read();
  emit("reading\n");
  for (;;) std::this_thread::sleep_for(std::chrono::seconds{1});
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 4 && std::strcmp(argv[1], "incr") == 0)
      return run_increments(argv[2], std::stoi(argv[3]));
    if (argc == 4 && std::strcmp(argv[1], "read") == 0) return read_counter(argv[2], argv[3]);
    if (argc == 3 && std::strcmp(argv[1], "hold-read") == 0) return hold_read(argv[2]);
    if (argc == 4 && std::strcmp(argv[1], "tasks") == 0)
      return submit_tasks(argv[2], std::stoi(argv[3]));
    if (argc == 4 && std::strcmp(argv[1], "alarms") == 0)
      return arm_reminders(argv[2], std::stoi(argv[3]));
  } catch (const std::exception& e) {
    std::cerr << "dort_test_child: " << e.what() << '\n';
    return 1;
  }
  std::cerr << "usage: dort_test_child incr DIR THREADS | read DIR NAME | hold-read DIR |"
               " alarms DIR N | tasks DIR THREADS\n";
  return 2;
}
