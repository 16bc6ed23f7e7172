// Two object classes of a program that uses the installed dort package: a `cashier` whose `pay`
// handler calls a `tally` object and keeps its own reply open until the tally's answer is back
// (a call between objects, no thread blocked), run through dort::runtime; then the runtime is
// reopened and both objects still know what was paid. Prints what it saw and exits 1 on any
// mismatch or error.
//   usage: dort_consumer [DATA_DIR]      (default: a new directory under the system's temp dir)
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <dort/actors/declared_object.hpp>
#include <dort/actors/json_writer.hpp>
#include <dort/runtime/runtime.hpp>

namespace {

/// Adds up the amounts it is given.
///   add {"n"} → {"total": t}      total → {"total": t}
class tally : public dort::declared_object<tally> {
 public:
  explicit tally(dort::object_context& context) : declared_object(context) {
    if (auto stored = storage().get("total")) total_ = std::stoll(*stored);
  }

  static std::vector<dort::method<tally>> declare() {
    return {{"add", &tally::add, {"n"}}, {"total", &tally::total}};
  }

  std::string add(const dort::json_object_reader& body) {
    total_ += body.required_int64("n");
    storage().put("total", std::to_string(total_));
    return total(body);
  }

  std::string total(const dort::json_object_reader&) {
    return dort::json_writer{}.begin_object().key("total").value(total_).end_object().str();
  }

 private:
  std::int64_t total_ = 0;
};

/// Takes payments and books each with the tally "main".
///   pay {"n"} → {"total": t, "payments": p}    (t from the tally, p counted here)
///   payments  → {"payments": p}
class cashier : public dort::declared_object<cashier> {
 public:
  explicit cashier(dort::object_context& context) : declared_object(context) {
    if (auto stored = storage().get("payments")) payments_ = std::stoll(*stored);
  }

  static std::vector<dort::method<cashier>> declare() {
    return {{"pay", &cashier::pay, {"n"}}, {"payments", &cashier::payments}};
  }

  std::string pay(const dort::json_object_reader& body) {
    auto n = body.required_int64("n");
    // The reply waits for the tally's answer; `handle`'s return value is then ignored. The
    // reply handler runs later in this object's mailbox, as a message of its own.
    auto reply = std::make_shared<dort::deferred_reply>(reply_later());
    stub("tally", "main")
        .call("add", dort::json_writer{}.begin_object().key("n").value(n).end_object().str(),
              [this, reply](dort::expected<std::string> answer) {
                if (!answer) {
                  reply->fail(answer.err());
                  return;
                }
                ++payments_;
                storage().put("payments", std::to_string(payments_));
                auto total = dort::json_object_reader{answer.value()}.required_int64("total");
                reply->deliver(dort::json_writer{}
                                   .begin_object()
                                   .key("total")
                                   .value(total)
                                   .key("payments")
                                   .value(payments_)
                                   .end_object()
                                   .str());
              });
    return "{}";
  }

  std::string payments(const dort::json_object_reader&) {
    return dort::json_writer{}.begin_object().key("payments").value(payments_).end_object().str();
  }

 private:
  std::int64_t payments_ = 0;
};

/// Prints `what` and `got`; returns whether `got` is `want`.
bool check(const std::string& what, std::int64_t got, std::int64_t want) {
  std::cout << what << ": " << got << (got == want ? "" : " (want " + std::to_string(want) + ")")
            << '\n';
  return got == want;
}

/// Returns the integer field `field` of the reply to `method` (no payload) of an object.
std::int64_t ask(dort::runtime& rt, std::string_view class_name, std::string_view name,
                 std::string_view method, std::string_view field) {
  return dort::json_object_reader{rt.get(class_name, name).call(method)}.required_int64(field);
}

void register_classes(dort::runtime& rt) {
  rt.register_class<tally>("tally");
  rt.register_class<cashier>("cashier");
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path dir;
  if (argc > 1) {
    dir = argv[1];
  } else {
    std::string pattern = (std::filesystem::temp_directory_path() / "dort-consumer-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::cerr << "dort_consumer: cannot make a temporary directory\n";
      return 1;
    }
    dir = pattern;
  }
  dort::runtime_options options;
  options.data_dir = dir;
  bool ok = true;
  try {
    {
      dort::runtime rt{options};
      register_classes(rt);
      auto front = rt.get("cashier", "front");
      std::int64_t paid = 0;
      for (std::int64_t n = 1; n <= 3; ++n) {
        paid += n;
        dort::json_object_reader reply{front.call(
            "pay", dort::json_writer{}.begin_object().key("n").value(n).end_object().str())};
        ok &= check("pay " + std::to_string(n) + ": total", reply.required_int64("total"), paid);
        ok &= check("pay " + std::to_string(n) + ": payments", reply.required_int64("payments"), n);
      }
    }
    // Reopened: what both objects committed is still there.
    dort::runtime rt{options};
    register_classes(rt);
    ok &= check("after reopening: total", ask(rt, "tally", "main", "total", "total"), 6);
    ok &=
        check("after reopening: payments", ask(rt, "cashier", "front", "payments", "payments"), 3);
  } catch (const dort::error& e) {
    std::cerr << "dort_consumer: error (" << dort::code_name(e.code()) << "): " << e.what() << '\n';
    ok = false;
  }
  if (argc <= 1) std::filesystem::remove_all(dir);
  std::cout << (ok ? "dort_consumer: ok" : "dort_consumer: FAILED") << '\n';
  return ok ? 0 : 1;
}
