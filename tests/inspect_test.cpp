// `dort inspect` on the directory of a running `dort serve` (the real binaries, real time: they
// assert outcomes, never durations), its errors and exit codes, and how it prints stored bytes.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "actors/durable_send_records.hpp"
#include "actors/json_reader.hpp"
#include "alarms/alarm_index.hpp"
#include "child_process.hpp"
#include "execution/task_counters.hpp"
#include "execution/task_keys.hpp"
#include "execution/workflow_store.hpp"
#include "http_client.hpp"
#include "persistence/catalogue.hpp"
#include "persistence/environment.hpp"
#include "persistence/key_encoding.hpp"
#include "persistence/object_id.hpp"
#include "server/inspect_check.hpp"
#include "server/inspect_listings.hpp"
#include "server/row_printer.hpp"
#include "server_process.hpp"
#include "store_fixture.hpp"
#include "temp_dir.hpp"

using dort::json_object_reader;
using dort::test::await_body;
using dort::test::child_process;
using dort::test::http_connection;
using dort::test::server_process;
using dort::test::temp_dir;

namespace {

struct run_result {
  int exit_code = -1;
  std::string text;  // what the chosen stream (stdout or stderr) carried
};

/// Runs `dort inspect ARGS...`, capturing stdout (or stderr), until it exits.
run_result inspect(std::vector<std::string> args, int capture_fd = STDOUT_FILENO) {
  args.insert(args.begin(), "inspect");
  child_process child{DORT_BIN, args, capture_fd};
  run_result result;
  child.read_all(result.text);
  int status = child.wait();
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// The names of the files in `dir`.
std::set<std::string> files_in(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (auto& entry : std::filesystem::directory_iterator{dir})
    names.insert(entry.path().filename().string());
  return names;
}

std::string task_url(const std::string& exec, const std::string& id) {
  return "/v1/executions/" + exec + "/tasks/" + id;
}

/// Asks until the task's status is `status`; returns its last record.
std::string await_status(http_connection& c, const std::string& exec, const std::string& id,
                         const std::string& status) {
  std::string record;
  for (int i = 0; i < 1'000; ++i) {
    record = c.request("GET", task_url(exec, id)).body;
    if (record.find(R"("status":")" + status + "\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return record;
}

/// Runs `inspect ARGS` until its output is `expected` (a reply may come before its commit is
/// visible to another process); returns the last output.
std::string await_output(const std::vector<std::string>& args, const std::string& expected) {
  std::string out;
  for (int i = 0; i < 200; ++i) {
    out = inspect(args).text;
    if (out == expected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return out;
}

/// A server with counters a (value 3) and b (value 1) and reminder r armed an hour ahead.
struct objects_fixture {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  std::string data = dir.path().string();
  std::int64_t scheduled_at = 0;

  objects_fixture() {
    REQUIRE(c.connected());
    for (int i = 0; i < 3; ++i)
      REQUIRE(c.request("POST", "/v1/objects/counter/a/incr").status == 200);
    REQUIRE(c.request("POST", "/v1/objects/counter/b/incr").status == 200);
    auto armed = c.request("POST", "/v1/objects/reminder/r/arm", R"({"delayMs":3600000})");
    REQUIRE(armed.status == 200);
    scheduled_at = *json_object_reader{armed.body}.int64("scheduledAt");
  }
};

/// A server with execution "jobs" holding a completed echo task, a failed task (in the dead
/// letters) and a task that waits for a delayed start; their records as GET answers them.
struct tasks_fixture {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  std::string data = dir.path().string();
  std::string echo, failed, delayed;

  tasks_fixture() {
    REQUIRE(c.connected());
    auto submit = [&](const std::string& body) {
      REQUIRE(c.request("POST", "/v1/executions/jobs/tasks", body).status == 201);
    };
    submit(R"({"id":"e","name":"echo","input":{"n":1}})");
    submit(R"({"id":"f","name":"fail","input":{"times":5},"config":{"maxRetries":0}})");
    submit(R"({"id":"w","name":"wait","input":{"ms":1},"delayMs":3600000})");
    echo = await_status(c, "jobs", "e", "completed");
    failed = await_status(c, "jobs", "f", "failed");
    delayed = await_status(c, "jobs", "w", "pending");
    REQUIRE(echo.find(R"("status":"completed")") != std::string::npos);
    REQUIRE(failed.find(R"("status":"failed")") != std::string::npos);
  }
};


// -- check ----------------------------------------------------------------------------------------

/// Runs `dort inspect --data DATA check`.
run_result check(const std::string& data) { return inspect({"--data", data, "check"}); }

/// The lines of a check's output that report `problem`.
std::vector<std::string> problems_named(const std::string& out, const std::string& problem) {
  std::vector<std::string> found;
  for (auto& line : lines_of(out))
    if (line.find(R"({"problem":")" + problem + "\"") == 0) found.push_back(line);
  return found;
}

/// The counts of a check's summary line (its last line).
struct check_counts {
  std::int64_t objects = -1, alarms = -1, executions = -1, tasks = -1, outbox_entries = -1,
               delivery_marks = -1, problems = -1;
};

check_counts summary_of(const std::string& out) {
  auto lines = lines_of(out);
  REQUIRE(!lines.empty());
  json_object_reader summary{lines.back()};
  summary.allow_only({"checked", "problems"});
  auto checked_text = summary.raw("checked");
  REQUIRE(checked_text);
  json_object_reader checked{*checked_text};
  checked.allow_only(
      {"objects", "alarms", "executions", "tasks", "outboxEntries", "deliveryMarks"});
  return {*checked.int64("objects"),       *checked.int64("alarms"),
          *checked.int64("executions"),    *checked.int64("tasks"),
          *checked.int64("outboxEntries"), *checked.int64("deliveryMarks"),
          *summary.int64("problems")};
}

/// The id of the execution "jobs" that the fixtures below fill.
dort::object_id jobs_id() { return dort::object_id::from_name("execution", "jobs"); }

/// The LMDB key of `user_key` of the execution "jobs".
std::string jobs_key(std::string_view user_key) {
  std::string key;
  dort::encode_data_key(jobs_id(), user_key, key);
  return key;
}

/// A directory that a server filled with counters, reminders (one fired, one pending) and
/// tasks of every status, and then stopped: nothing writes it while the test checks it.
struct every_state_fixture {
  temp_dir dir;
  std::string data = dir.path().string();

  every_state_fixture() {
    // Attempts still running at the stop stay running in storage: what a crash leaves too.
    server_process server{dir, {"--shutdown-timeout-ms", "300"}};
    http_connection c{server.port()};
    REQUIRE(c.connected());
    auto post = [&](const std::string& path, const std::string& body, int status) {
      auto reply = c.request("POST", path, body);
      REQUIRE_MESSAGE(reply.status == status, path << " " << reply.body);
    };
    post("/v1/objects/counter/a/incr", "", 200);
    post("/v1/objects/counter/b/incr", R"({"by":5})", 200);
    post("/v1/objects/reminder/soon/arm", R"({"delayMs":0})", 200);
    post("/v1/objects/reminder/later/arm", R"({"delayMs":3600000})", 200);
    const std::string tasks = "/v1/executions/jobs/tasks";
    const std::string hour = "3600000";
    post(tasks, R"({"id":"done","name":"echo","input":{"n":1},"idempotencyKey":"once"})", 201);
    post(tasks, R"({"id":"failed","name":"fail","input":{"times":5},"config":{"maxRetries":0}})",
         201);
    post(tasks, R"({"id":"later","name":"wait","input":{"ms":1},"delayMs":)" + hour + "}", 201);
    post(tasks,
         R"({"id":"retrying","name":"fail","input":{"times":1},"config":{"initialRetryDelay":)" +
             hour + "}}",
         201);
    post(tasks, R"({"id":"waiting","name":"wait","input":{"ms":)" + hour + "}}", 201);
    post(tasks,
         R"({"id":"sleeping","name":"sleep","input":{"ms":)" + hour + R"(},"config":{"timeout":)" +
             hour + "}}",
         201);
    post(tasks, R"({"id":"cancelled","name":"echo","delayMs":)" + hour + "}", 201);
    post(tasks + "/cancelled/cancel", "", 200);
    const std::string limited = R"(,"name":"echo","config":{"rateLimit":{"maxExecutions":1,)"
                                R"("windowMs":)" + hour + "}}}";
    post(tasks, R"({"id":"limited1")" + limited, 201);
    post(tasks, R"({"id":"limited2")" + limited, 201);
    auto await = [&](const std::string& id, const std::string& fragment) {
      auto record = await_body(c, "GET", tasks + "/" + id, fragment);
      REQUIRE_MESSAGE(record.find(fragment) != std::string::npos, record);
    };
    await("done", R"("status":"completed")");
    await("failed", R"("status":"failed")");
    await("retrying", R"("nextRetryAt")");
    await("waiting", R"("status":"running")");
    await("sleeping", R"("status":"running")");
    await("limited1", R"("status":"completed")");
    await("limited2", R"("status":"rate_limited")");
    auto fired = await_body(c, "POST", "/v1/objects/reminder/soon/status", R"("firedCount":1)");
    REQUIRE_MESSAGE(fired.find(R"("pending":false)") != std::string::npos, fired);
    server.stop();
  }
};

/// A stopped server's directory with a counter, a pending reminder and the execution "jobs":
/// task "done" (seq 1, completed, idempotency key "once") and task "later" (seq 2, waiting an
/// hour for its start).
struct small_fixture {
  temp_dir dir;
  std::string data = dir.path().string();

  /// `more` adds to what the server holds before it stops.
  explicit small_fixture(const std::function<void(http_connection&)>& more = {}) {
    server_process server{dir};
    http_connection c{server.port()};
    REQUIRE(c.connected());
    REQUIRE(c.request("POST", "/v1/objects/counter/a/incr").status == 200);
    REQUIRE(c.request("POST", "/v1/objects/reminder/r/arm", R"({"delayMs":3600000})").status ==
            200);
    const std::string tasks = "/v1/executions/jobs/tasks";
    REQUIRE(c.request("POST", tasks, R"({"id":"done","name":"echo","idempotencyKey":"once"})")
                .status == 201);
    REQUIRE(c.request("POST", tasks, R"({"id":"later","name":"echo","delayMs":3600000})")
                .status == 201);
    auto done = await_body(c, "GET", tasks + "/done", R"("status":"completed")");
    REQUIRE_MESSAGE(done.find(R"("status":"completed")") != std::string::npos, done);
    auto schedule = c.request("PUT", "/v1/executions/jobs/schedules/hourly",
                              R"({"everyMs":3600000,"task":{"name":"echo"}})");
    REQUIRE(schedule.status == 200);
    hourly_next_run = *dort::json_object_reader{schedule.body}.int64("nextRunAt");
    if (more) more(c);
    server.stop();
  }

  std::int64_t hourly_next_run = 0;

  /// Copies the directory, applies `change` to the copy in one write transaction (a test-only
  /// writer: the project's environment opened for writing) and returns the copy's check.
  run_result check_damaged(
      const std::function<void(dort::write_txn&, MDB_dbi data, const dort::alarm_dbs&)>& change) {
    REQUIRE(check(data).exit_code == 0);
    std::filesystem::copy(dir.path(), copy.path(), std::filesystem::copy_options::recursive);
    {
      dort::environment_options options;
      options.dir = copy.path();
      dort::environment env{options};
      auto alarms = dort::alarm_dbs::open(env);
      env.write([&](dort::write_txn& txn) { change(txn, env.data_db(), alarms); });
      env.sync();
    }
    return check(copy.path().string());
  }

  temp_dir copy;
};

/// The id of account `name`.
dort::object_id account_id(const std::string& name) {
  return dort::object_id::from_name("account", name);
}

/// A stopped server's directory where accounts a, b and c paid one another (a → b, a → c, then
/// b → c and c → a with money received) and every credit arrived: four delivery marks.
struct accounts_fixture {
  temp_dir dir;
  std::string data = dir.path().string();

  accounts_fixture() {
    server_process server{dir};
    http_connection c{server.port()};
    REQUIRE(c.connected());
    auto post = [&](const std::string& account, const std::string& method,
                    const std::string& body) {
      auto reply = c.request("POST", "/v1/objects/account/" + account + "/" + method, body);
      REQUIRE_MESSAGE(reply.status == 200, account << " " << method << " " << reply.body);
    };
    auto await_balance = [&](const std::string& account, const std::string& figures) {
      auto body = await_body(c, "POST", "/v1/objects/account/" + account + "/balance", figures);
      REQUIRE_MESSAGE(body == figures, account << " " << body);
    };
    post("a", "deposit", R"({"amount":100})");
    post("a", "transfer", R"({"to":"b","amount":10})");
    post("a", "transfer", R"({"to":"c","amount":20})");
    await_balance("b", R"({"balance":10,"received":1,"sent":0})");
    post("b", "transfer", R"({"to":"c","amount":5})");
    await_balance("c", R"({"balance":25,"received":2,"sent":0})");
    post("c", "transfer", R"({"to":"a","amount":1})");
    await_balance("a", R"({"balance":71,"received":1,"sent":2})");
    server.stop();
  }

  /// Copies the directory, applies `change` to the copy's durable-send databases in one write
  /// transaction (a test-only writer) and returns the copy's check.
  run_result check_damaged(
      const std::function<void(dort::write_txn&, const dort::durable_send_dbs&)>& change) {
    REQUIRE(check(data).exit_code == 0);
    std::filesystem::copy(dir.path(), copy.path(), std::filesystem::copy_options::recursive);
    {
      dort::environment_options options;
      options.dir = copy.path();
      dort::environment env{options};
      auto dbs = dort::durable_send_dbs::open(env);
      env.write([&](dort::write_txn& txn) { change(txn, dbs); });
      env.sync();
    }
    return check(copy.path().string());
  }

  temp_dir copy;
};

}  // namespace

TEST_SUITE_BEGIN("inspect");

TEST_CASE("inspect objects lists class - name and hex id of every object of a live server") {
  objects_fixture f;
  std::set<std::string> seen;
  auto run = inspect({"--data", f.data, "objects"});
  CHECK(run.exit_code == 0);
  for (auto& line : lines_of(run.text)) {
    json_object_reader row{line};
    row.allow_only({"class", "name", "id"});
    auto class_name = row.required_string("class");
    auto name = row.required_string("name");
    auto id = row.required_string("id");
    CHECK(id.size() == 32);
    CHECK(id == dort::object_id::from_name(class_name, name).to_hex());
    seen.insert(class_name + "/" + name);
  }
  CHECK(seen == std::set<std::string>{"counter/a", "counter/b", "reminder/r"});
}

TEST_CASE("inspect object shows the keys and values of one object as JSON lines") {
  objects_fixture f;
  auto out = await_output({"--data", f.data, "object", "counter", "a"},
                          "{\"key\":\"value\",\"value\":3}\n");
  CHECK(out == "{\"key\":\"value\",\"value\":3}\n");
  auto reminder = inspect({"object", "reminder", "r", "--data", f.data});  // options after too
  CHECK(reminder.exit_code == 0);
  CHECK(reminder.text.find("{\"key\":\"scheduledAt\",\"value\":" + std::to_string(f.scheduled_at) +
                           "}") != std::string::npos);
}

TEST_CASE("inspect alarms shows the due time and object of an armed reminder") {
  objects_fixture f;
  auto run = inspect({"--data", f.data, "alarms"});
  CHECK(run.exit_code == 0);
  auto lines = lines_of(run.text);
  REQUIRE(lines.size() == 1);
  json_object_reader row{lines[0]};
  CHECK(row.int64("dueAt") == f.scheduled_at);
  CHECK(row.string("class") == "reminder");
  CHECK(row.string("object") == "r");
  CHECK(row.string("alarm") == "");
  CHECK(row.int64("retryCount") == 0);
  CHECK(row.string("id") == dort::object_id::from_name("reminder", "r").to_hex());
}

TEST_CASE("inspect tasks prints the records GET answers - newest first") {
  tasks_fixture f;
  auto expected = f.delayed + "\n" + f.failed + "\n" + f.echo + "\n";
  CHECK(await_output({"--data", f.data, "tasks", "jobs"}, expected) == expected);
}

TEST_CASE("inspect tasks --status keeps tasks of that status and dlq only the failed ones") {
  tasks_fixture f;
  auto failed = f.failed + "\n";
  CHECK(await_output({"--data", f.data, "tasks", "jobs", "--status", "failed"}, failed) == failed);
  CHECK(inspect({"--data", f.data, "tasks", "jobs", "--status", "pending"}).text ==
        f.delayed + "\n");
  CHECK(inspect({"--data", f.data, "tasks", "jobs", "--status", "running"}).text.empty());
  auto dlq = inspect({"--data", f.data, "dlq", "jobs"});
  CHECK(dlq.exit_code == 0);
  CHECK(dlq.text == failed);
  CHECK(inspect({"--data", f.data, "--limit", "1", "tasks", "jobs"}).text == f.delayed + "\n");
}

TEST_CASE("inspect tasks of an execution never used prints nothing and succeeds") {
  tasks_fixture f;
  auto run = inspect({"--data", f.data, "tasks", "unused"});
  CHECK(run.exit_code == 0);
  CHECK(run.text.empty());
  CHECK(inspect({"--data", f.data, "dlq", "unused"}).text.empty());
}

TEST_CASE("inspect --table prints a header line and one aligned row per entry") {
  tasks_fixture f;
  auto run = inspect({"--data", f.data, "--table", "tasks", "jobs"});
  CHECK(run.exit_code == 0);
  auto lines = lines_of(run.text);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].rfind("ID", 0) == 0);
  auto status_at = lines[0].find("STATUS");
  REQUIRE(status_at != std::string::npos);
  CHECK(lines[1].substr(status_at).rfind("pending", 0) == 0);
  CHECK(lines[2].substr(status_at).rfind("failed", 0) == 0);
  CHECK(lines[3].substr(status_at).rfind("completed", 0) == 0);
  CHECK(lines[2].find("failed on purpose") != std::string::npos);
  auto objects = lines_of(inspect({"--data", f.data, "objects", "--table"}).text);
  REQUIRE(objects.size() == 2);
  CHECK(objects[0].rfind("CLASS", 0) == 0);
  CHECK(objects[1].rfind("execution", 0) == 0);
}

TEST_CASE("inspect leaves a live server's directory as it was and the server writing") {
  objects_fixture f;
  auto before = files_in(f.dir.path());
  for (auto* what : {"objects", "alarms"}) CHECK(inspect({"--data", f.data, what}).exit_code == 0);
  CHECK(inspect({"--data", f.data, "object", "counter", "a"}).exit_code == 0);
  CHECK(inspect({"--data", f.data, "tasks", "x"}).exit_code == 0);
  CHECK(files_in(f.dir.path()) == before);
  CHECK(f.c.request("POST", "/v1/objects/counter/a/incr").body == R"({"value":4})");
}

TEST_CASE("inspect refuses a missing directory with exit 1 and does not create it") {
  temp_dir dir;
  auto missing = dir.path() / "nothing-here";
  auto run = inspect({"--data", missing.string(), "objects"}, STDERR_FILENO);
  CHECK(run.exit_code == 1);
  CHECK(run.text.find("no data directory") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(missing));
}

TEST_CASE("inspect refuses a directory that is not a dort data directory and creates nothing") {
  temp_dir dir;
  auto run = inspect({"--data", dir.path().string(), "alarms"}, STDERR_FILENO);
  CHECK(run.exit_code == 1);
  CHECK(run.text.find("not a dort data directory") != std::string::npos);
  CHECK(files_in(dir.path()).empty());
}

TEST_CASE("inspect object of an object that is not there exits 1 naming it") {
  objects_fixture f;
  auto run = inspect({"--data", f.data, "object", "counter", "zz"}, STDERR_FILENO);
  CHECK(run.exit_code == 1);
  CHECK(run.text.find("no object 'zz' of class 'counter'") != std::string::npos);
}

TEST_CASE("inspect usage errors exit 2 - unknown subcommand and unknown status") {
  objects_fixture f;
  auto unknown = inspect({"--data", f.data, "everything"}, STDERR_FILENO);
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.text.find("unexpected 'everything'") != std::string::npos);
  CHECK(inspect({"--data", f.data, "objects", "--bogus"}, STDERR_FILENO).exit_code == 2);
  auto status = inspect({"--data", f.data, "tasks", "jobs", "--status", "done"}, STDERR_FILENO);
  CHECK(status.exit_code == 2);
  CHECK(status.text.find("--status") != std::string::npos);
  CHECK(inspect({"--data", f.data}, STDERR_FILENO).exit_code == 2);
  CHECK(inspect({"--data", f.data, "object", "counter"}, STDERR_FILENO).exit_code == 2);
  CHECK(inspect({"--data", f.data, "--limit", "0", "objects"}, STDERR_FILENO).exit_code == 2);
}

TEST_CASE("inspect help describes every subcommand") {
  auto help = inspect({"--help"});
  CHECK(help.exit_code == 0);
  for (auto* sub : {"objects", "object", "alarms", "tasks", "dlq"})
    CHECK(help.text.find(std::string{"  "} + sub + " ") != std::string::npos);
  auto tasks_help = inspect({"tasks", "--help"});
  CHECK(tasks_help.exit_code == 0);
  CHECK(tasks_help.text.find("--status") != std::string::npos);
}

TEST_CASE("inspect prints stored bytes as JSON when they are JSON - else as text or hex") {
  std::ostringstream out;
  dort::server::row_printer printer{out, false, {"KEY", "VALUE"}};
  auto print = [&](std::string_view key, std::string_view value) {
    auto r = printer.make_row();
    r.text("key", key).stored_value("value", value);
    printer.print(r);
  };
  print("json", " {\"a\" : [1, 2.50]}\n");
  print("text", "say \"hi\"\n");
  print(std::string_view{"\xff\x01", 2}, std::string_view{"\xc3\x28", 2});
  printer.finish();
  CHECK(out.str() ==
        "{\"key\":\"json\",\"value\":{\"a\":[1,2.50]}}\n"
        "{\"key\":\"text\",\"value\":\"say \\\"hi\\\"\\n\"}\n"
        "{\"keyHex\":\"ff01\",\"valueHex\":\"c328\"}\n");
}

TEST_CASE("inspect tables clip long cells and show control bytes escaped") {
  std::ostringstream out;
  dort::server::row_printer printer{out, true, {"KEY", "VALUE"}};
  auto r = printer.make_row();
  r.text("key", std::string_view{"a\0b", 3}).stored_value("value", std::string(100, 'x'));
  printer.print(r);
  printer.finish();
  auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "KEY     VALUE");
  CHECK(lines[1] == "a\\x00b  " + std::string(59, 'x') + "…");
}

TEST_CASE("inspect tasks streams more tasks than one page - each once and newest first") {
  temp_dir dir;
  server_process server{dir};
  http_connection c{server.port()};
  REQUIRE(c.connected());
  const int count = static_cast<int>(dort::server::page_entries) + 88;
  for (int i = 0; i < count; ++i) {
    auto body = R"({"id":"t)" + std::to_string(i) + R"(","name":"echo","delayMs":3600000})";
    REQUIRE(c.request("POST", "/v1/executions/many/tasks", body).status == 201);
  }
  auto lines = lines_of(inspect({"--data", dir.path().string(), "tasks", "many"}).text);
  REQUIRE(lines.size() == static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i)
    CHECK(json_object_reader{lines[static_cast<std::size_t>(i)]}.string("id") ==
          "t" + std::to_string(count - 1 - i));
  // Each task has a record, an entry in two indexes, a timed entry and an event.
  auto keys = inspect({"--data", dir.path().string(), "object", "execution", "many"});
  CHECK(lines_of(keys.text).size() > static_cast<std::size_t>(count) * 5);
  CHECK(inspect({"--data", dir.path().string(), "--limit", "600", "object", "execution", "many"})
            .text.size() < keys.text.size());
}

TEST_CASE("the catalogue walk pages through objects in id order and skips their keys") {
  dort::test::store_fixture f;
  std::set<std::string> names;
  for (int i = 0; i < 5; ++i) {
    auto name = "o" + std::to_string(i);
    dort::test::test_store s{f.env, f.writer, name};
    for (auto* key : {"a", "b", "c"}) s.view().put(key, "v");
    s.commit();
    names.insert(name);
  }
  std::vector<dort::catalogue_entry> all;
  std::optional<dort::object_id> after;
  for (;;) {
    auto txn = f.env.begin_read();
    auto page = dort::read_catalogue(txn, f.env.data_db(), after, 2);
    CHECK(page.size() <= 2);
    if (page.empty()) break;
    all.insert(all.end(), page.begin(), page.end());
    after = page.back().id;
  }
  REQUIRE(all.size() == 5);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].class_name == "test");
    CHECK(all[i].id == dort::object_id::from_name("test", all[i].name));
    if (i > 0) CHECK(all[i - 1].id < all[i].id);
    seen.insert(all[i].name);
  }
  CHECK(seen == names);
  auto txn = f.env.begin_read();
  CHECK(dort::find_object(txn, f.env.data_db(), all[0].id) == all[0]);
  CHECK_FALSE(dort::find_object(txn, f.env.data_db(), dort::object_id::from_name("test", "x")));
}

TEST_CASE("the alarm index reads back in due order page by page") {
  dort::test::store_fixture f;
  auto dbs = dort::alarm_dbs::open(f.env);
  const std::vector<std::int64_t> due = {500, 100, 300, 200, 400};
  f.env.write([&](dort::write_txn& w) {
    for (std::size_t i = 0; i < due.size(); ++i) {
      auto id = dort::object_id::from_name("reminder", "r" + std::to_string(i));
      dort::alarm_record record{due[i], 0, "reminder", "r" + std::to_string(i)};
      w.put(dbs.due, dort::due_key(due[i], id, ""), dort::encode_alarm_record(record));
    }
  });
  std::vector<std::int64_t> seen;
  std::string after;
  for (;;) {
    auto txn = f.env.begin_read();
    auto page = dort::read_due_alarms(txn, dbs.due, after, 2);
    if (page.empty()) break;
    for (auto& alarm : page) {
      seen.push_back(alarm.record.due_ms);
      CHECK(alarm.id == dort::object_id::from_name("reminder", alarm.record.object_name));
    }
    after = page.back().key;
  }
  CHECK(seen == std::vector<std::int64_t>{100, 200, 300, 400, 500});
}

TEST_CASE("inspect check passes on a stopped server's directory with tasks of every status") {
  every_state_fixture f;
  auto run = check(f.data);
  CHECK_MESSAGE(run.exit_code == 0, run.text);
  auto lines = lines_of(run.text);
  REQUIRE(lines.size() == 1);  // the summary alone
  auto summary = summary_of(run.text);
  CHECK(summary.problems == 0);
  CHECK(summary.objects == 5);  // counters a and b, reminders soon and later, execution jobs
  CHECK(summary.alarms == 2);   // reminder later's and the execution's own
  CHECK(summary.executions == 1);
  CHECK(summary.tasks == 9);
}

TEST_CASE("inspect check finds a task missing from the index of its status") {
  small_fixture f;
  auto run = f.check_damaged([](dort::write_txn& txn, MDB_dbi data, const dort::alarm_dbs&) {
    REQUIRE(txn.del(data, jobs_key(dort::task_keys::by_status(dort::task_status::completed, 1))));
  });
  CHECK(run.exit_code == 1);
  auto found = problems_named(run.text, "missing_index_entry");
  REQUIRE_MESSAGE(found.size() == 1, run.text);
  CHECK(found[0].find(R"("task":"done")") != std::string::npos);
  CHECK(found[0].find(R"("key":"s:completed:1")") != std::string::npos);
  CHECK(summary_of(run.text).problems == 1);
}

TEST_CASE("inspect check finds a stray ready-queue entry of a completed task") {
  small_fixture f;
  auto run = f.check_damaged([](dort::write_txn& txn, MDB_dbi data, const dort::alarm_dbs&) {
    txn.put(data, jobs_key(dort::task_keys::queue(0, 1)), "done");
  });
  CHECK(run.exit_code == 1);
  auto found = problems_named(run.text, "stray_index_entry");
  REQUIRE_MESSAGE(found.size() == 1, run.text);
  CHECK(found[0].find(R"("key":"q:0:1")") != std::string::npos);
  CHECK(found[0].find("not ready") != std::string::npos);
  CHECK(summary_of(run.text).problems == 1);
}

TEST_CASE("inspect check finds a finished task missing from the finished index - and a stray entry") {
  small_fixture f;
  auto run = f.check_damaged([](dort::write_txn& txn, MDB_dbi data, const dort::alarm_dbs&) {
    auto done = dort::decode_task(*txn.get(data, jobs_key(dort::task_keys::task("done"))));
    REQUIRE(txn.del(data, jobs_key(dort::task_keys::finished(done.status, *done.completed_at,
                                                              done.seq))));
    txn.put(data, jobs_key(dort::task_keys::finished(dort::task_status::failed, 5, 2)), "later");
  });
  CHECK(run.exit_code == 1);
  auto missing = problems_named(run.text, "missing_index_entry");
  REQUIRE_MESSAGE(missing.size() == 1, run.text);
  CHECK(missing[0].find(R"("task":"done")") != std::string::npos);
  CHECK(missing[0].find("finished index") != std::string::npos);
  auto stray = problems_named(run.text, "stray_index_entry");
  REQUIRE_MESSAGE(stray.size() == 1, run.text);
  CHECK(stray[0].find(R"("key":"f:F:5:2")") != std::string::npos);
  CHECK(stray[0].find("the task is pending") != std::string::npos);
}

TEST_CASE("inspect check finds a schedule missing from its timed index - and a stray run entry") {
  small_fixture f;
  const auto next = f.hourly_next_run;
  auto run = f.check_damaged([next](dort::write_txn& txn, MDB_dbi data, const dort::alarm_dbs&) {
    REQUIRE(txn.del(data, jobs_key(dort::task_keys::schedule_run(next, "hourly"))));
    txn.put(data, jobs_key(dort::task_keys::schedule_run(5, "gone")), "gone");
  });
  CHECK(run.exit_code == 1);
  auto missing = problems_named(run.text, "missing_index_entry");
  REQUIRE_MESSAGE(missing.size() == 1, run.text);
  CHECK(missing[0].find(R"("schedule":"hourly")") != std::string::npos);
  auto stray = problems_named(run.text, "stray_index_entry");
  REQUIRE_MESSAGE(stray.size() == 1, run.text);
  CHECK(stray[0].find(R"("key":"n:5:gone")") != std::string::npos);
  CHECK(stray[0].find("points to no schedule") != std::string::npos);
}

TEST_CASE("inspect check verifies workflows - a completed step without its output - a step task without its workflow") {
  small_fixture f{[](http_connection& c) {
    const std::string workflows = "/v1/executions/jobs/workflows";
    REQUIRE(c.request("POST", workflows,
                      R"({"id":"w","steps":[{"name":"a","task":"echo","input":1},)"
                      R"({"name":"b","kind":"sleep","ms":3600000}]})")
                .status == 201);
    REQUIRE(c.request("POST", workflows,
                      R"({"id":"v","steps":[{"name":"a","task":"echo","input":2}]})")
                .status == 201);
    auto done = await_body(c, "GET", workflows + "/v", R"("status":"completed")");
    REQUIRE_MESSAGE(done.find(R"("status":"completed")") != std::string::npos, done);
    auto waiting = await_body(c, "GET", workflows + "/w", R"("status":"waiting")");
    REQUIRE_MESSAGE(waiting.find(R"("status":"waiting")") != std::string::npos, waiting);
  }};
  auto run = f.check_damaged([](dort::write_txn& txn, MDB_dbi data, const dort::alarm_dbs&) {
    REQUIRE(txn.del(data, jobs_key(dort::workflow_keys::output("w", 0))));
    REQUIRE(txn.del(data, jobs_key(dort::workflow_keys::state("v"))));
  });
  CHECK(run.exit_code == 1);
  auto output = problems_named(run.text, "step_without_output");
  REQUIRE_MESSAGE(output.size() == 1, run.text);
  CHECK(output[0].find(R"("workflow":"w")") != std::string::npos);
  auto orphan = problems_named(run.text, "step_task_without_workflow");
  REQUIRE_MESSAGE(orphan.size() == 1, run.text);
  CHECK(orphan[0].find(R"("task":"v#a")") != std::string::npos);
}

TEST_CASE("inspect check follows groups' turns - a ready task missing from its group's queue - a group with no place") {
  // Group "tenant" at its concurrency of 1: t1 runs, t2 waits in the group's queue and the
  // group is out of the turns until t1 ends.
  small_fixture f{[](http_connection& c) {
    REQUIRE(c.request("PUT", "/v1/executions/jobs/config", R"({"groups":{"concurrency":1}})")
                .status == 200);
    const std::string tasks = "/v1/executions/jobs/tasks";
    const std::string sleeper =
        R"("name":"sleep","input":{"ms":3600000},"config":{"timeout":7200000})";
    for (std::string id : {"t1", "t2"}) {
      const auto body = "{\"id\":\"" + id + "\",\"group\":\"tenant\"," + sleeper + "}";
      REQUIRE(c.request("POST", tasks, body).status == 201);
    }
    // A group whose only task waits for a time has no place in the turns.
    const auto later = R"({"id":"u1","group":"user","delayMs":3600000,)" + sleeper + "}";
    REQUIRE(c.request("POST", tasks, later).status == 201);
    auto t1 = await_body(c, "GET", tasks + "/t1", R"("status":"running")");
    REQUIRE_MESSAGE(t1.find(R"("status":"running")") != std::string::npos, t1);
  }};
  auto run = f.check_damaged([](dort::write_txn& txn, MDB_dbi data, const dort::alarm_dbs&) {
    REQUIRE(txn.del(data, jobs_key(dort::task_keys::group_ready("tenant", 0, 4))));
    REQUIRE(txn.del(data, jobs_key(dort::task_keys::group_state("tenant"))));
  });
  CHECK(run.exit_code == 1);
  auto missing = problems_named(run.text, "missing_index_entry");
  REQUIRE_MESSAGE(missing.size() == 2, run.text);
  CHECK(missing[0].find("ready but not in its group's queue") != std::string::npos);
  CHECK(missing[1].find("group 'tenant' has ready tasks but no place in the turns") !=
        std::string::npos);
  CHECK(summary_of(run.text).problems == 2);
}

TEST_CASE("inspect check finds a counter that disagrees with the records") {
  small_fixture f;
  auto run = f.check_damaged([](dort::write_txn& txn, MDB_dbi data, const dort::alarm_dbs&) {
    auto stored = txn.get(data, jobs_key(dort::task_keys::counters));
    REQUIRE(stored);
    auto counters = dort::task_counters::decode(*stored);
    ++counters.of(dort::task_status::completed);
    txn.put(data, jobs_key(dort::task_keys::counters), counters.encode());
  });
  CHECK(run.exit_code == 1);
  auto found = problems_named(run.text, "counter_mismatch");
  REQUIRE_MESSAGE(found.size() == 1, run.text);
  CHECK(found[0].find("completed: the counters say 2, the records 1") != std::string::npos);
}

TEST_CASE("inspect check finds an alarm missing from alarms_by_object") {
  small_fixture f;
  auto run = f.check_damaged([](dort::write_txn& txn, MDB_dbi, const dort::alarm_dbs& alarms) {
    REQUIRE(txn.del(alarms.by_object,
                    dort::by_object_key(dort::object_id::from_name("reminder", "r"), "")));
  });
  CHECK(run.exit_code == 1);
  auto found = problems_named(run.text, "alarm_missing_by_object");
  REQUIRE_MESSAGE(found.size() == 1, run.text);
  CHECK(found[0].find(R"("class":"reminder","object":"r")") != std::string::npos);
  CHECK(summary_of(run.text).problems == 1);
}

TEST_CASE("inspect check finds a waiting task without its timed entry and the alarm it needs") {
  small_fixture f;
  auto run = f.check_damaged([](dort::write_txn& txn, MDB_dbi data, const dort::alarm_dbs& alarms) {
    auto wake = jobs_key("w");
    MDB_cursor* cursor = nullptr;
    REQUIRE(mdb_cursor_open(txn.handle(), data, &cursor) == 0);
    MDB_val k{wake.size(), wake.data()}, v;
    REQUIRE(mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE) == 0);
    std::string found_key{static_cast<const char*>(k.mv_data), k.mv_size};
    mdb_cursor_close(cursor);
    REQUIRE(found_key.rfind(wake, 0) == 0);
    REQUIRE(txn.del(data, found_key));
    REQUIRE(txn.del(alarms.by_object, dort::by_object_key(jobs_id(), "dort.tasks")));
  });
  CHECK(run.exit_code == 1);
  auto missing = problems_named(run.text, "missing_index_entry");
  REQUIRE_MESSAGE(missing.size() == 1, run.text);
  CHECK(missing[0].find(R"("task":"later")") != std::string::npos);
  CHECK(problems_named(run.text, "tasks_without_alarm").size() == 1);
  CHECK(problems_named(run.text, "alarm_missing_by_object").size() == 1);
}

TEST_CASE("inspect check finds a lost event and a lost catalogue record") {
  small_fixture f;
  auto run = f.check_damaged([](dort::write_txn& txn, MDB_dbi data, const dort::alarm_dbs&) {
    REQUIRE(txn.del(data, jobs_key(dort::task_keys::event("done", 2))));
    REQUIRE(txn.del(data, dort::catalogue_key(dort::object_id::from_name("counter", "a"))));
  });
  CHECK(run.exit_code == 1);
  auto gap = problems_named(run.text, "event_gap");
  REQUIRE_MESSAGE(gap.size() == 1, run.text);
  CHECK(gap[0].find(R"("key":"e:done:3")") != std::string::npos);
  auto catalogue = problems_named(run.text, "missing_catalogue_record");
  REQUIRE(catalogue.size() == 1);
  CHECK(catalogue[0].find(dort::object_id::from_name("counter", "a").to_hex()) !=
        std::string::npos);
}

TEST_CASE("inspect check passes on accounts that paid one another - and on a send still due") {
  accounts_fixture f;
  auto run = check(f.data);
  CHECK_MESSAGE(run.exit_code == 0, run.text);
  auto summary = summary_of(run.text);
  CHECK(summary.problems == 0);
  CHECK(summary.objects == 3);
  CHECK(summary.delivery_marks == 4);  // b and c from a, c from b, a from c
  // A send of a that is not delivered yet, numbered after a's two: what a crash may leave.
  auto pending = f.check_damaged([](dort::write_txn& txn, const dort::durable_send_dbs& dbs) {
    dort::outbox_entry entry{3, account_id("b"), "account", "b", "credit", R"({"amount":1})"};
    txn.put(dbs.outbox, dort::outbox_key(account_id("a"), 3), dort::encode_outbox_entry(entry));
  });
  CHECK_MESSAGE(pending.exit_code == 0, pending.text);
  CHECK(summary_of(pending.text).outbox_entries >= 1);
}

TEST_CASE("inspect check finds outbox entries that do not decode or whose sender is unknown") {
  accounts_fixture f;
  auto run = f.check_damaged([](dort::write_txn& txn, const dort::durable_send_dbs& dbs) {
    txn.put(dbs.outbox, dort::outbox_key(account_id("a"), 7), "short");
    txn.put(dbs.outbox, dort::outbox_counter_key(account_id("b")), "123");  // not 8 bytes
    txn.put(dbs.outbox, std::string(20, 'x'), "neither a counter nor a send");
    dort::outbox_entry entry{1, account_id("a"), "account", "a", "credit", R"({"amount":1})"};
    txn.put(dbs.outbox, dort::outbox_key(account_id("ghost"), 1), dort::encode_outbox_entry(entry));
  });
  CHECK(run.exit_code == 1);
  auto bad = problems_named(run.text, "bad_outbox_entry");
  REQUIRE_MESSAGE(bad.size() == 3, run.text);
  auto reported = [&](const std::string& fragment) {
    return std::count_if(bad.begin(), bad.end(), [&](const std::string& line) {
      return line.find(fragment) != std::string::npos;
    });
  };
  CHECK(reported(R"("object":"a","id":")" + account_id("a").to_hex() + R"(","seq":"7")") == 1);
  CHECK(reported(R"("object":"b")") == 1);
  CHECK(reported("neither a sender's counter (16) nor a send (24)") == 1);
  auto ghost = problems_named(run.text, "outbox_sender_not_catalogued");
  REQUIRE_MESSAGE(ghost.size() == 1, run.text);
  CHECK(ghost[0].find(account_id("ghost").to_hex()) != std::string::npos);
  // Without its counter, b would number its next send 1, which c has applied already.
  auto ahead = problems_named(run.text, "delivery_mark_ahead_of_sender");
  REQUIRE_MESSAGE(ahead.size() == 1, run.text);
  CHECK(ahead[0].find(R"("object":"c")") != std::string::npos);
  CHECK(summary_of(run.text).problems == 5);
}

TEST_CASE("inspect check finds delivery marks that are malformed or name unknown objects") {
  accounts_fixture f;
  auto run = f.check_damaged([](dort::write_txn& txn, const dort::durable_send_dbs& dbs) {
    txn.put(dbs.delivered, dort::delivered_key(account_id("b"), account_id("c")), "abc");
    txn.put(dbs.delivered, std::string(31, 'x'), dort::encode_seq(1));
    txn.put(dbs.delivered, dort::delivered_key(account_id("ghost"), account_id("a")),
            dort::encode_seq(1));
    txn.put(dbs.delivered, dort::delivered_key(account_id("c"), account_id("nobody")),
            dort::encode_seq(0));
  });
  CHECK(run.exit_code == 1);
  CHECK_MESSAGE(problems_named(run.text, "bad_delivery_mark").size() == 2, run.text);
  auto ghost = problems_named(run.text, "delivery_mark_receiver_not_catalogued");
  REQUIRE_MESSAGE(ghost.size() == 1, run.text);
  CHECK(ghost[0].find(account_id("ghost").to_hex()) != std::string::npos);
  auto nobody = problems_named(run.text, "delivery_mark_sender_not_catalogued");
  REQUIRE_MESSAGE(nobody.size() == 1, run.text);
  CHECK(nobody[0].find(R"("object":"c")") != std::string::npos);
  CHECK(summary_of(run.text).problems == 4);
}

TEST_CASE("inspect check finds a delivery mark at or past the sequence its sender takes next") {
  // The sender would number its next send to that receiver with a sequence the receiver holds
  // as applied, and the receiver would turn it away: a send lost.
  accounts_fixture f;
  auto run = f.check_damaged([](dort::write_txn& txn, const dort::durable_send_dbs& dbs) {
    txn.put(dbs.delivered, dort::delivered_key(account_id("b"), account_id("a")),
            dort::encode_seq(3));  // a sent 1 and 2: its next is 3
  });
  CHECK(run.exit_code == 1);
  auto ahead = problems_named(run.text, "delivery_mark_ahead_of_sender");
  REQUIRE_MESSAGE(ahead.size() == 1, run.text);
  CHECK(ahead[0].find(R"("object":"b")") != std::string::npos);
  CHECK(ahead[0].find(R"("sender":")" + account_id("a").to_hex() + R"(","mark":"3")") !=
        std::string::npos);
  CHECK(ahead[0].find("whose next send takes 3") != std::string::npos);
  CHECK(summary_of(run.text).problems == 1);
}

TEST_CASE("inspect check prints JSON lines only and counts past its limit") {
  small_fixture f;
  CHECK(inspect({"--data", f.data, "--table", "check"}, STDERR_FILENO).exit_code == 2);
  auto run = f.check_damaged([](dort::write_txn& txn, MDB_dbi data, const dort::alarm_dbs&) {
    for (std::uint64_t seq : {7, 8, 9}) txn.put(data, jobs_key(dort::task_keys::all(seq)), "gone");
  });
  CHECK(run.exit_code == 1);
  CHECK(problems_named(run.text, "stray_index_entry").size() == 3);
  auto limited = inspect({"--data", f.copy.path().string(), "--limit", "1", "check"});
  CHECK(limited.exit_code == 1);
  CHECK(lines_of(limited.text).size() == 2);
  CHECK(summary_of(limited.text).problems == 3);
}

TEST_CASE("inspect check reads each entry once when a walk ends on a page boundary") {
  // Found by the crash torture: a walk whose last page was exactly full read its last entry
  // twice, and an execution whose records filled whole pages counted one record twice.
  temp_dir dir;
  const auto id = dort::object_id::from_name("reminder", "r");
  {
    dort::environment_options options;
    options.dir = dir.path();
    dort::environment env{options};
    auto alarms = dort::alarm_dbs::open(env);
    env.write([&](dort::write_txn& txn) {
      txn.put(env.data_db(), dort::catalogue_key(id), dort::encode_catalogue_record("reminder", "r"));
      for (std::size_t i = 0; i < dort::server::page_entries; ++i) {
        auto name = "a" + std::to_string(i);
        dort::alarm_record record{1'000 + static_cast<std::int64_t>(i), 0, "reminder", "r"};
        auto stored = dort::encode_alarm_record(record);
        txn.put(alarms.due, dort::due_key(record.due_ms, id, name), stored);
        txn.put(alarms.by_object, dort::by_object_key(id, name), stored);
      }
    });
  }
  dort::server::data_dir_reader reader{dir.path()};
  std::ostringstream out;
  dort::server::row_printer rows{out, false, {}};
  auto summary = dort::server::check_directory(reader, rows, std::nullopt);
  CHECK_MESSAGE(summary.problems == 0, out.str());
  CHECK(summary.alarms == static_cast<std::int64_t>(dort::server::page_entries));
  CHECK(summary.objects == 1);
}

TEST_SUITE_END();
