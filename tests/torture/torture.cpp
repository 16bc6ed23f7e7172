// dort_torture: runs the real `dort serve` under a mixed load (torture/load.hpp), kills it with
// SIGKILL at random moments, restarts it on the same data directory, and after each restart
// checks what DESIGN.md's reliability section promises: every acknowledged increment is there
// (acknowledged ≤ counter ≤ sent), every acknowledged reminder arm fires, never early, every
// acknowledged task (and every unacknowledged one that was created) reaches `completed` with a
// consistent record, the executions' metrics agree, every transfer's credit arrives once (the
// accounts' `received` add up to their `sent`, their balances to the deposits, none below 0, and
// no account's figures below what was acknowledged or read before), and `dort inspect check`
// passes on the directory with the server stopped — after each SIGKILL, and after a graceful stop
// every other round. Prints one summary JSON line; exits 1 on any violation (each is printed to
// stderr as a JSON line), 2 on a usage error. It asserts outcomes, never speed: waits end at a
// generous deadline that only a task or alarm that never comes reaches.
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "actors/json_reader.hpp"
#include "actors/json_writer.hpp"
#include "child_process.hpp"
#include "http_client.hpp"
#include "http_endpoint.hpp"
#include "torture/dort_process.hpp"
#include "torture/ledger.hpp"
#include "torture/load.hpp"

namespace dort::torture {

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
  std::string dort = DORT_BIN;
  int rounds = 5;
  double seconds_per_round = 1.5;
  int clients = 4;
  std::uint64_t seed = 0;
  std::string data;
  bool keep = false;
  int deadline_s = 120;
};

/// Prints a JSON line; `fill` adds the members.
template <class Fill>
void print_line(std::ostream& out, Fill&& fill) {
  json_writer line;
  line.begin_object();
  fill(line);
  line.end_object();
  out << line.str() << std::endl;
}

std::string field(const std::string& json, std::string_view name) {
  try {
    return json_object_reader{json}.raw(name).value_or("");
  } catch (const std::exception&) {
    return "";
  }
}

class torture {
 public:
  explicit torture(options o)
      : o_(std::move(o)),
        shape_(shape_of(o_)),
        book_(shape_.counters, shape_.reminders, shape_.accounts),
        random_(o_.seed),
        load_(shape_, book_, endpoint_, o_.seed) {}

  int run(const std::filesystem::path& data) {
    data_ = data;
    const auto began = clock_type::now();
    bool ok = start() && deposit();
    for (round_ = 1; ok && round_ <= o_.rounds; ++round_) {
      ok = load_and_kill() && start() && maybe_kill_during_recovery() && verify();
      if (ok && round_ % 2 == 0) ok = stop_and_check() && start();
    }
    if (ok) ok = stop_and_check();
    if (server_) server_->kill_hard();
    auto sum = book_.sum();
    print_line(std::cout, [&](json_writer& out) {
      out.key("rounds").value(std::int64_t{round_ - 1}).key("kills").value(kills_);
      out.key("gracefulStops").value(graceful_stops_).key("checks").value(checks_);
      out.key("acknowledged").begin_object();
      out.key("increments").value(sum.increments_acked).key("alarms").value(sum.arms_acked);
      out.key("tasks").value(sum.tasks_acked).key("transfers").value(sum.transfers_acked);
      out.key("workflows").value(sum.workflows_acked);
      out.end_object();
      out.key("sent").begin_object();
      out.key("increments").value(sum.increments_sent).key("alarms").value(sum.arms_sent);
      out.key("tasks").value(sum.tasks_sent).key("transfers").value(sum.transfers_sent);
      out.end_object();
      out.key("accounts").begin_object();
      out.key("count").value(std::int64_t{shape_.accounts}).key("deposited").value(deposited_);
      out.key("refused").value(sum.transfers_refused).key("credits").value(credits_);
      out.end_object();
      out.key("scheduleRuns").value(schedule_runs_);
      out.key("violations").value(violations_);
      out.key("seconds").value(static_cast<std::int64_t>(
          std::chrono::duration_cast<std::chrono::seconds>(clock_type::now() - began).count()));
    });
    return violations_ == 0 ? 0 : 1;
  }

 private:
  static load_shape shape_of(const options& o) {
    load_shape shape;
    shape.clients = o.clients;
    return shape;
  }

  static constexpr std::string_view schedule_exec = "sched";
  static constexpr const char* schedule_path = "/v1/executions/sched/schedules/tick";

  void violation(std::string_view what, const std::string& detail) {
    ++violations_;
    print_line(std::cerr, [&](json_writer& out) {
      out.key("violation").value(what).key("round").value(std::int64_t{round_});
      out.key("detail").value(detail);
    });
  }

  // -- the server ------------------------------------------------------------------------------

  bool start() {
    for (int attempt = 0; attempt < 5; ++attempt) {  // the free port may be taken meanwhile
      server_.emplace(o_.dort, data_);
      if (server_->wait_listening(o_.deadline_s * 1000)) return true;
      server_->kill_hard();
      std::cerr << server_->log_tail();
    }
    violation("server_does_not_start", "no \"listening\" after 5 starts");
    server_.reset();
    return false;
  }

  void kill() {
    server_->kill_hard();
    server_.reset();
    ++kills_;
  }

  /// Runs `dort inspect check` on the directory (no server runs); false on a problem.
  bool check(std::string_view after) {
    ++checks_;
    test::child_process inspect{o_.dort, {"inspect", "--data", data_.string(), "check"},
                                STDOUT_FILENO};
    std::string out;
    inspect.read_all(out);
    int status = inspect.wait();
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
    violation("check_failed", "after " + std::string{after} + ": " + out.substr(0, 4000));
    return false;
  }

  bool stop_and_check() {
    int status = server_->stop();
    server_.reset();
    ++graceful_stops_;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      violation("graceful_stop_failed", "wait status " + std::to_string(status));
    return check("a graceful stop");
  }

  /// Deposits `shape_.deposit` into each account before any kill: a deposit's outcome is then
  /// never unknown, so the expected total is exact. A refusal (any answer but 200) changed
  /// nothing and is sent again; no answer at all means the server died unkilled.
  bool deposit() {
    test::http_connection c{server_->port()};
    deadline_ = clock_type::now() + std::chrono::seconds{o_.deadline_s};
    const auto body = R"({"amount":)" + std::to_string(shape_.deposit) + "}";
    for (int k = 0; k < shape_.accounts; ++k) {
      for (;;) {
        auto reply = c.connected() ? c.request("POST", account_path(k, "deposit"), body)
                                   : test::http_reply{};
        if (reply.status == 200) break;
        if (reply.status == 0 || clock_type::now() > deadline_) {
          violation("deposit_unanswered", account_name(k) + ": status " +
                                              std::to_string(reply.status) + " " + reply.body);
          return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
      }
      deposited_ += shape_.deposit;
    }
    return limit_groups(c) && put_schedule(c);
  }

  /// Each execution's groups run at most 2 attempts at once, so groups are parked and brought
  /// back under load (the check after each kill follows their turns).
  bool limit_groups(test::http_connection& c) {
    for (int j = 0; j < shape_.executions; ++j) {
      auto reply = c.request("PUT", "/v1/executions/" + exec_name(j) + "/config",
                             R"({"groups":{"concurrency":2}})");
      if (reply.status != 200) {
        violation("config_refused", reply.body);
        return false;
      }
    }
    return true;
  }

  /// A schedule that submits an `echo` every second from now on, through every kill.
  bool put_schedule(test::http_connection& c) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    schedule_start_ = now - now % 1'000 + 1'000;
    auto reply = c.request("PUT", schedule_path, R"({"everyMs":1000,"startAt":)" +
                                                      std::to_string(schedule_start_) +
                                                      R"(,"task":{"name":"echo","input":1}})");
    if (reply.status != 200) violation("schedule_refused", reply.body);
    return reply.status == 200;
  }

  // -- a round ---------------------------------------------------------------------------------

  /// Runs the load for a random time (now and then very short), then SIGKILLs the server.
  bool load_and_kill() {
    std::uniform_real_distribution<double> short_run{0.0, 0.15};
    std::uniform_real_distribution<double> long_run{0.2, std::max(0.2, o_.seconds_per_round)};
    double seconds = random_() % 5 == 0 ? short_run(random_) : long_run(random_);
    load_.start(server_->port(), round_);
    std::this_thread::sleep_for(std::chrono::duration<double>{seconds});
    kill();
    load_.stop();
    return check("a SIGKILL under load");
  }

  /// Now and then kills the server again moments after its restart, while it recovers.
  bool maybe_kill_during_recovery() {
    if (random_() % 6 != 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{random_() % 50});
    kill();
    return check("a SIGKILL during recovery") && start();
  }

  // -- verification ----------------------------------------------------------------------------

  bool verify() {
    test::http_connection c{server_->port()};
    if (!c.connected()) {
      violation("no_connection", "cannot connect after the restart");
      return false;
    }
    deadline_ = clock_type::now() + std::chrono::seconds{o_.deadline_s};
    auto before = violations_;
    try {
      verify_counters(c);
      verify_reminders(c);
      verify_tasks(c);
      verify_workflows(c);
      verify_metrics(c);
      verify_accounts(c);
      verify_schedule(c);
    } catch (const std::exception& e) {  // an answer that is not the JSON API.md promises
      violation("unexpected_answer", e.what());
    }
    return violations_ == before;
  }

  /// POSTs or GETs until `done(body)`, or the deadline; returns the last body.
  template <class Done>
  std::optional<std::string> poll(test::http_connection& c, const std::string& method,
                                  const std::string& path, Done&& done) {
    for (;;) {
      auto reply = c.request(method, path, method == "POST" ? "{}" : "");
      if (reply.status == 0) return std::nullopt;
      if (done(reply)) return reply.body;
      if (clock_type::now() > deadline_) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
  }

  void verify_counters(test::http_connection& c) {
    for (int k = 0; k < shape_.counters; ++k) {
      auto& counter = book_.counters()[static_cast<std::size_t>(k)];
      auto reply = c.request("POST", counter_path(k, "get"), "{}");
      auto value = reply.status == 200 ? json_object_reader{reply.body}.int64("value") : std::nullopt;
      if (!value) {
        violation("counter_unreadable", counter_path(k, "get") + ": " + reply.body);
        continue;
      }
      auto low = counter.known + counter.acked, high = counter.known + counter.sent;
      if (*value < low || *value > high)
        violation("counter_lost_or_invented",
                  "c" + std::to_string(k) + " is " + std::to_string(*value) + ", acknowledged " +
                      std::to_string(low) + ", sent " + std::to_string(high));
      counter = counter_book{*value, 0, 0};
    }
  }

  void verify_reminders(test::http_connection& c) {
    for (int k = 0; k < shape_.reminders; ++k) {
      auto& reminder = book_.reminders()[static_cast<std::size_t>(k)];
      if (!reminder.armed) continue;
      // The arm stored last fires (it replaced the earlier ones), never before its time.
      auto body = poll(c, "POST", reminder_path(k, "status"), [&](const test::http_reply& r) {
        if (r.status != 200) return false;
        json_object_reader s{r.body};
        return s.boolean("pending") == false && s.int64("firedCount").value_or(0) >= 1;
      });
      auto name = "r" + std::to_string(k);
      if (!body) {
        violation("alarm_never_fired",
                  name + ": " + c.request("POST", reminder_path(k, "status"), "{}").body);
        continue;
      }
      json_object_reader s{*body};
      auto scheduled_at = s.int64("scheduledAt").value_or(0);
      if (scheduled_at < reminder.last_armed_at)
        violation("acknowledged_arm_lost", name + " was armed at " +
                                               std::to_string(reminder.last_armed_at) + ": " +
                                               *body);
      if (s.int64("firedAt").value_or(0) < scheduled_at || s.int64("lastLatenessMs").value_or(0) < 0)
        violation("alarm_fired_early", name + ": " + *body);
      reminder.armed = false;
    }
  }

  void verify_tasks(test::http_connection& c) {
    // Items of each batch found and missing: a batch is created all or none.
    std::map<std::string, std::pair<int, int>> batches;
    for (auto& task : book_.tasks()) {
      auto path = "/v1/executions/" + task.exec + "/tasks/" + task.id;
      bool missing = false;
      auto body = poll(c, "GET", path, [&](const test::http_reply& r) {
        missing = r.status == 404;
        if (missing) return true;
        auto status = field(r.body, "status");
        return status == R"("completed")" || status == R"("failed")" ||
               status == R"("cancelled")";
      });
      if (!body) {
        violation("task_never_final", task.exec + "/" + task.id + ": " + c.request("GET", path).body);
        continue;
      }
      if (!task.batch.empty()) ++(missing ? batches[task.batch].second : batches[task.batch].first);
      if (missing) {
        if (task.acked) violation("acknowledged_task_lost", task.exec + "/" + task.id);
        continue;
      }
      ++created_[task.exec];
      check_record(task, *body);
    }
    for (const auto& [batch, counts] : batches)
      if (counts.first > 0 && counts.second > 0)
        violation("batch_partly_created", batch + ": " + std::to_string(counts.first) +
                                              " items stored, " + std::to_string(counts.second) +
                                              " missing");
    book_.clear_tasks();
  }

  /// Each acknowledged workflow exists; each that exists completes (its event sent again: an
  /// unacknowledged one may be lost, a second one waits unused) with the output of its steps,
  /// and no completed step ran again: the failing task took exactly its two attempts.
  void verify_workflows(test::http_connection& c) {
    for (auto& w : book_.workflows()) {
      const auto path = "/v1/executions/wf/workflows/" + w.id;
      auto first = c.request("GET", path);
      if (first.status == 404) {
        if (w.acked) violation("acknowledged_workflow_lost", w.id);
        continue;
      }
      if (field(first.body, "status") == R"("waiting")" || field(first.body, "status") == R"("running")")
        c.request("POST", path + "/events", load::workflow_event(w.id));
      auto body = poll(c, "GET", path, [&](const test::http_reply& r) {
        auto status = field(r.body, "status");
        if (status == R"("waiting")" && field(r.body, "currentStep") == R"("e")" &&
            c.request("GET", path + "/steps/e").body.find("\"waiting\"") != std::string::npos)
          c.request("POST", path + "/events", load::workflow_event(w.id));
        return r.status == 200 && (status == R"("completed")" || status == R"("failed")" ||
                                   status == R"("cancelled")" || status == R"("timed_out")");
      });
      if (!body) {
        violation("workflow_never_final", w.id + ": " + c.request("GET", path).body);
        continue;
      }
      json_object_reader r{*body};
      if (r.string("status") != "completed" || r.raw("output") != load::workflow_output(w.id))
        violation("workflow_wrong_end", w.id + ": " + *body);
      auto a = c.request("GET", "/v1/executions/wf/tasks/" + w.id + "%23a");
      auto result = json_object_reader{a.body}.raw("result");
      if (!result || json_object_reader{*result}.int64("attempts") != 2)
        violation("workflow_step_ran_again", w.id + ": " + a.body);
    }
    book_.clear_workflows();
  }

  void check_record(const task_book& task, const std::string& record) {
    auto where = task.exec + "/" + task.id + ": " + record;
    json_object_reader r{record};
    auto result_text = r.raw("result");
    if (r.string("status") != "completed" || !result_text) {
      violation("task_not_completed", where);
      return;
    }
    json_object_reader result{*result_text};
    auto attempts = result.int64("attempts").value_or(0);
    bool consistent = result.string("status") == "completed" && attempts >= 1 &&
                      result.int64("retries") == attempts - 1 && result.has("completedAt") &&
                      result.has("startedAt") && !result.has("error") &&
                      !result.has("nextRetryAt");
    if (task.kind == task_kind::fail) {
      auto output = result.raw("output");
      consistent = consistent && attempts >= 2 && output &&
                   json_object_reader{*output}.int64("attempts") == attempts;
    }
    if (!consistent) violation("task_record_inconsistent", where);
  }

  /// The schedule's runs: each at a time of its grid, none in the future, and its record past
  /// the latest (a run is created once by its id; a crash may skip run times, never repeat one).
  void verify_schedule(test::http_connection& c) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    std::int64_t latest = 0;
    std::int64_t runs = 0;
    std::string cursor;
    for (;;) {
      auto page = c.request("GET", "/v1/executions/" + std::string{schedule_exec} +
                                       "/tasks?limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor));
      json_object_reader r{page.body};
      for (auto& task : json_array_items(*r.raw("tasks"), "tasks")) {
        auto id = json_object_reader{task}.string("id").value_or("");
        const std::string prefix = "tick@";
        auto at = id.starts_with(prefix) ? std::stoll(id.substr(prefix.size())) : -1;
        if (at < schedule_start_ || (at - schedule_start_) % 1'000 != 0 || at > now)
          violation("schedule_run_off_its_times", id);
        latest = std::max<std::int64_t>(latest, at);
        ++runs;
      }
      if (r.is_null("nextCursor")) break;
      cursor = *r.string("nextCursor");
    }
    schedule_runs_ = runs;
    auto record = c.request("GET", schedule_path);
    json_object_reader s{record.body};
    if (record.status != 200 || s.int64("lastRunAt").value_or(0) < latest ||
        s.int64("nextRunAt").value_or(0) <= s.int64("lastRunAt").value_or(0))
      violation("schedule_record_behind_its_runs", record.body);
  }

  void verify_metrics(test::http_connection& c) {
    for (auto& [exec, created] : created_) {
      auto reply = c.request("GET", "/v1/executions/" + exec + "/metrics");
      json_object_reader m{reply.body};
      if (m.int64("total") != created || m.int64("completed") != created)
        violation("metrics_disagree", exec + " has " + std::to_string(created) +
                                          " tasks, all completed; metrics: " + reply.body);
    }
  }

  /// What `balance` answers for one account.
  struct account_figures {
    std::int64_t balance = 0, received = 0, sent = 0;
  };

  /// Reads every account's figures; nothing if one cannot be read (reported).
  std::optional<std::vector<account_figures>> read_accounts(test::http_connection& c) {
    std::vector<account_figures> all;
    for (int k = 0; k < shape_.accounts; ++k) {
      auto reply = c.request("POST", account_path(k, "balance"), "{}");
      std::optional<std::int64_t> balance, received, sent;
      if (reply.status == 200) {
        json_object_reader r{reply.body};
        balance = r.int64("balance"), received = r.int64("received"), sent = r.int64("sent");
      }
      if (!balance || !received || !sent) {
        violation("account_unreadable", account_path(k, "balance") + ": " + reply.body);
        return std::nullopt;
      }
      all.push_back(account_figures{*balance, *received, *sent});
    }
    return all;
  }

  /// Waits until every debited transfer's credit has arrived (the sum of `received` reaches the
  /// sum of `sent`: the load is stopped, so `sent` stays put while `received` only grows), then
  /// checks the money and each account's figures against what was acknowledged and read before.
  void verify_accounts(test::http_connection& c) {
    std::optional<std::vector<account_figures>> all;
    std::int64_t received = 0, sent = 0;
    for (;;) {
      all = read_accounts(c);
      if (!all) return;
      received = sent = 0;
      for (auto& a : *all) received += a.received, sent += a.sent;
      if (received >= sent || clock_type::now() > deadline_) break;
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    const auto sums = "received " + std::to_string(received) + ", sent " + std::to_string(sent);
    if (received > sent) violation("credit_applied_twice", "the accounts' " + sums);
    if (received < sent) violation("credit_never_arrived", "the accounts' " + sums);
    std::int64_t money = 0;
    for (int k = 0; k < shape_.accounts; ++k) {
      auto& a = (*all)[static_cast<std::size_t>(k)];
      auto& book = book_.accounts()[static_cast<std::size_t>(k)];
      money += a.balance;
      auto figures = account_name(k) + " has balance " + std::to_string(a.balance) + ", received " +
                     std::to_string(a.received) + ", sent " + std::to_string(a.sent) + "; ";
      if (a.balance < 0) violation("balance_below_zero", figures);
      if (a.sent < book.transfers_acked || a.sent > book.transfers_sent)
        violation("transfer_lost_or_invented", figures + std::to_string(book.transfers_acked) +
                                                   " transfers acknowledged, " +
                                                   std::to_string(book.transfers_sent) + " sent");
      if (a.sent < book.sent_seen || a.received < book.received_seen)
        violation("account_went_back", figures + "read before: received " +
                                           std::to_string(book.received_seen) + ", sent " +
                                           std::to_string(book.sent_seen));
      book.received_seen = std::max(book.received_seen, a.received);
      book.sent_seen = std::max(book.sent_seen, a.sent);
    }
    if (received == sent && money != deposited_)
      violation("money_lost_or_made", "the balances add up to " + std::to_string(money) +
                                          ", the deposits to " + std::to_string(deposited_) + "; " +
                                          sums);
    credits_ = received;
  }

  options o_;
  load_shape shape_;
  ledger book_;
  std::mt19937_64 random_;
  test::http_endpoint endpoint_;
  load load_;
  std::filesystem::path data_;
  std::optional<dort_process> server_;
  clock_type::time_point deadline_;
  std::map<std::string, std::int64_t> created_;  // tasks that exist, by execution
  std::int64_t deposited_ = 0;                   // acknowledged deposits, all before the first kill
  std::int64_t schedule_start_ = 0;              // the schedule's first run time (startAt)
  std::int64_t schedule_runs_ = 0;               // its runs stored at the last verification
  std::int64_t credits_ = 0;  // the accounts' `received` summed at the last verification
  int round_ = 0;
  std::int64_t kills_ = 0, graceful_stops_ = 0, checks_ = 0, violations_ = 0;
};

}  // namespace

}  // namespace dort::torture

int main(int argc, char** argv) {
  dort::torture::options o;
  o.seed = std::random_device{}();
  CLI::App app{"Crash torture: dort serve under load, killed with SIGKILL and restarted"};
  app.add_option("--dort", o.dort, "The dort program")->capture_default_str();
  app.add_option("--rounds", o.rounds, "Kill and restart rounds")->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--seconds-per-round", o.seconds_per_round,
                 "Longest load before a round's SIGKILL, in seconds")
      ->capture_default_str()
      ->check(CLI::Range(0.2, 3600.0));
  app.add_option("--clients", o.clients, "Client threads")->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--seed", o.seed, "Seed of the random choices (default: random)");
  app.add_option("--data", o.data, "Data directory (default: a new one under /tmp)");
  app.add_flag("--keep", o.keep, "Keep the data directory (it is kept anyway on a violation)");
  app.add_option("--deadline-s", o.deadline_s,
                 "How long a restart's verification waits for tasks and alarms to finish")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  CLI11_PARSE(app, argc, argv);

  std::filesystem::path data = o.data;
  if (data.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "dort-torture-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::cerr << "dort_torture: cannot create a data directory\n";
      return 2;
    }
    data = pattern;
  }
  std::cerr << "dort_torture: seed " << o.seed << ", data " << data.string() << "\n";
  int status = dort::torture::torture{o}.run(data);
  if (status == 0 && !o.keep && o.data.empty())
    std::filesystem::remove_all(data);
  else
    std::cerr << "dort_torture: the data directory stays at " << data.string() << "\n";
  return status;
}
