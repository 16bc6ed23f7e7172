// A typed way to declare an object class's methods: one line per method (its name, the member
// function that handles it, and the body fields it accepts), from which the dispatch and the
// method list the server checks are both derived. The body is parsed once, before the member
// runs, and a field outside the declared ones is `invalid_field`. A class that wants raw payloads
// derives from `durable_object` and writes `handle` itself.
//
//   class account : public declared_object<account> {
//    public:
//     using declared_object::declared_object;
//     static std::vector<method<account>> declare() {
//       return {{"deposit", &account::deposit, {"amount"}}, {"balance", &account::balance}};
//     }
//     std::string deposit(const json_object_reader& body);
//     std::string balance(const json_object_reader& body);
//   };
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "actors/durable_object.hpp"
#include "actors/json_reader.hpp"

namespace dort {

/// One declared method of class `T`.
template <class T>
struct method {
  method(std::string_view name_, std::string (T::*run_)(const json_object_reader&),
         std::vector<std::string_view> fields_ = {}, bool internal_ = false)
      : name(name_), run(run_), fields(std::move(fields_)), internal(internal_) {}

  std::string_view name;
  std::string (T::*run)(const json_object_reader& body);
  /// The body's allowed fields (none: the body must be empty or `{}`).
  std::vector<std::string_view> fields;
  /// Reachable only from other objects (calls and durable sends), not listed for the server.
  bool internal;
};

template <class T>
class declared_object : public durable_object {
 public:
  using durable_object::durable_object;

  /// The class's methods, from `T::declare()` (built once).
  static const std::vector<method<T>>& methods_table() {
    static const std::vector<method<T>> table = T::declare();
    return table;
  }

  /// The names of the methods the outside may call.
  static std::vector<std::string> public_methods() {
    std::vector<std::string> names;
    for (const auto& m : methods_table())
      if (!m.internal) names.emplace_back(m.name);
    return names;
  }

  std::string handle(std::string_view name, std::string_view payload) override {
    for (const auto& m : methods_table()) {
      if (m.name != name) continue;
      json_object_reader body{payload};
      body.allow_only(m.fields);
      return (static_cast<T&>(*this).*m.run)(body);
    }
    unknown_method(name);
  }
};

}  // namespace dort
