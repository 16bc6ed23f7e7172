// An object class for tests of calls between objects: it calls, tells and keeps replies open on
// request, and records what its reply handlers got under the key "reply".
//   put {"k","v"} / get {"k"}          as kv_object
//   ask {"to","method","k","v","timeoutMs"?,"class"?}  calls `to` (class "relay" unless named),
//                                      writes "asked" = "1"; the reply handler stores the reply,
//                                      or "error:<code>", under "reply"
//   ask_then_throw {...}               the same, then throws
//   tell {"to","k","v"}                tells `to` to put k = v
//   hold                               writes "holding" = "1", keeps its reply open (completed
//                                      by `release`)
//   release {"v"}                      writes "released" = v and completes the held reply {"v"}
//   start {"to"}                       A → B → A: asks `to`.bounce {"to": self}, replies once
//                                      the answer is back (deferred)
//   bounce {"to"}                      asks `to`.pong, replies with its answer (deferred)
//   pong                               → {"pong":true}
#pragma once

#include <optional>
#include <stdexcept>

#include "actors/durable_object.hpp"
#include "actors/json_reader.hpp"
#include "actors/json_writer.hpp"

namespace dort::test {

class relay_object : public durable_object {
 public:
  using durable_object::durable_object;

  std::string handle(std::string_view method, std::string_view payload) override {
    json_object_reader body{payload};
    if (method == "put") {
      storage().put(body.required_string("k"), body.string("v").value_or(""));
      return "{}";
    }
    if (method == "get") {
      auto value = storage().get(body.required_string("k"));
      json_writer out;
      out.begin_object().key("v");
      if (value)
        out.value(*value);
      else
        out.null();
      return out.end_object().str();
    }
    if (method == "ask" || method == "ask_then_throw") {
      storage().put("asked", "1");
      auto to = stub(body.string("class").value_or("relay"), body.required_string("to"));
      std::optional<std::chrono::milliseconds> timeout;
      if (auto ms = body.int64("timeoutMs")) timeout = std::chrono::milliseconds{*ms};
      to.call(
          body.required_string("method"), put_payload(body),
          [this](expected<std::string> reply) {
            storage().put("reply",
                          reply ? reply.value() : "error:" + std::string{code_name(reply.err().code())});
          },
          timeout);
      if (method == "ask_then_throw") throw std::runtime_error{"thrown after the call"};
      return "{}";
    }
    if (method == "tell") {
      storage().put("told", "1");
      stub("relay", body.required_string("to")).tell("put", put_payload(body));
      return "{}";
    }
    if (method == "hold") {
      storage().put("holding", "1");
      held_.emplace(reply_later());
      return "{}";
    }
    if (method == "release") {
      auto v = body.required_string("v");
      storage().put("released", v);
      if (held_) held_->deliver(json_writer{}.begin_object().key("v").value(v).end_object().str());
      held_.reset();
      return "{}";
    }
    if (method == "start" || method == "bounce") {
      auto to = stub("relay", body.required_string("to"));
      auto reply = std::make_shared<deferred_reply>(reply_later());
      std::string next = method == "start" ? "bounce" : "pong";
      to.call(next, json_writer{}.begin_object().key("to").value(name()).end_object().str(),
              [reply](expected<std::string> answer) {
                if (answer)
                  reply->deliver(answer.value());
                else
                  reply->fail(answer.err());
              });
      return "{}";
    }
    if (method == "pong") return R"({"pong":true})";
    unknown_method(method);
  }

 private:
  static std::string put_payload(const json_object_reader& body) {
    return json_writer{}
        .begin_object()
        .key("k")
        .value(body.string("k").value_or("k"))
        .key("v")
        .value(body.string("v").value_or(""))
        .end_object()
        .str();
  }

  std::optional<deferred_reply> held_;
};

}  // namespace dort::test
