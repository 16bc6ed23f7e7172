// The task layer from a program that uses the installed dort package (dort::execution): a task
// handler of the program's own, registered by name, runs a task submitted to the execution
// "jobs" through the typed client; the program waits (at most 10 s) for the task to complete and
// checks its output. Exits 1 on a wrong output, a timeout or an error.
//   usage: dort_consumer_tasks [DATA_DIR]  (default: a new directory under the system's temp dir)
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include <dort/actors/json_reader.hpp>
#include <dort/actors/json_writer.hpp>
#include <dort/execution/execution_client.hpp>
#include <dort/execution/execution_object.hpp>
#include <dort/execution/task_services.hpp>
#include <dort/runtime/runtime.hpp>

namespace {

constexpr auto completion_timeout = std::chrono::seconds{10};
constexpr auto poll_interval = std::chrono::milliseconds{5};

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path dir;
  if (argc > 1) {
    dir = argv[1];
  } else {
    std::string pattern = (std::filesystem::temp_directory_path() / "dort-consumer-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::cerr << "dort_consumer_tasks: cannot make a temporary directory\n";
      return 1;
    }
    dir = pattern;
  }
  bool ok = false;
  try {
    auto clock = std::make_shared<dort::system_clock>();
    // Declared before the runtime, so that they outlive every execution object that uses them.
    auto services = std::make_shared<dort::task_services>(*clock);
    // A blocking handler runs on the task layer's worker pool and returns the output JSON.
    services->handlers.add_blocking(
        "double",
        [](dort::task_attempt& attempt) {
          auto n = dort::json_object_reader{attempt.input()}.required_int64("n");
          return dort::json_writer{}.begin_object().key("doubled").value(2 * n).end_object().str();
        },
        services->workers);

    dort::runtime_options options;
    options.data_dir = dir;
    options.clock = clock;
    dort::runtime rt{options};
    dort::register_execution(rt, services);
    rt.start_alarms();

    dort::execution_client jobs{rt, "jobs"};
    dort::task_request request;
    request.name = "double";
    request.input_json = R"({"n":21})";
    auto id = jobs.submit(request).task.id;
    std::cout << "submitted task " << id << '\n';

    auto deadline = std::chrono::steady_clock::now() + completion_timeout;
    auto task = jobs.get(id);
    while (!dort::is_final(task.status) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(poll_interval);
      task = jobs.get(id);
    }
    std::cout << "status: " << dort::status_name(task.status)
              << ", output: " << task.output.value_or("(none)") << '\n';
    ok = task.status == dort::task_status::completed && task.output &&
         dort::json_object_reader{*task.output}.int64("doubled") == 42;
  } catch (const dort::error& e) {
    std::cerr << "dort_consumer_tasks: error (" << dort::code_name(e.code()) << "): " << e.what()
              << '\n';
  }
  if (argc <= 1) std::filesystem::remove_all(dir);
  std::cout << (ok ? "dort_consumer_tasks: ok" : "dort_consumer_tasks: FAILED") << '\n';
  return ok ? 0 : 1;
}
