// The torture's mixed load: client threads, each on one keep-alive connection (reopened when the
// server goes), sending back to back transfers of small amounts between random accounts, a few of
// them hot (a 409 for a balance too small is part of the game), counter increments on many
// objects, reminder arms with short delays, and tasks on a few executions — batches of `echo`
// tasks, `fail` once then
// complete (short retry delay), `sleep`, `wait`, and `http` calls to the program's own endpoint,
// which answers 503 first for some of them. Every request is recorded as sent before it goes and
// as acknowledged on a 2xx.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "actors/json_reader.hpp"
#include "http_client.hpp"
#include "http_endpoint.hpp"
#include "torture/ledger.hpp"

namespace dort::torture {

struct load_shape {
  int clients = 4;
  int counters = 64;
  int reminders = 16;
  int executions = 4;
  /// Accounts a0..a<accounts - 1>, each given `deposit` before the first round; a share of
  /// `transfer_percent` of the requests are transfers of 1..`max_transfer` between two of them,
  /// half of them between two of the first `hot_accounts`, so that an account often has several
  /// sends in flight to different receivers, which may answer in any order.
  int accounts = 100;
  int hot_accounts = 8;
  std::int64_t deposit = 1'000;
  int transfer_percent = 30;
  int max_transfer = 100;
  /// Longest reminder delay, and longest `sleep` / `wait` of a task, in ms.
  int max_reminder_delay_ms = 300;
  int max_task_ms = 100;
};

/// Paths and names shared by the load and the verification.
inline std::string counter_path(int k, const std::string& method) {
  return "/v1/objects/counter/c" + std::to_string(k) + "/" + method;
}
inline std::string reminder_path(int k, const std::string& method) {
  return "/v1/objects/reminder/r" + std::to_string(k) + "/" + method;
}
inline std::string account_name(int k) {
  return "a" + std::to_string(k);
}
inline std::string account_path(int k, const std::string& method) {
  return "/v1/objects/account/" + account_name(k) + "/" + method;
}
inline std::string exec_name(int j) { return "x" + std::to_string(j); }

class load {
 public:
  load(const load_shape& shape, ledger& book, test::http_endpoint& endpoint, std::uint64_t seed)
      : shape_(shape), book_(book), endpoint_(endpoint), seed_(seed) {}
  load(const load&) = delete;
  load& operator=(const load&) = delete;
  ~load() { stop(); }

  /// Starts the clients against `port`; task ids carry `round`.
  void start(std::uint16_t port, int round) {
    stopping_ = false;
    for (int i = 0; i < shape_.clients; ++i)
      clients_.emplace_back([this, port, round, i] { run_client(port, round, i); });
  }

  /// Stops the clients (after the server was killed, their requests fail at once) and joins them.
  void stop() {
    stopping_ = true;
    for (auto& t : clients_) t.join();
    clients_.clear();
  }

 private:
  void run_client(std::uint16_t port, int round, int client) {
    std::mt19937_64 random{seed_ ^ (static_cast<std::uint64_t>(round) << 20) ^
                           static_cast<std::uint64_t>(client)};
    std::unique_ptr<test::http_connection> c;
    std::uint64_t n = 0;
    while (!stopping_) {
      if (!c || !c->connected()) {
        c = std::make_unique<test::http_connection>(port);
        if (!c->connected()) {
          std::this_thread::sleep_for(std::chrono::milliseconds{5});
          continue;
        }
      }
      auto id = "r" + std::to_string(round) + "-c" + std::to_string(client) + "-" +
                std::to_string(n++);
      if (!send_one(*c, random, id)) c.reset();
    }
  }

  /// Sends one request of the mix; returns false when the connection is gone.
  bool send_one(test::http_connection& c, std::mt19937_64& random, const std::string& id) {
    auto pick = [&](int below) { return static_cast<int>(random() % static_cast<unsigned>(below)); };
    if (pick(100) < shape_.transfer_percent) return send_transfer(c, pick);
    auto roll = pick(100);
    if (roll < 45) {
      int k = pick(shape_.counters);
      book_.increment_sent(k);
      auto reply = request(c, counter_path(k, "incr"), "");
      if (reply.status == 200) book_.increment_acked(k);
      return reply.status != 0;
    }
    if (roll < 60) {
      int k = pick(shape_.reminders);
      book_.arm_sent();
      auto delay = pick(shape_.max_reminder_delay_ms + 1);
      auto reply = request(c, reminder_path(k, "arm"), R"({"delayMs":)" + std::to_string(delay) + "}");
      if (reply.status == 200) {
        try {
          if (auto at = json_object_reader{reply.body}.int64("scheduledAt"))
            book_.arm_acked(k, *at - delay);
        } catch (const std::exception&) {
          // A body cut short by the kill: the arm is durable, its time unknown; not counted.
        }
      }
      return reply.status != 0;
    }
    if (pick(20) == 0) return send_batch(c, pick, id);
    if (pick(15) == 0) return send_workflow(c, id);
    task_book task{exec_name(pick(shape_.executions)), id, task_kind::fail, false};
    std::string body = R"({"id":")" + id + R"(",)";
    const std::string short_retries =
        R"("config":{"initialRetryDelay":20,"maxRetryDelay":100,"maxRetries":10})";
    auto ms = std::to_string(1 + pick(shape_.max_task_ms));
    if (roll < 72) {
      body += R"("name":"fail","input":{"times":1},)" + short_retries;
    } else if (roll < 82) {
      task.kind = task_kind::sleep;
      body += R"("name":"sleep","input":{"ms":)" + ms + "}";
    } else if (roll < 92) {
      task.kind = task_kind::wait;
      body += R"("name":"wait","input":{"ms":)" + ms + "}";
    } else {
      task.kind = task_kind::http;
      auto path = "/h/" + id;
      auto ok = test::json_response(R"({"ok":true})");
      if (pick(100) < 30)
        endpoint_.script(path, {test::status_response(503), ok});
      else
        endpoint_.script(path, {ok});
      body += R"("name":"http","input":{"url":")" + endpoint_.url(path) +
              R"(","body":{"n":1}},)" + short_retries;
    }
    if (pick(10) == 0) body += R"(,"idempotencyKey":"k-)" + id + "\"";
    // A third of the tasks take turns in four groups, each at most 2 attempts at once.
    if (pick(3) == 0) body += R"(,"group":"g)" + std::to_string(pick(4)) + "\"";
    body += "}";
    auto index = book_.task_sent(task);
    auto reply = request(c, "/v1/executions/" + task.exec + "/tasks", body);
    if (reply.status == 201 || reply.status == 200) book_.task_acked(index);
    return reply.status != 0;
  }

  /// Sends a batch of 2..5 `echo` tasks (`{id}-b<i>`) in one request: after any kill, all of
  /// them are stored or none.
  template <class Pick>
  bool send_batch(test::http_connection& c, Pick& pick, const std::string& id) {
    const auto exec = exec_name(pick(shape_.executions));
    const int items = 2 + pick(4);
    std::string body = R"({"tasks":[)";
    std::vector<std::size_t> indexes;
    for (int i = 0; i < items; ++i) {
      auto item_id = id + "-b" + std::to_string(i);
      body += std::string{i ? "," : ""} + R"({"id":")" + item_id + R"(","name":"echo","input":)" +
              std::to_string(i) + "}";
      indexes.push_back(book_.task_sent(task_book{exec, item_id, task_kind::echo, false, id}));
    }
    body += "]}";
    auto reply = request(c, "/v1/executions/" + exec + "/tasks/batch", body);
    // 200 with every item created (201) or repeated (200): all of them are acknowledged.
    if (reply.status == 200 && reply.body.find(R"("error")") == std::string::npos)
      for (auto index : indexes) book_.task_acked(index);
    return reply.status != 0;
  }

  /// Creates workflow `id` in execution `wf` — a task that fails once, a sleep, a parent with
  /// three children and finalize, an event step, and a `set` of their outputs — then sends its
  /// event (which waits in the workflow's queue until the step takes it).
  bool send_workflow(test::http_connection& c, const std::string& id) {
    auto index = book_.workflow_sent(id);
    auto reply = request(c, "/v1/executions/wf/workflows", workflow_body(id));
    if (reply.status == 201 || reply.status == 200) book_.workflow_acked(index);
    if (reply.status == 0) return false;
    return request(c, "/v1/executions/wf/workflows/" + id + "/events", workflow_event(id)).status != 0;
  }

 public:
  static std::string workflow_body(const std::string& id) {
    return R"({"id":")" + id + R"(","config":{"initialRetryDelay":20,"maxRetryDelay":100,"maxRetries":10},)"
           R"("steps":[{"name":"a","task":"fail","input":{"times":1}},)"
           R"({"name":"nap","kind":"sleep","ms":30},)"
           R"({"name":"p","kind":"parent","children":[{"task":"echo","input":0},)"
           R"({"task":"echo","input":1},{"task":"echo","input":2}],"finalize":{"task":"echo"}},)"
           R"({"name":"e","kind":"event","event":"go"},)"
           R"({"name":"out","kind":"set","value":{"a":{"$ref":"a"},"p":{"$ref":"p#/children/2/output"},"e":{"$ref":"e"}}}]})";
  }
  static std::string workflow_event(const std::string& id) {
    return R"({"type":"go","payload":{"id":")" + id + R"("}})";
  }
  /// The output a workflow of `workflow_body` ends with.
  static std::string workflow_output(const std::string& id) {
    return R"({"a":{"attempts":2},"p":2,"e":{"id":")" + id + R"("}})";
  }

 private:
  /// Sends a transfer between two distinct accounts; returns false when the connection is gone.
  template <class Pick>
  bool send_transfer(test::http_connection& c, Pick& pick) {
    int among = pick(2) == 0 ? shape_.hot_accounts : shape_.accounts;
    int from = pick(among);
    int to = pick(among - 1);
    if (to >= from) ++to;
    auto body = R"({"to":")" + account_name(to) + R"(","amount":)" +
                std::to_string(1 + pick(shape_.max_transfer)) + "}";
    book_.transfer_sent(from);
    auto reply = request(c, account_path(from, "transfer"), body);
    if (reply.status == 200)
      book_.transfer_acked(from);
    else if (reply.status == 409)
      book_.transfer_refused();
    return reply.status != 0;
  }

  static test::http_reply request(test::http_connection& c, const std::string& path,
                                  const std::string& body) {
    try {
      return c.request("POST", path, body);
    } catch (const std::exception&) {
      return {};  // status 0: the connection went
    }
  }

  const load_shape shape_;
  ledger& book_;
  test::http_endpoint& endpoint_;
  const std::uint64_t seed_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> clients_;
};

}  // namespace dort::torture
