// The messages an object actor understands. Local only: they carry pointers and never cross a
// network, hence CAF_ALLOW_UNSAFE_MESSAGE_TYPE instead of serialisation.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>

#include "actors/delivery_guard.hpp"
#include "actors/reply_slot.hpp"
#include "alarms/alarm_scheduler.hpp"
#include "persistence/error.hpp"
#include "persistence/object_id.hpp"

namespace dort {

/// (invoke, method, payload) → reply JSON; with a trailing reply token for blocking callers.
using invoke_atom = caf::atom_constant<caf::atom("invoke")>;
/// (commit, commit_outcome): the writer reports on the object's writes.
using commit_atom = caf::atom_constant<caf::atom("commit")>;
/// (alarm, alarm_fire, guard): an alarm of the object is due.
using alarm_atom = caf::atom_constant<caf::atom("alarm")>;
/// (evict): the runtime's idle sweeper asks the object to leave memory if it has been idle.
using evict_atom = caf::atom_constant<caf::atom("evict")>;
/// (shutdown): finish pending commits, then stop.
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
/// (post, posted_work): run work an object sent to itself from another thread.
using post_atom = caf::atom_constant<caf::atom("post")>;

/// (durable, durable_delivery) → "": a durable send, answered once its handling is durable.
using durable_atom = caf::atom_constant<caf::atom("durable")>;
/// (wake): activate, so that an object with undelivered durable sends delivers them.
using wake_atom = caf::atom_constant<caf::atom("wake")>;
/// (later, timer_work): the actor's own delayed work (a durable send's retry).
using later_atom = caf::atom_constant<caf::atom("later")>;

/// One delivery of a durable send.
struct durable_delivery {
  object_id sender;
  std::uint64_t seq;
  std::string method;
  std::string payload;
};

/// Work an actor scheduled for itself; unlike `posted_work` it is not a message of the object.
struct timer_work {
  std::function<void()> run;
};

/// Work an object posted to its own mailbox, for the instance that posted it.
struct posted_work {
  std::uint64_t instance;
  std::function<void()> run;
};

struct commit_outcome {
  std::uint64_t generation;
  std::uint64_t seq;
  std::optional<error> failure;
};

/// The CAF error category of dort errors; the code is `errc`, the context holds message and field.
constexpr caf::atom_value error_category = caf::atom("dort");

/// Returns `e` as a CAF error for a requester.
caf::error to_caf_error(const error& e);

/// Returns the dort error carried by `e`; CAF's own errors become `storage_failure`.
error from_caf_error(const caf::error& e);

}  // namespace dort

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dort::commit_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dort::posted_work)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dort::durable_delivery)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dort::timer_work)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<dort::reply_token>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dort::alarm_fire)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<dort::delivery_guard>)
