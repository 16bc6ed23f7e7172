// Messages an object's handlers send to other objects (calls and tells), and replies they keep
// open (deferred replies): the output gate holds each until the writes of the message that made
// it are durable, and every reply a call gets runs as a message of its own.
#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "actors/object_actor.hpp"

namespace dort {

namespace {

/// A message bounces only when it meets an object in the instant of its eviction; more bounces in
/// a row than this mean something is broken, and the caller gets an error instead of a loop.
constexpr int max_bounces = 1'000;

error bounced_too_often(const object_address& to) {
  return error{errc::storage_failure,
               "object " + to.name + " kept stopping before it took a message"};
}

}  // namespace

void object_actor::call(const object_address& to, std::string method, std::string payload,
                        reply_handler on_reply, std::chrono::milliseconds timeout) {
  // Sent once this message is durable; dropped with its writes (a storage transaction that
  // throws takes it back too: it is one of the message's durable callbacks).
  message_callbacks_.push_back([this, to, method = std::move(method), payload = std::move(payload),
                                on_reply = std::move(on_reply), timeout,
                                instance = instance_]() mutable {
    send_call(to, std::move(method), std::move(payload), std::move(on_reply), timeout, instance,
              0);
  });
}

void object_actor::tell(const object_address& to, std::string method, std::string payload) {
  message_callbacks_.push_back(
      [this, to, method = std::move(method), payload = std::move(payload)]() mutable {
        send_tell(to, std::move(method), std::move(payload), 0);
      });
}

void object_actor::send_call(const object_address& to, std::string method, std::string payload,
                             reply_handler on_reply, std::chrono::milliseconds timeout,
                             std::uint64_t instance, int bounces) {
  ++calls_waiting_;
  auto fail_later = [this, instance, on_reply](error e) {
    // The reply handler never runs inside the message that sent the call.
    send(caf::actor_cast<caf::actor>(this), later_atom::value,
         timer_work{[this, instance, on_reply, e] {
           finish_call(instance, on_reply, e);
         }});
  };
  if (bounces >= max_bounces) {
    fail_later(bounced_too_often(to));
    return;
  }
  caf::actor actor;
  try {
    actor = config_.resolve(to);
  } catch (const error& e) {
    fail_later(e);
    return;
  }
  request(actor, timeout, invoke_atom::value, method, payload)
      .then(
          [this, instance, on_reply](std::string& reply) {
            finish_call(instance, on_reply, std::move(reply));
          },
          [this, to, method, payload, on_reply, timeout, instance, bounces](caf::error& err) {
            if (err == caf::sec::request_receiver_down) {
              // Bounced: the object was evicted before it took the message; send it again.
              --calls_waiting_;
              send_call(to, method, payload, on_reply, timeout, instance, bounces + 1);
            } else if (err == caf::sec::request_timeout) {
              finish_call(instance, on_reply,
                          error{errc::timeout, "no reply from " + to.class_name + " " + to.name +
                                                   "." + method + " within " +
                                                   std::to_string(timeout.count()) + " ms"});
            } else {
              finish_call(instance, on_reply, from_caf_error(err));
            }
          });
}

void object_actor::send_tell(const object_address& to, std::string method, std::string payload,
                             int bounces) {
  if (bounces >= max_bounces) return;
  caf::actor actor;
  try {
    actor = config_.resolve(to);
  } catch (const error&) {
    return;  // a tell has nobody to tell of its failure
  }
  request(actor, config_.call_timeout, invoke_atom::value, method, payload)
      .then([](std::string&) {},
            [this, to, method, payload, bounces](caf::error& err) {
              if (err == caf::sec::request_receiver_down)
                send_tell(to, method, payload, bounces + 1);
            });
}

void object_actor::finish_call(std::uint64_t instance, const reply_handler& on_reply,
                               expected<std::string> reply) {
  --calls_waiting_;
  config_.stats->messages.fetch_add(1, std::memory_order_relaxed);
  config_.activity->touch();
  run_as_message(instance, [&] { on_reply(std::move(reply)); });
}

std::uint64_t object_actor::reply_later() {
  if (current_target_ == nullptr)
    throw error{errc::invalid_state,
                "reply_later works only in the handler of a request (not in an alarm, a reply "
                "handler or a durable send)"};
  if (deferring_ == 0) deferring_ = ++last_deferred_;
  return deferring_;
}

void object_actor::complete(std::uint64_t number, expected<std::string> reply) {
  message_completions_.emplace_back(number, std::move(reply));
}

void object_actor::release_completions() {
  auto completions = std::move(message_completions_);
  message_completions_.clear();
  for (auto& [number, reply] : completions) {
    auto it = deferred_.find(number);
    if (it == deferred_.end()) continue;  // failed meanwhile (its instance was reset)
    auto target = std::move(it->second);
    deferred_.erase(it);
    reply_after_writes(std::move(target), std::move(reply));
  }
}

void object_actor::fail_open_replies(const std::string& why) {
  auto open = std::move(deferred_);
  deferred_.clear();
  message_completions_.clear();
  for (auto& [number, target] : open) deliver(target, error{errc::storage_failure, why});
}

}  // namespace dort
