#include "actors/object_actor.hpp"

#include <algorithm>
#include <limits>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

namespace dort {

caf::error to_caf_error(const error& e) {
  return caf::error{static_cast<std::uint8_t>(e.code()), error_category,
                    caf::make_message(std::string{e.what()}, e.field())};
}

error from_caf_error(const caf::error& e) {
  if (e.category() == error_category) {
    std::string message;
    std::string field;
    const auto& ctx = e.context();
    if (ctx.match_elements<std::string, std::string>()) {
      message = ctx.get_as<std::string>(0);
      field = ctx.get_as<std::string>(1);
    }
    return error{static_cast<errc>(e.code()), std::move(message), std::move(field)};
  }
  return error{errc::storage_failure, "actor error " + std::to_string(e.code())};
}

object_actor::object_actor(caf::actor_config& cfg, object_actor_config config)
    : caf::event_based_actor(cfg), config_(std::move(config)) {
  config_.stats->active.fetch_add(1, std::memory_order_relaxed);
  config_.stats->activations.fetch_add(1, std::memory_order_relaxed);
  // Handlers catch what user code throws; this only meets exceptions from dort's own code.
  set_exception_handler([](caf::scheduled_actor*, std::exception_ptr&) -> caf::error {
    return caf::make_error(caf::sec::runtime_error, "object actor failed");
  });
}

caf::behavior object_actor::make_behavior() {
  return {
      [this](invoke_atom, const std::string& method, const std::string& payload) {
        auto promise = make_response_promise();
        handle_invoke(method, payload, promise);
        return promise;
      },
      [this](invoke_atom, const std::string& method, const std::string& payload,
             const std::shared_ptr<reply_token>& token) {
        token->accept();
        handle_invoke(method, payload, token);
      },
      [this](alarm_atom, const alarm_fire& fire, const std::shared_ptr<delivery_guard>& guard) {
        guard->accept();
        config_.scheduler->delivered();
        handle_alarm(fire);
      },
      [this](durable_atom, const durable_delivery& delivery) {
        auto promise = make_response_promise();
        handle_durable(delivery, promise);
        return promise;
      },
      [this](commit_atom, const commit_outcome& outcome) { on_commit(outcome); },
      [this](post_atom, posted_work& work) { handle_post(work); },
      [this](evict_atom) { on_idle_check(); },
      [this](wake_atom) {
        // Activating is all it takes: a new store reads the outbox and starts delivering it.
        try {
          ensure_object();
        } catch (...) {
        }
      },
      [](later_atom, timer_work& work) { work.run(); },
      [this](shutdown_atom) {
        shutting_down_ = true;
        stop_if_done();
      },
  };
}

void object_actor::on_exit() {
  for (auto& p : pending_)
    deliver(p.target, error{errc::storage_failure, "the object stopped before it replied"});
  pending_.clear();
  fail_open_replies("the object stopped before it completed its reply");
  object_.reset();
  context_.reset();
  alarms_.reset();
  store_.reset();
  config_.stats->active.fetch_sub(1, std::memory_order_relaxed);
  if (config_.on_stop) config_.on_stop(address());
}

void object_actor::ensure_object() {
  if (!store_) {
    caf::actor_addr self = address();
    store_ = std::make_unique<object_store>(
        *config_.env, *config_.writer, config_.id, config_.class_name, config_.name, config_.limits,
        [self](std::uint64_t generation, std::uint64_t seq, std::optional<error> failure) {
          if (auto strong = caf::actor_cast<caf::actor>(self))
            caf::anon_send(strong, commit_atom::value,
                           commit_outcome{generation, seq, std::move(failure)});
        });
    alarms_ = std::make_unique<object_alarms>(*config_.env, config_.alarms, config_.id,
                                              config_.class_name, config_.name);
    context_ = std::make_unique<object_context>(object_context{
        store_->view(), *alarms_, *config_.clock, config_.id, config_.class_name, config_.name,
        [self](std::uint64_t instance, std::function<void()> work) {
          if (auto strong = caf::actor_cast<caf::actor>(self))
            caf::anon_send(strong, post_atom::value, posted_work{instance, std::move(work)});
        },
        [this](std::function<void()> fn) { message_callbacks_.push_back(std::move(fn)); }});
    context_->messaging = this;
    // A storage transaction that throws takes back its alarm changes and durable callbacks too.
    store_->add_savepoint_source([alarms = alarms_.get()] { return alarms->savepoint(); });
    store_->add_savepoint_source([this] {
      return [this, count = message_callbacks_.size()] { message_callbacks_.resize(count); };
    });
    store_->add_savepoint_source([this] {
      return [this, count = message_completions_.size()] {
        message_completions_.erase(message_completions_.begin() + count,
                                   message_completions_.end());
      };
    });
    load_outbox();
  }
  if (!object_) {
    context_->instance = ++instance_;
    object_ = config_.factory(*context_);
  }
}

bool object_actor::activate_or_answer(reply_target& target) {
  // An activation that fails (storage unreadable, id taken, a constructor that throws) answers
  // this message with the error; the next message tries again.
  try {
    ensure_object();
    return true;
  } catch (const error& e) {
    deliver(target, e);
  } catch (const std::exception& e) {
    deliver(target,
            error{errc::handler_error, config_.class_name + " constructor threw: " + e.what()});
  } catch (...) {
    deliver(target, error{errc::handler_error, config_.class_name + " constructor threw"});
  }
  return false;
}

void object_actor::handle_invoke(const std::string& method, const std::string& payload,
                                 reply_target target) {
  config_.stats->messages.fetch_add(1, std::memory_order_relaxed);
  config_.activity->touch();
  if (!activate_or_answer(target)) return;
  current_target_ = &target;
  deferring_ = 0;
  auto reply = run_handler(method, payload);
  current_target_ = nullptr;
  if (reply && deferring_ != 0) {
    // The handler kept its reply open: a later message completes it (what it returned is not
    // the reply). Registered before the commit, so that a completion made by this very message
    // finds it.
    deferred_.emplace(deferring_, std::move(target));
    commit_message();
    return;
  }
  if (reply)
    commit_message();
  else
    discard_message();
  reply_after_writes(std::move(target), std::move(reply));
}

void object_actor::reply_after_writes(reply_target target, expected<std::string> reply) {
  std::uint64_t gate = store_->last_seq();
  if (pending_.empty() && gate <= durable_seq_)
    deliver(target, std::move(reply));
  else
    pending_.push_back(pending_reply{gate, std::move(target), std::move(reply)});
}

expected<std::string> object_actor::run_handler(const std::string& method,
                                                const std::string& payload) {
  try {
    return object_->handle(method, payload);
  } catch (const error& e) {
    return e;
  } catch (const std::exception& e) {
    return error{errc::handler_error, config_.class_name + "." + method + " threw: " + e.what()};
  } catch (...) {
    return error{errc::handler_error, config_.class_name + "." + method + " threw"};
  }
}

void object_actor::on_commit(const commit_outcome& outcome) {
  if (!store_ || outcome.generation != store_->generation()) return;  // from before a reset
  if (outcome.failure) {
    // Every waiting reply was computed on top of writes that are now lost.
    for (auto& p : pending_) deliver(p.target, *outcome.failure);
    pending_.clear();
    store_->reset();
    durable_seq_ = store_->last_seq();
    // Memory forgets the lost alarm changes; the scheduler re-reads what the disk holds.
    alarms_->reload();
    for (auto& [seq, names] : alarm_changes_)
      for (const auto& name : names) config_.scheduler->refresh(config_.id, name);
    alarm_changes_.clear();
    durable_callbacks_.clear();
    fail_open_replies("the object was reset after a failed commit before it completed its reply");
    delivered_marks_.clear();
    object_.reset();  // rebuilt from disk by the next message
    load_outbox();    // the lost commits' sends are gone; what is on disk is delivered again
    stop_if_done();
    return;
  }
  store_->on_durable(outcome.generation, outcome.seq);
  durable_seq_ = std::max(durable_seq_, outcome.seq);
  while (!durable_callbacks_.empty() && durable_callbacks_.front().first <= durable_seq_) {
    auto callbacks = std::move(durable_callbacks_.front().second);
    durable_callbacks_.pop_front();
    for (auto& fn : callbacks) fn();
  }
  while (!alarm_changes_.empty() && alarm_changes_.front().first <= durable_seq_) {
    for (const auto& name : alarm_changes_.front().second)
      config_.scheduler->refresh(config_.id, name);
    alarm_changes_.pop_front();
  }
  release_durable_replies();
  stop_if_done();
}

void object_actor::release_durable_replies() {
  while (!pending_.empty() && pending_.front().gate_seq <= durable_seq_) {
    deliver(pending_.front().target, std::move(pending_.front().reply));
    pending_.pop_front();
  }
}

void object_actor::deliver(reply_target& target, expected<std::string> reply) {
  if (auto* promise = std::get_if<caf::response_promise>(&target)) {
    if (reply)
      promise->deliver(std::move(reply).value());
    else
      promise->deliver(to_caf_error(reply.err()));
  } else {
    std::get<std::shared_ptr<reply_token>>(target)->deliver(std::move(reply));
  }
}

bool object_actor::has_work() const {
  return !pending_.empty() || (store_ && store_->has_pending_writes());
}

void object_actor::on_idle_check() {
  auto idle = activity_stamp::clock::now() - config_.activity->last();
  if (idle >= config_.idle_timeout && !has_work() && !waits_for_others() &&
      !(object_ && object_->has_background_work())) {
    config_.stats->evictions.fetch_add(1, std::memory_order_relaxed);
    stop();
  }
}

bool object_actor::waits_for_others() const {
  return calls_waiting_ > 0 || !deferred_.empty() || outbox_.size() > 0;
}

void object_actor::stop_if_done() {
  if (shutting_down_ && !has_work()) stop();
}

void object_actor::stop() {
  // Leave the directory first: a sender that finds this actor after `quit` gets its message
  // bounced and resends it to a new activation.
  if (config_.on_stop) config_.on_stop(address());
  quit();
}

}  // namespace dort

namespace dort {

namespace {

/// How long an alarm waits when its object cannot be activated, before it is tried again.
constexpr std::int64_t activation_retry_ms = 1'000;

}  // namespace

void object_actor::handle_alarm(const alarm_fire& fire) {
  config_.stats->messages.fetch_add(1, std::memory_order_relaxed);
  config_.activity->touch();
  try {
    ensure_object();
  } catch (...) {
    config_.scheduler->refresh(config_.id, fire.alarm_name,
                               config_.clock->now_ms() + activation_retry_ms);
    return;
  }
  const alarm_record* record = alarms_->committed(fire.alarm_name);
  if (record == nullptr || record->due_ms != fire.due_ms) {
    // A message replaced or deleted the alarm after it was fired: let the scheduler look again
    // once that change is durable.
    refresh_alarms_after(store_->last_seq(), {fire.alarm_name});
    return;
  }
  config_.stats->alarm_runs.fetch_add(1, std::memory_order_relaxed);
  config_.stats->alarm_lateness.observe_ns((config_.clock->now_ms() - record->due_ms) * 1'000'000);
  alarm_info info{fire.alarm_name, record->due_ms, record->retry_count, record->retry_count > 0};
  alarms_->begin_run(fire.alarm_name);
  bool ok = true;
  try {
    object_->alarm(info);
  } catch (...) {
    ok = false;
  }
  if (!ok) {
    // The run's writes and alarm changes are dropped; what commits is the failed alarm's retry.
    config_.stats->alarm_failures.fetch_add(1, std::memory_order_relaxed);
    discard_message();
    // One engine per thread, seeded once: std::random_device costs ~25 µs on this VM, far too
    // much to pay per activation.
    thread_local std::mt19937_64 random{std::random_device{}()};
    // The runtime's own layers keep their alarm whatever happens (the task layer's alarm is all
    // that drives its queue): they retry with the capped backoff without limit.
    auto policy = config_.alarm_retry;
    if (std::string_view{fire.alarm_name}.starts_with(reserved_alarm_prefix))
      policy.max_retries = std::numeric_limits<std::uint32_t>::max();
    auto retry_at =
        alarms_->retry_or_drop(fire.alarm_name, config_.clock->now_ms(), policy, random);
    if (!retry_at) {
      config_.stats->alarms_dropped.fetch_add(1, std::memory_order_relaxed);
      if (config_.on_event)
        config_.on_event("alarm_dropped", config_.class_name, config_.name, fire.alarm_name);
    }
  }
  commit_message();
}

void object_actor::handle_post(posted_work& work) {
  config_.stats->messages.fetch_add(1, std::memory_order_relaxed);
  config_.activity->touch();
  run_as_message(work.instance, work.run);
}

void object_actor::run_as_message(std::uint64_t instance, const std::function<void()>& fn) {
  if (!object_ || instance != instance_) return;  // from an instance since replaced
  try {
    fn();
  } catch (...) {
    discard_message();
    return;
  }
  commit_message();
}

void object_actor::commit_message() {
  auto changed = alarms_->finish(*store_);
  store_->finish_message();
  const std::uint64_t seq = store_->last_seq();
  refresh_alarms_after(seq, std::move(changed));
  release_completions();
  if (message_callbacks_.empty()) return;
  auto callbacks = std::move(message_callbacks_);
  message_callbacks_.clear();
  if (seq <= durable_seq_ && durable_callbacks_.empty()) {
    for (auto& fn : callbacks) fn();
  } else {
    durable_callbacks_.emplace_back(seq, std::move(callbacks));
  }
}

void object_actor::discard_message() {
  alarms_->discard();
  store_->discard_message();
  message_callbacks_.clear();
  message_completions_.clear();
}

void object_actor::refresh_alarms_after(std::uint64_t seq, std::vector<std::string> names) {
  if (names.empty()) return;
  if (seq <= durable_seq_) {
    for (const auto& name : names) config_.scheduler->refresh(config_.id, name);
    return;
  }
  alarm_changes_.emplace_back(seq, std::move(names));
}

}  // namespace dort
