// What the torture load sent and what `dort serve` acknowledged: per counter the value last
// verified and the increments sent and acknowledged since, per reminder the latest acknowledged
// arm, per account the transfers sent and acknowledged from it (all rounds) and the figures last
// read, and the tasks submitted in the current round. An acknowledgment is a 2xx reply, which the
// server sends only after the request's writes are durable: after any crash it must hold.
// Thread-safe: the load's client threads record, the round's verification reads and resets.
#pragma once

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace dort::torture {

struct counter_book {
  std::int64_t known = 0;  // the value read at the last verification
  std::int64_t sent = 0;   // increments sent since (acknowledged or not)
  std::int64_t acked = 0;  // increments acknowledged since
};

struct reminder_book {
  bool armed = false;  // an arm was acknowledged since the last verification
  /// When the latest acknowledged arm was handled (its scheduledAt − delayMs): the arm stored
  /// last was handled then or later, whoever sent it, so its scheduledAt is not earlier.
  std::int64_t last_armed_at = 0;
};

struct account_book {
  std::int64_t transfers_sent = 0;   // transfer requests from this account, whatever came back
  std::int64_t transfers_acked = 0;  // those answered 200: debited, so counted in `sent`
  // `received` and `sent` as read at the last verification: released replies are durable, so
  // neither may be lower at a later one.
  std::int64_t received_seen = 0;
  std::int64_t sent_seen = 0;
};

enum class task_kind { fail, sleep, wait, http, echo };

struct task_book {
  std::string exec;
  std::string id;
  task_kind kind;
  bool acked = false;
  /// The batch submit it was an item of (its first item's id), if any: a batch's items are
  /// created all or none.
  std::string batch{};
};

/// A workflow created by the load (all in execution `wf`).
struct workflow_book {
  std::string id;
  bool acked = false;
};

/// Totals over the whole run, for the summary line.
struct totals {
  std::int64_t increments_sent = 0, increments_acked = 0;
  std::int64_t arms_sent = 0, arms_acked = 0;
  std::int64_t tasks_sent = 0, tasks_acked = 0;
  std::int64_t workflows_sent = 0, workflows_acked = 0;
  std::int64_t transfers_sent = 0, transfers_acked = 0;
  std::int64_t transfers_refused = 0;  // 409: the balance was below the amount
};

class ledger {
 public:
  ledger(int counters, int reminders, int accounts)
      : counters_(counters), reminders_(reminders), accounts_(accounts) {}

  void increment_sent(int k) {
    std::lock_guard lock{mutex_};
    ++counters_[k].sent;
    ++totals_.increments_sent;
  }
  void increment_acked(int k) {
    std::lock_guard lock{mutex_};
    ++counters_[k].acked;
    ++totals_.increments_acked;
  }

  void arm_sent() {
    std::lock_guard lock{mutex_};
    ++totals_.arms_sent;
  }
  void arm_acked(int k, std::int64_t armed_at) {
    std::lock_guard lock{mutex_};
    auto& r = reminders_[k];
    r.armed = true;
    r.last_armed_at = std::max(r.last_armed_at, armed_at);
    ++totals_.arms_acked;
  }

  void transfer_sent(int from) {
    std::lock_guard lock{mutex_};
    ++accounts_[from].transfers_sent;
    ++totals_.transfers_sent;
  }
  void transfer_acked(int from) {
    std::lock_guard lock{mutex_};
    ++accounts_[from].transfers_acked;
    ++totals_.transfers_acked;
  }
  void transfer_refused() {
    std::lock_guard lock{mutex_};
    ++totals_.transfers_refused;
  }

  /// Records a submission about to be sent; returns its index for `task_acked`.
  std::size_t task_sent(task_book task) {
    std::lock_guard lock{mutex_};
    tasks_.push_back(std::move(task));
    ++totals_.tasks_sent;
    return tasks_.size() - 1;
  }
  void task_acked(std::size_t index) {
    std::lock_guard lock{mutex_};
    tasks_[index].acked = true;
    ++totals_.tasks_acked;
  }

  std::size_t workflow_sent(std::string id) {
    std::lock_guard lock{mutex_};
    workflows_.push_back({std::move(id), false});
    ++totals_.workflows_sent;
    return workflows_.size() - 1;
  }
  void workflow_acked(std::size_t index) {
    std::lock_guard lock{mutex_};
    workflows_[index].acked = true;
    ++totals_.workflows_acked;
  }

  // -- verification (no load runs meanwhile) --------------------------------------------------

  std::vector<counter_book>& counters() { return counters_; }
  std::vector<reminder_book>& reminders() { return reminders_; }
  std::vector<account_book>& accounts() { return accounts_; }
  /// The tasks submitted since the last `clear_tasks`.
  const std::vector<task_book>& tasks() const { return tasks_; }
  void clear_tasks() { tasks_.clear(); }
  /// The workflows created since the last `clear_workflows`.
  const std::vector<workflow_book>& workflows() const { return workflows_; }
  void clear_workflows() { workflows_.clear(); }

  totals sum() {
    std::lock_guard lock{mutex_};
    return totals_;
  }

 private:
  std::mutex mutex_;
  std::vector<counter_book> counters_;    // guarded by mutex_ while load runs
  std::vector<reminder_book> reminders_;  // guarded by mutex_ while load runs
  std::vector<account_book> accounts_;    // guarded by mutex_ while load runs
  std::vector<task_book> tasks_;          // guarded by mutex_ while load runs
  std::vector<workflow_book> workflows_;  // guarded by mutex_ while load runs
  totals totals_;                         // guarded by mutex_
};

}  // namespace dort::torture
