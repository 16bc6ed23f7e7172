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
#include <string>
#include <variant>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "actors/activity_stamp.hpp"
#include "actors/durable_object.hpp"
#include "actors/small_fifo.hpp"
#include "actors/messages.hpp"
#include "actors/object_stats.hpp"
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
};

class object_actor : public caf::event_based_actor {
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
};

}  // namespace dort
