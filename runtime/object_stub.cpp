#include "runtime/object_stub.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/messages.hpp"
#include "actors/reply_slot.hpp"
#include "runtime/runtime_core.hpp"
#include "runtime/runtime_link.hpp"

namespace dort {

namespace {

/// A message bounces only when it meets an object in the instant of its eviction; more bounces in
/// a row than this mean something is broken, and the caller gets an error instead of a hang.
constexpr int max_bounces = 10'000;

}  // namespace

std::string object_stub::call(std::string_view method, std::string_view payload) const {
  return try_call(method, payload).value();
}

expected<std::string> object_stub::try_call(std::string_view method,
                                            std::string_view payload) const {
  for (int bounce = 0; bounce < max_bounces; ++bounce) {
    auto slot = std::make_shared<reply_slot>();
    try {
      // Resolved and sent under the link: the runtime cannot go in between.
      link_->with_core([&](runtime_core& core) {
        caf::anon_send(core.resolve(id_, class_name_, name_), invoke_atom::value,
                       std::string{method}, std::string{payload},
                       std::make_shared<reply_token>(slot));
      });
    } catch (const error& e) {
      return e;
    }
    if (slot->wait() == reply_slot::state::delivered) return slot->take();
  }
  return error{errc::storage_failure,
               "object " + name_ + " kept stopping before it took a message"};
}

void object_stub::send(std::string method, std::string payload, reply_handler on_reply) const {
  send(std::move(method), std::move(payload), std::move(on_reply), 0);
}

void object_stub::send(std::string method, std::string payload, reply_handler on_reply,
                       int bounces) const {
  if (bounces >= max_bounces) {
    on_reply(error{errc::storage_failure,
                   "object " + name_ + " kept stopping before it took a message"});
    return;
  }
  auto slot = std::make_shared<reply_slot>(
      [stub = *this, method, payload, on_reply, bounces](std::optional<expected<std::string>> r) {
        if (r)
          on_reply(std::move(*r));
        else  // bounced: the object was evicted before it took the message
          stub.send(method, payload, on_reply, bounces + 1);
      });
  try {
    link_->with_core([&](runtime_core& core) {
      caf::anon_send(core.resolve(id_, class_name_, name_), invoke_atom::value, std::move(method),
                     std::move(payload), std::make_shared<reply_token>(std::move(slot)));
    });
  } catch (const error& e) {
    on_reply(e);
  }
}

void object_stub::request(caf::event_based_actor* self, std::string method, std::string payload,
                          reply_handler on_reply) const {
  // `self` lives in an actor system, which the runtime's may be: resolved under the link, sent
  // from `self`.
  caf::actor actor;
  try {
    actor = link_->with_core(
        [&](runtime_core& core) { return core.resolve(id_, class_name_, name_); });
  } catch (const error& e) {
    on_reply(e);
    return;
  }
  self->request(actor, caf::infinite, invoke_atom::value, method, payload)
      .then([on_reply](std::string& reply) { on_reply(std::move(reply)); },
            [stub = *this, self, method, payload, on_reply](caf::error& err) {
              // A bounce: the object was evicted before it took the message; send it again.
              if (err == caf::sec::request_receiver_down)
                stub.request(self, method, payload, on_reply);
              else
                on_reply(from_caf_error(err));
            });
}

}  // namespace dort
