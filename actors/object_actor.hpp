// The CAF actor that hosts one live durable object: its mailbox serialises the object's messages,
// and it is the output gate. Guarantees: messages are handled one at a time in mailbox order; a
// handler's writes go to the group-commit writer as soon as it returns and the next message runs
// at once (pipelining), while its reply waits until those writes — and every earlier write of
// the object — are durable; replies leave in message order; a failed commit fails every reply
// still waiting and rebuilds the object from disk. The actor stops after `idle_timeout` without
// messages and with nothing waiting (eviction, checked when the runtime's sweeper asks), or on
// `shutdown` once nothing is waiting.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <map>
#include <string>
#include <unordered_map>
#include <variant>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "actors/activity_stamp.hpp"
#include "actors/durable_object.hpp"
#include "actors/durable_send_records.hpp"
#include "actors/object_messaging.hpp"
#include "actors/outbox_queues.hpp"
#include "actors/small_fifo.hpp"
#include "actors/messages.hpp"
#include "actors/object_stats.hpp"
#include "alarms/object_alarms.hpp"
#include "alarms/retry_policy.hpp"
#include "persistence/environment.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/object_store.hpp"

namespace dort {

struct object_actor_config {
  object_id id;
  std::string class_name;
  std::string name;
  object_factory factory;
  environment* env;
  group_commit* writer;
  storage_limits limits;
  std::chrono::milliseconds idle_timeout;
  alarm_dbs alarms;
  alarm_scheduler* scheduler;
  dort::clock* clock;
  retry_policy alarm_retry;
  /// Called when the actor stops, so the directory forgets it (if it still maps to it).
  std::function<void(const caf::actor_addr&)> on_stop;
  object_stats* stats;
  /// Told when an alarm is dropped after its last retry (may be empty).
  std::function<void(std::string_view, std::string_view, std::string_view, std::string_view)>
      on_event;
  /// Touched on every message; shared with the directory for the idle sweeper.
  std::shared_ptr<activity_stamp> activity;
  /// Returns the live actor of another object (activating it); throws `dort::error`.
  std::function<caf::actor(const object_address&)> resolve;
  durable_send_dbs durable_sends;
  /// The timeout of calls between objects that name none.
  std::chrono::milliseconds call_timeout{30'000};
};

class object_actor : public caf::event_based_actor, private object_messaging {
 public:
  object_actor(caf::actor_config& cfg, object_actor_config config);

  caf::behavior make_behavior() override;
  void on_exit() override;
  const char* name() const override { return "dort.object"; }

 private:
  using reply_target = std::variant<caf::response_promise, std::shared_ptr<reply_token>>;

  struct pending_reply {
    std::uint64_t gate_seq;
    reply_target target;
    expected<std::string> reply;
  };

  void handle_invoke(const std::string& method, const std::string& payload, reply_target target);
  void handle_durable(const durable_delivery& delivery, reply_target target);
  /// Activates the object if needed; on failure answers `target` with the error, returns false.
  bool activate_or_answer(reply_target& target);
  /// Releases `reply` once every write so far is durable (at once if it is).
  void reply_after_writes(reply_target target, expected<std::string> reply);
  /// Runs `fn` as a message of the object instance `instance` (dropped if that instance is gone):
  /// its writes commit when it returns, and are dropped if it throws.
  void run_as_message(std::uint64_t instance, const std::function<void()>& fn);
  void handle_alarm(const alarm_fire& fire);
  void handle_post(posted_work& work);
  /// Ends the running message: its writes and alarm changes go to the writer.
  void commit_message();
  /// Ends the running message by dropping its writes, alarm changes and durable callbacks.
  void discard_message();
  void refresh_alarms_after(std::uint64_t seq, std::vector<std::string> names);
  expected<std::string> run_handler(const std::string& method, const std::string& payload);
  void ensure_object();
  void on_commit(const commit_outcome& outcome);
  void release_durable_replies();
  void deliver(reply_target& target, expected<std::string> reply);
  void on_idle_check();
  void stop_if_done();
  void stop();
  bool has_work() const;
  /// Whether the object waits for replies, completes open replies or delivers durable sends:
  /// then it is not evicted when idle.
  bool waits_for_others() const;

  // -- object_messaging: calls, tells, deferred replies (object_actor_calls.cpp) ----------------
  void call(const object_address& to, std::string method, std::string payload,
            reply_handler on_reply, std::chrono::milliseconds timeout) override;
  void tell(const object_address& to, std::string method, std::string payload) override;
  std::uint64_t reply_later() override;
  void complete(std::uint64_t number, expected<std::string> reply) override;
  std::chrono::milliseconds default_call_timeout() const override { return config_.call_timeout; }
  const durable_origin* current_origin() const override {
    return current_origin_ ? &*current_origin_ : nullptr;
  }
  void send_call(const object_address& to, std::string method, std::string payload,
                 reply_handler on_reply, std::chrono::milliseconds timeout, std::uint64_t instance,
                 int bounces);
  void send_tell(const object_address& to, std::string method, std::string payload, int bounces);
  void finish_call(std::uint64_t instance, const reply_handler& on_reply,
                   expected<std::string> reply);
  /// Moves the completions of the message that just committed (message `seq`) to the gate.
  void release_completions();
  /// Fails every open reply: the instance that kept them is gone.
  void fail_open_replies(const std::string& why);

  // -- object_messaging: durable sends (object_actor_durable_sends.cpp) -------------------------
  void send_durable(const object_address& to, std::string method, std::string payload) override;
  /// Reads the outbox from disk and starts delivering it (on activation, after a failed commit).
  void load_outbox();
  void deliver_next(const object_id& to);
  void on_delivered(const object_id& to, std::uint64_t seq, std::uint64_t generation);
  void retry_delivery(const object_id& to);
  /// The highest sequence of `sender` this object has applied.
  std::uint64_t delivered_mark(const object_id& sender);

  object_actor_config config_;
  std::unique_ptr<object_store> store_;
  std::unique_ptr<object_alarms> alarms_;
  /// Alarm names changed by messages, by message number: the scheduler re-reads them once that
  /// message's writes are durable (it never sees an alarm change before the disk does).
  small_fifo<std::pair<std::uint64_t, std::vector<std::string>>> alarm_changes_;
  /// Callbacks the running message queued for when its writes are durable.
  std::vector<std::function<void()>> message_callbacks_;
  /// Callbacks of committed messages, by message number, run once that message is durable.
  small_fifo<std::pair<std::uint64_t, std::vector<std::function<void()>>>> durable_callbacks_;
  /// Which object instance is live; posted work of an earlier one is dropped.
  std::uint64_t instance_ = 0;
  std::unique_ptr<object_context> context_;
  std::unique_ptr<durable_object> object_;
  small_fifo<pending_reply> pending_;
  std::uint64_t durable_seq_ = 0;
  bool shutting_down_ = false;

  // Calls and deferred replies.
  /// The reply target of the running request, null outside one.
  reply_target* current_target_ = nullptr;
  /// The number `reply_later` gave the running request, 0 if it did not defer.
  std::uint64_t deferring_ = 0;
  std::uint64_t last_deferred_ = 0;
  /// Open replies, by number.
  std::map<std::uint64_t, reply_target> deferred_;
  /// Completions the running message made, released when its writes are durable.
  std::vector<std::pair<std::uint64_t, expected<std::string>>> message_completions_;
  /// Calls sent whose reply has not run yet.
  std::size_t calls_waiting_ = 0;

  // Durable sends.
  outbox_queues outbox_;
  /// Changes when the outbox is read again from disk: answers to earlier deliveries are stale.
  std::uint64_t outbox_generation_ = 0;
  std::uint64_t outbox_next_seq_ = 1;
  /// Delivery marks read or written, by sender (see `delivered_mark`).
  std::unordered_map<object_id, std::uint64_t, object_id_hash> delivered_marks_;
  /// The origin of the durable send being handled.
  std::optional<durable_origin> current_origin_;
};

}  // namespace dort
