// The `account` sample class (API.md): money that moves between objects by durable sends, so it
// is never lost or doubled, whatever crashes.
//   deposit  {"amount": n}              → {"balance": b}
//   transfer {"to": name, "amount": n}  → {"balance": b}  the debit; the credit follows as a
//                                          durable send to account `to`
//   balance                             → {"balance": b, "received": r, "sent": s}
// `credit` is the durable send's method: only another account's transfer reaches it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/declared_object.hpp"

namespace dort::samples {

class account : public declared_object<account> {
 public:
  explicit account(object_context& context);

  static std::vector<method<account>> declare();

  std::string deposit(const json_object_reader& body);
  std::string transfer(const json_object_reader& body);
  std::string balance(const json_object_reader& body);
  std::string credit(const json_object_reader& body);

 private:
  /// Writes the state (one key, so each message writes once) and returns `{"balance": b}`.
  std::string store_and_reply();

  std::int64_t balance_ = 0;
  /// Transfer credits applied to this account, and transfers debited from it.
  std::int64_t received_ = 0;
  std::int64_t sent_ = 0;
};

}  // namespace dort::samples
