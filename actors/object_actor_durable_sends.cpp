// Durable sends, both ends. The sender writes each send into its outbox with the writes of the
// message that made it; once they are durable it delivers the send, one at a time per receiver,
// retrying with capped backoff until the receiver answers, then deletes the entry. The receiver
// applies a send only if its sequence is above the mark it keeps for the sender, and writes the
// new mark with the handler's writes, so a send redelivered after any crash runs once.
#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "actors/object_actor.hpp"

namespace dort {

namespace {

/// Delivery marks kept in memory at most; past it, the map is dropped (when nothing of them
/// waits for the disk) and marks are read again as needed.
constexpr std::size_t max_cached_marks = 4'096;

/// Longest method name of a durable send (its length is stored in two bytes).
constexpr std::size_t max_method_bytes = 1'024;

}  // namespace

void object_actor::send_durable(const object_address& to, std::string method,
                                std::string payload) {
  if (method.empty() || method.size() > max_method_bytes)
    throw error{errc::invalid_field,
                "a method name is 1.." + std::to_string(max_method_bytes) + " bytes", "method"};
  if (to.class_name.empty() || to.class_name.size() > 64)
    throw error{errc::invalid_field, "a class name is 1..64 bytes", "class"};
  outbox_entry entry{outbox_next_seq_, to.id,     to.class_name,
                     to.name,          std::move(method), std::move(payload)};
  std::string value = encode_outbox_entry(entry);
  if (value.size() > config_.limits.max_value_bytes)
    throw error{errc::too_large,
                "a durable send is at most " + std::to_string(config_.limits.max_value_bytes) +
                    " bytes with its address"};
  // A number is never used twice, even if this message is discarded: the gap is harmless.
  ++outbox_next_seq_;
  config_.stats->durable_sends.fetch_add(1, std::memory_order_relaxed);
  store_->add_raw_write(
      raw_write{config_.durable_sends.outbox, outbox_key(config_.id, entry.seq), std::move(value)});
  message_callbacks_.push_back([this, entry = std::move(entry), generation = outbox_generation_] {
    if (generation != outbox_generation_) return;  // the outbox was read again from disk
    auto to = entry.to;
    if (outbox_.add(entry)) deliver_next(to);
  });
}

void object_actor::load_outbox() {
  outbox_.clear();
  ++outbox_generation_;
  stored_outbox stored;
  try {
    stored = read_outbox(*config_.env, config_.durable_sends, config_.id);
  } catch (const error&) {
    return;  // unreadable now: the next activation reads it again
  }
  outbox_next_seq_ = std::max(outbox_next_seq_, stored.next_seq);
  for (auto& entry : stored.entries) outbox_.add(std::move(entry));
  for (const auto& to : outbox_.receivers()) deliver_next(to);
}

void object_actor::deliver_next(const object_id& to) {
  const outbox_entry* entry = outbox_.head(to);
  if (entry == nullptr) return;
  caf::actor actor;
  try {
    actor = config_.resolve(object_address{entry->to, entry->class_name, entry->name});
  } catch (const error&) {
    retry_delivery(to);  // class not registered yet, or the runtime closing
    return;
  }
  // No timeout: a receiver answers every delivery it takes (its failure included, and a
  // message it never took bounces), so a delivery cannot hang, and each timeout would cost an
  // entry in CAF's clock, a shared map under one lock.
  request(actor, caf::infinite, durable_atom::value,
          durable_delivery{config_.id, entry->seq, entry->method, entry->payload})
      .then(
          [this, to, seq = entry->seq, generation = outbox_generation_](std::string&) {
            on_delivered(to, seq, generation);
          },
          [this, to, generation = outbox_generation_](caf::error& err) {
            if (generation != outbox_generation_) return;
            if (err == caf::sec::request_receiver_down)
              deliver_next(to);  // bounced off an object being evicted: at once again
            else
              retry_delivery(to);
          });
}

void object_actor::retry_delivery(const object_id& to) {
  config_.stats->durable_retries.fetch_add(1, std::memory_order_relaxed);
  auto wait = outbox_.failed(to);
  delayed_send(caf::actor_cast<caf::actor>(this), wait, later_atom::value,
               timer_work{[this, to, generation = outbox_generation_] {
                 if (generation == outbox_generation_) deliver_next(to);
               }});
}

void object_actor::on_delivered(const object_id& to, std::uint64_t seq,
                                std::uint64_t generation) {
  if (generation != outbox_generation_ || !outbox_.delivered(to, seq)) return;
  // The receiver has committed it: the entry goes, in a commit of its own. Should that commit be
  // lost, the entry is delivered again and the receiver's mark turns it away.
  // The next sequence goes with every delete: a restart takes the next number from the counter
  // and the entries left, and once this entry is gone they may all be lower than numbers
  // already used (a lower entry still waiting for its receiver, or numbers of discarded
  // messages), which a receiver's mark would then turn away as applied. One more key in the same
  // commit, beside the sender's entries.
  store_->add_raw_write(raw_write{config_.durable_sends.outbox, outbox_key(config_.id, seq), {}});
  store_->add_raw_write(raw_write{config_.durable_sends.outbox,
                                  std::string{outbox_counter_key(config_.id)},
                                  encode_seq(outbox_next_seq_)});
  commit_message();
  deliver_next(to);
}

std::uint64_t object_actor::delivered_mark(const object_id& sender) {
  if (auto it = delivered_marks_.find(sender); it != delivered_marks_.end()) return it->second;
  // Marks in memory include those whose commit is not durable yet; dropping them is safe only
  // when nothing waits for the disk.
  if (delivered_marks_.size() >= max_cached_marks && !store_->has_pending_writes())
    delivered_marks_.clear();
  auto mark = read_delivered(*config_.env, config_.durable_sends, config_.id, sender);
  delivered_marks_.emplace(sender, mark);
  return mark;
}

void object_actor::handle_durable(const durable_delivery& delivery, reply_target target) {
  config_.stats->messages.fetch_add(1, std::memory_order_relaxed);
  config_.activity->touch();
  if (!activate_or_answer(target)) return;
  std::uint64_t mark = 0;
  try {
    mark = delivered_mark(delivery.sender);
  } catch (const error& e) {
    deliver(target, e);
    return;
  }
  if (delivery.seq <= mark) {
    // Applied before (a redelivery): answered once that handling is durable.
    config_.stats->durable_duplicates.fetch_add(1, std::memory_order_relaxed);
    reply_after_writes(std::move(target), std::string{});
    return;
  }
  current_origin_ = durable_origin{delivery.sender, delivery.seq};
  auto reply = run_handler(delivery.method, delivery.payload);
  current_origin_.reset();
  if (reply) {
    store_->add_raw_write(raw_write{config_.durable_sends.delivered,
                                    delivered_key(config_.id, delivery.sender),
                                    encode_seq(delivery.seq)});
    delivered_marks_[delivery.sender] = delivery.seq;
    commit_message();
    config_.stats->durable_applied.fetch_add(1, std::memory_order_relaxed);
  } else {
    discard_message();
  }
  reply_after_writes(std::move(target), std::move(reply));
}

}  // namespace dort
