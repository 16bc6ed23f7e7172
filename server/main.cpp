// The `dort` program: `dort serve` runs the HTTP server of API.md on a data directory;
// `dort inspect` reads one (server/inspect.hpp).
#include <sys/resource.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <iostream>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>

#include "execution/execution_object.hpp"
#include "execution/execution_waker.hpp"
#include "execution/http_task.hpp"
#include "runtime/runtime.hpp"
#include "samples/account/account.hpp"
#include "samples/counter/counter.hpp"
#include "samples/reminder/reminder.hpp"
#include "server/api.hpp"
#include "server/http_server.hpp"
#include "server/inspect.hpp"
#include "server/log.hpp"

namespace {

struct serve_settings {
  std::string data = "./dort-data";
  std::string listen = "127.0.0.1:8080";
  std::string token;
  std::string durability = "strict";
  std::size_t http_threads = 1;
  std::size_t scheduler_threads = 0;
  std::size_t max_inflight_requests = 10'000;
  std::int64_t max_queued_tasks = 1'000'000;
  std::size_t max_body_bytes = 1'048'576;
  std::uint64_t max_db_size = 0;
  std::int64_t shutdown_timeout_ms = 10'000;
  std::int64_t idle_timeout_s = 60;
  std::string log_level = "info";
};

int serve(const serve_settings& s) {
  using namespace dort;
  using server::log;
  using server::log_level;
  if (!server::init_logging(s.log_level)) {
    std::cerr << "dort serve: --log-level must be debug, info, warn or error\n";
    return 2;
  }
  auto colon = s.listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "dort serve: --listen must be HOST:PORT\n";
    return 2;
  }
  // Every connection is a file descriptor: take all the hard limit allows (the soft limit is
  // often 1,024).
  rlimit open_files{};
  if (::getrlimit(RLIMIT_NOFILE, &open_files) == 0 && open_files.rlim_cur < open_files.rlim_max) {
    open_files.rlim_cur = open_files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &open_files);
  }
  auto clock = std::make_shared<system_clock>();
  runtime_options options;
  options.data_dir = s.data;
  options.mode = s.durability == "relaxed" ? durability::relaxed : durability::strict;
  options.scheduler_threads = s.scheduler_threads;
  options.max_db_bytes = s.max_db_size;
  options.clock = clock;
  options.on_event = [](std::string_view event, std::string_view class_name,
                        std::string_view object_name, std::string_view alarm_name) {
    log(log_level::warn, event,
        {{"class", std::string{class_name}}, {"object", std::string{object_name}},
         {"alarm", std::string{alarm_name}}});
  };
  if (s.log_level == "debug")
    options.on_slow_operation = [](const slow_operation& op) {
      const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(op.took).count();
      log(log_level::debug, "slow storage operation",
          {{"operation", std::string{op.what}},
           {"ms", std::to_string(micros / 1000) + "." + std::to_string(micros % 1000 / 100)},
           {"objects", std::to_string(op.objects)},
           {"writes", std::to_string(op.writes)}});
    };
  std::optional<runtime> rt;
  try {
    rt.emplace(options);
  } catch (const error& e) {
    log(log_level::error, "cannot open the data directory",
        {{"dir", s.data}, {"code", std::string{code_name(e.code())}}, {"error", e.what()}});
    return 1;
  }
  rt->register_class<samples::account>("account");
  rt->register_class<samples::counter>("counter");
  rt->register_class<samples::reminder>("reminder");
  task_services_options task_options;
  task_options.max_queued_tasks = s.max_queued_tasks;
  auto services = std::make_shared<task_services>(*clock, task_options);
  add_http_handler(*services);
  register_execution(*rt, services);
  rt->start_alarms();
  std::optional<execution_waker> waker;  // exact task gauges and prompt resumption after a start
  waker.emplace(*rt);

  server::api api{*rt, {s.token, s.max_body_bytes, s.max_inflight_requests}, &services->metrics,
                  &services->events};
  server::http_options http;
  http.address = s.listen.substr(0, colon);
  http.port = static_cast<std::uint16_t>(std::stoi(s.listen.substr(colon + 1)));
  http.threads = std::max<std::size_t>(1, s.http_threads);
  http.max_body_bytes = s.max_body_bytes;
  http.idle_timeout = std::chrono::seconds{s.idle_timeout_s};
  std::optional<server::http_server> server;
  try {
    server.emplace(api, http);
  } catch (const std::exception& e) {
    log(log_level::error, "cannot listen", {{"listen", s.listen}, {"error", e.what()}});
    return 1;
  }
  std::mutex mutex;
  std::condition_variable stop_requested;
  bool stopping = false;
  server->on_signal([&](int signal) {
    log(log_level::info, "stopping", {{"signal", std::to_string(signal)}});
    std::lock_guard guard{mutex};
    stopping = true;
    stop_requested.notify_all();
  });
  log(log_level::info, "listening",
      {{"address", http.address}, {"port", std::to_string(server->port())}, {"data", s.data},
       {"durability", s.durability}, {"auth", s.token.empty() ? "off" : "on"}});
  std::thread serving{[&] { server->run(); }};

  {
    std::unique_lock lock{mutex};
    stop_requested.wait(lock, [&] { return stopping; });
  }
  // Graceful stop (API.md): no new connections, 503 for new requests, running requests finish
  // until the deadline, every acknowledged write durable, exit 0 before the deadline.
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds{s.shutdown_timeout_ms} * 8 / 10;
  api.begin_shutdown();
  server->stop_accepting();
  while (api.inflight() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  server->stop();
  serving.join();
  // The runtime goes first: replies still coming from objects are posted into the stopped event
  // loop, which then destroys them (and their connections) with itself. The other way round, an
  // object thread would release a connection after its event loop was gone.
  waker.reset();
  rt.reset();  // every live object finishes its commits: acknowledged writes are durable
  server.reset();
  log(log_level::info, "stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dort: durable objects and durable tasks, over HTTP (API.md)", "dort"};
  app.require_subcommand(1);
  serve_settings s;
  auto* serve_cmd = app.add_subcommand("serve", "Run the HTTP server on a data directory");
  serve_cmd->add_option("--data", s.data, "Data directory (LMDB)")->envname("DORT_DATA")
      ->capture_default_str();
  serve_cmd->add_option("--listen", s.listen, "Address and port, HOST:PORT")
      ->envname("DORT_LISTEN")->capture_default_str();
  serve_cmd->add_option("--token", s.token,
                        "Bearer token required on every route but /healthz (empty: no auth)")
      ->envname("DORT_TOKEN");
  serve_cmd->add_option("--durability", s.durability,
                        "strict: replies after fdatasync; relaxed: survive a process crash only")
      ->envname("DORT_DURABILITY")->check(CLI::IsMember({"strict", "relaxed"}))
      ->capture_default_str();
  serve_cmd->add_option("--http-threads", s.http_threads, "Threads serving HTTP")
      ->envname("DORT_HTTP_THREADS")->check(CLI::Range(1, 256))->capture_default_str();
  serve_cmd->add_option("--scheduler-threads", s.scheduler_threads,
                        "Threads running objects (0: one per core)")
      ->envname("DORT_SCHEDULER_THREADS")->check(CLI::Range(0, 256))->capture_default_str();
  serve_cmd->add_option("--max-inflight-requests", s.max_inflight_requests,
                        "Requests handled at once; past it 429 backpressure")
      ->envname("DORT_MAX_INFLIGHT_REQUESTS")->check(CLI::PositiveNumber)->capture_default_str();
  serve_cmd->add_option("--max-queued-tasks", s.max_queued_tasks,
                        "Pending or rate-limited tasks per execution; past it 429 backpressure")
      ->envname("DORT_MAX_QUEUED_TASKS")->check(CLI::PositiveNumber)->capture_default_str();
  serve_cmd->add_option("--max-body-bytes", s.max_body_bytes,
                        "Request body limit; past it 413 too_large")
      ->envname("DORT_MAX_BODY_BYTES")->check(CLI::PositiveNumber)->capture_default_str();
  serve_cmd->add_option("--max-db-size", s.max_db_size,
                        "Database size limit in bytes; past it writes fail with 507 (0: none)")
      ->envname("DORT_MAX_DB_SIZE")->capture_default_str();
  serve_cmd->add_option("--shutdown-timeout-ms", s.shutdown_timeout_ms,
                        "Deadline of a graceful stop (SIGTERM, SIGINT)")
      ->envname("DORT_SHUTDOWN_TIMEOUT_MS")->check(CLI::Range(1, 3'600'000))
      ->capture_default_str();
  serve_cmd->add_option("--idle-timeout-s", s.idle_timeout_s,
                        "Seconds an idle keep-alive connection stays open")
      ->envname("DORT_IDLE_TIMEOUT_S")->check(CLI::Range(1, 86'400))->capture_default_str();
  serve_cmd->add_option("--log-level", s.log_level, "debug, info, warn or error")
      ->envname("DORT_LOG_LEVEL")->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  dort::server::inspect_command inspect{app};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the error and the usage
    return 2;
  }
  if (serve_cmd->parsed()) return serve(s);
  if (inspect.parsed()) return inspect.run(std::cout, std::cerr);
  return 2;
}
