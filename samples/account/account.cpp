#include "samples/account/account.hpp"

#include <charconv>

#include "actors/json_writer.hpp"

namespace dort::samples {

namespace {

constexpr std::string_view state_key = "account";
constexpr std::int64_t max_amount = 1'000'000'000'000;  // 10^12, API.md's range

/// The stored state: "balance received sent" in decimal.
std::string encode_state(std::int64_t balance, std::int64_t received, std::int64_t sent) {
  return std::to_string(balance) + ' ' + std::to_string(received) + ' ' + std::to_string(sent);
}

bool parse_int(std::string_view& text, std::int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc{}) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  if (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  return true;
}

std::int64_t amount_of(const json_object_reader& body) {
  return body.in_range("amount", body.required_int64("amount"), 1, max_amount);
}

}  // namespace

std::vector<method<account>> account::declare() {
  return {
      {"deposit", &account::deposit, {"amount"}},
      {"transfer", &account::transfer, {"to", "amount"}},
      {"balance", &account::balance},
      {"credit", &account::credit, {"amount"}, /*internal=*/true},
  };
}

account::account(object_context& context) : declared_object(context) {
  if (auto stored = storage().get(state_key)) {
    std::string_view text = *stored;
    if (!parse_int(text, balance_) || !parse_int(text, received_) || !parse_int(text, sent_) ||
        !text.empty())
      throw error{errc::storage_failure, "account " + name() + " holds a malformed state"};
  }
}

std::string account::deposit(const json_object_reader& body) {
  std::int64_t next;
  if (__builtin_add_overflow(balance_, amount_of(body), &next))
    throw error{errc::invalid_field, "the balance would leave int64", "amount"};
  balance_ = next;
  return store_and_reply();
}

std::string account::transfer(const json_object_reader& body) {
  // Fields first, in the order API.md checks them, then the balance.
  std::string to = body.required_string("to");
  std::int64_t amount = amount_of(body);
  if (to.empty() || to.size() > 256)
    throw error{errc::invalid_field, "'to' is an account name of 1..256 bytes", "to"};
  if (to == name()) throw error{errc::invalid_field, "an account cannot pay itself", "to"};
  if (balance_ < amount)
    throw error{errc::invalid_state, "the balance " + std::to_string(balance_) +
                                         " is below the amount " + std::to_string(amount)};
  // Written into the outbox with the debit: both commit, or neither.
  send_durable(class_name(), to, "credit",
               json_writer{}.begin_object().key("amount").value(amount).end_object().str());
  balance_ -= amount;
  ++sent_;
  return store_and_reply();
}

std::string account::balance(const json_object_reader&) {
  return json_writer{}
      .begin_object()
      .key("balance")
      .value(balance_)
      .key("received")
      .value(received_)
      .key("sent")
      .value(sent_)
      .end_object()
      .str();
}

std::string account::credit(const json_object_reader& body) {
  if (durable_sender() == nullptr) unknown_method("credit");  // never from outside
  std::int64_t next;
  if (__builtin_add_overflow(balance_, amount_of(body), &next))
    throw error{errc::storage_failure, "account " + name() + " would leave int64"};
  balance_ = next;
  ++received_;
  return store_and_reply();
}

std::string account::store_and_reply() {
  // The last thing a method does: memory has changed, and only a failed commit (which rebuilds
  // the instance from disk) undoes it.
  storage().put(state_key, encode_state(balance_, received_, sent_));
  return json_writer{}.begin_object().key("balance").value(balance_).end_object().str();
}

}  // namespace dort::samples
