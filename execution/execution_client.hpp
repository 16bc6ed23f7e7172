// Typed C++ calls to one execution: what a program uses instead of composing JSON. Each call is
// one message to the execution object (blocking, like object_stub::call) and throws `dort::error`
// with API.md's codes (task_not_found, task_exists, invalid_state, backpressure, invalid_field…).
// JSON values the client owns (input, metadata, outputs) stay JSON text.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "execution/event_hub.hpp"
#include "execution/event_sequencer.hpp"
#include "execution/execution_settings.hpp"
#include "execution/schedule_record.hpp"
#include "execution/task_config.hpp"
#include "execution/task_record.hpp"
#include "runtime/object_stub.hpp"

namespace dort {

class runtime;
class task_services;

/// Fields of a task's config that override the execution's defaults.
struct task_config_override {
  std::optional<std::int64_t> max_retries{};
  std::optional<std::int64_t> initial_retry_delay_ms{};
  std::optional<std::int64_t> max_retry_delay_ms{};
  std::optional<double> backoff_multiplier{};
  std::optional<std::int64_t> timeout_ms{};
  /// Set to replace the rate limit: a limit, or nothing to remove it.
  std::optional<std::optional<dort::rate_limit>> rate_limit{};
};

struct task_request {
  std::string name;
  std::optional<std::string> id;
  std::optional<std::string> input_json;
  std::int64_t priority = 0;
  std::optional<std::string> idempotency_key;
  std::int64_t delay_ms = 0;
  std::optional<std::string> metadata_json;
  /// The tenant or user the task belongs to: groups take turns and have their own limits.
  std::optional<std::string> group;
  std::optional<task_config_override> config;
};

struct submit_result {
  task_record task;
  /// False when an idempotency key or an identical task id returned an existing task.
  bool created;
};

struct task_query {
  std::optional<task_status> status{};
  std::optional<std::string> name{};
  std::int64_t limit = 100;
  std::optional<std::string> cursor{};
};

struct task_page {
  std::vector<task_record> tasks;
  std::optional<std::string> next_cursor;
};

struct execution_metrics {
  std::int64_t total, pending, running, completed, failed, cancelled, rate_limited;
  double average_duration, average_retries;
};


struct event_batch {
  std::vector<task_event> events;
  /// Whether the task is in a final state (its last event is among those stored).
  bool final;
};

/// One page of a task's stored events, as the execution's `events` method answers it.
struct event_page {
  std::vector<task_event> events;
  /// Whether the task is final and this page holds its last event.
  bool final;
  /// Whether a page follows this one.
  bool more;
};

/// Returns the payload of an `events` call: the events of task `id` after sequence `after`.
std::string events_request(std::string_view id, std::uint32_t after);

/// Reads the reply of an `events` call.
event_page read_event_page(std::string_view reply);

class execution_client {
 public:
  /// The execution named `execution` of `rt`, an object of class `class_name`: `execution`, or a
  /// class derived from execution_object registered under its own name.
  execution_client(runtime& rt, std::string_view execution,
                   std::string_view class_name = "execution");

  submit_result submit(const task_request& request) const;

  /// Submits 1..1,000 tasks in one message: each item is answered like `submit` (or with the
  /// error that refused it), and every created task is created in one durable step.
  std::vector<expected<submit_result>> submit_batch(const std::vector<task_request>& requests) const;
  task_record get(std::string_view id) const;
  task_record cancel(std::string_view id) const;
  task_record retry(std::string_view id) const;
  /// Deletes a finished task (its record, indexes and events); its id and key are free again.
  void remove(std::string_view id) const;
  /// Deletes every failed task; returns how many.
  std::int64_t purge_dead_letters() const;
  task_page list(const task_query& query = {}) const;
  task_page dlq(std::int64_t limit = 100, std::optional<std::string> cursor = {}) const;
  execution_metrics metrics() const;
  /// Merges `defaults` into the execution's defaults and sets `concurrency` if given.
  execution_settings configure(const std::optional<task_config_override>& defaults,
                               std::optional<std::int64_t> concurrency = {}) const;
  /// Merges a `PUT .../config` body of API.md (`config`, `concurrency`, `groups`,
  /// `retention`, `circuitBreaker`) into the settings; returns all of them.
  execution_settings update_settings(std::string_view settings_json) const;
  /// The settings, defaults included (creates nothing).
  execution_settings settings() const;

  /// Creates or replaces the schedule `name` from API.md's schedule body (`everyMs` or `cron`,
  /// `task`, `startAt`); returns its record.
  schedule_record put_schedule(std::string_view name, std::string_view body_json) const;
  /// The schedule `name`; throws schedule_not_found.
  schedule_record schedule(std::string_view name) const;
  /// Every schedule, in name order.
  std::vector<schedule_record> schedules() const;
  /// Deletes the schedule `name`; throws schedule_not_found.
  void delete_schedule(std::string_view name) const;
  /// Stored events of task `id` after sequence number `after`.
  event_batch events(std::string_view id, std::uint32_t after = 0) const;

  const object_stub& stub() const noexcept { return stub_; }

 private:
  object_stub stub_;
};

/// Writes `o` as the JSON config object of API.md (only the fields set).
std::string config_override_json(const task_config_override& o);

/// Follows the events of one task: those stored after `after`, then the live ones as they become
/// durable, each exactly once and in order, until destroyed. `on_event` runs on an object's
/// thread or the caller's, never concurrently; it must return quickly.
class task_watch {
 public:
  task_watch(const execution_client& client, task_services& services, std::string_view id,
             std::uint32_t after, std::function<void(const task_event&)> on_event);
  task_watch(const task_watch&) = delete;
  task_watch& operator=(const task_watch&) = delete;
  ~task_watch();

 private:
  std::shared_ptr<event_sequencer> events_;
  event_hub& hub_;
  event_hub::subscription subscription_;
};

}  // namespace dort
