// The base class of every durable object class. The runtime creates one instance per live
// activation and calls `handle` for each message, one at a time, never concurrently. A handler
// reaches its private storage through `storage()`; everything it writes commits atomically when
// it returns, and is dropped if it throws. Its reply is released only once those writes are
// durable. Throw `dort::error` to choose the error code the caller sees; any other exception
// reaches the caller as `handler_error`.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "persistence/error.hpp"
#include "persistence/object_id.hpp"
#include "persistence/storage.hpp"

namespace dort {

/// What the runtime gives an object when it activates it.
struct object_context {
  dort::storage& storage;
  object_id id;
  std::string class_name;
  std::string name;
};

class durable_object {
 public:
  /// Binds the object to its context; the object may read its storage in its constructor.
  explicit durable_object(object_context& context) : context_(context) {}
  durable_object(const durable_object&) = delete;
  durable_object& operator=(const durable_object&) = delete;
  virtual ~durable_object() = default;

  /// Handles the message `method` with the JSON `payload` (possibly empty) and returns the JSON
  /// reply. Throw `dort::error{errc::unknown_method, ...}` for a method the class lacks.
  virtual std::string handle(std::string_view method, std::string_view payload) = 0;

 protected:
  /// Returns the object's private storage.
  dort::storage& storage() noexcept { return context_.storage; }

  /// Returns the object's id.
  const object_id& id() const noexcept { return context_.id; }

  /// Returns the object's name (the hex id for objects made with a random id).
  const std::string& name() const noexcept { return context_.name; }

  /// Returns the name of the object's class.
  const std::string& class_name() const noexcept { return context_.class_name; }

  /// Throws `errc::unknown_method` for `method`: the usual end of a `handle` dispatch.
  [[noreturn]] void unknown_method(std::string_view method) const {
    throw error{errc::unknown_method,
                "class '" + context_.class_name + "' has no method '" + std::string{method} + "'"};
  }

 private:
  object_context& context_;
};

/// Makes an instance of one object class.
using object_factory = std::function<std::unique_ptr<durable_object>(object_context&)>;

}  // namespace dort
