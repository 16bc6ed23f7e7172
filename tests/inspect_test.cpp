// `dort inspect` on the directory of a running `dort serve` (the real binaries, real time: they
// assert outcomes, never durations), its errors and exit codes, and how it prints stored bytes.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "actors/json_reader.hpp"
#include "alarms/alarm_index.hpp"
#include "child_process.hpp"
#include "http_client.hpp"
#include "persistence/catalogue.hpp"
#include "persistence/object_id.hpp"
#include "server/inspect_listings.hpp"
#include "server/row_printer.hpp"
#include "server_process.hpp"
#include "store_fixture.hpp"
#include "temp_dir.hpp"

using dort::json_object_reader;
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

TEST_SUITE_END();
