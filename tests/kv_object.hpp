// A small object class for runtime tests: a JSON face over its storage.
//   put {"k","v"} → {}            get {"k"} → {"v": value or null}
//   put_then_throw {"k","v"}: writes, then throws std::runtime_error
//   put_then_fail {"k","v"}: writes, then throws dort::error invalid_field
#pragma once

#include <stdexcept>

#include "actors/durable_object.hpp"
#include "actors/json_reader.hpp"
#include "actors/json_writer.hpp"

namespace dort::test {

class kv_object : public durable_object {
 public:
  using durable_object::durable_object;

  std::string handle(std::string_view method, std::string_view payload) override {
    json_object_reader body{payload};
    auto key = body.string("k").value_or("");
    if (method == "get") {
      auto value = storage().get(key);
      json_writer out;
      out.begin_object().key("v");
      if (value)
        out.value(*value);
      else
        out.null();
      return out.end_object().str();
    }
    if (method != "put" && method != "put_then_throw" && method != "put_then_fail")
      unknown_method(method);
    storage().put(key, body.string("v").value_or(""));
    if (method == "put_then_throw") throw std::runtime_error{"boom"};
    if (method == "put_then_fail") throw error{errc::invalid_field, "chosen code", "v"};
    return "{}";
  }
};

}  // namespace dort::test
