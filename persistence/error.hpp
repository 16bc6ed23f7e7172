// dort's error type: a stable code, a human message and, for input errors, the field at fault.
// Every layer throws or returns `dort::error`; the HTTP layer maps codes to API.md's error codes in
// one place. Codes are stable: clients may switch on `code_name()`.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace dort {

/// The reason an operation failed. Values are stable; new codes are appended.
enum class errc : std::uint8_t {
  invalid_json = 1,  ///< A payload is not one valid JSON value.
  invalid_field,     ///< A field or argument has the wrong type, is out of range or unknown.
  missing_field,     ///< A required field is absent.
  too_large,         ///< A key, value or payload is over its limit.
  unknown_class,     ///< No object class of this name is registered.
  unknown_method,    ///< The object's class has no method of this name.
  handler_error,     ///< An object's handler threw; nothing it wrote was kept.
  storage_failure,   ///< Storage could not read or commit; nothing of the message was kept.
  storage_full,      ///< The disk or the configured maximum database size is reached.
  shutting_down,     ///< The runtime is closing and takes no new messages.
  data_dir_locked,   ///< Another process has the data directory open for writing.
  id_collision,      ///< Two (class, name) pairs hash to one object id (never seen in practice).
  task_not_found,    ///< An execution has no task of this id.
  task_exists,       ///< A task id is reused with different content.
  invalid_state,     ///< The task's status does not allow the operation (cancel, retry).
  backpressure,      ///< An admission limit is reached (e.g. queued tasks of an execution).
  timeout,           ///< A call between objects got no reply in time.
  schedule_not_found,  ///< An execution has no schedule of this name.
  workflow_not_found,  ///< An execution has no workflow of this id.
  step_not_found,      ///< A workflow has no step of this name.
  workflow_exists,     ///< A workflow id is reused with different content.
};

/// Returns the snake_case name of `code`, as used in API.md (e.g. "invalid_field").
std::string_view code_name(errc code) noexcept;

/// An error with a code. Thrown by storage calls and stubs; handlers may throw it to choose the
/// code their caller sees (any other exception becomes `errc::handler_error`).
class error : public std::runtime_error {
 public:
  error(errc code, std::string message, std::string field = {})
      : std::runtime_error(std::move(message)), code_(code), field_(std::move(field)) {}

  /// Returns the error's code.
  errc code() const noexcept { return code_; }

  /// Returns the JSON path of the input field at fault, or an empty string.
  const std::string& field() const noexcept { return field_; }

 private:
  errc code_;
  std::string field_;
};

/// A value or the error that took its place: the result of a call that may fail without throwing.
template <class T>
class expected {
 public:
  expected(T value) : state_(std::move(value)) {}
  expected(error err) : state_(std::move(err)) {}

  /// Returns whether this holds a value.
  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  /// Returns the value; throws the error if there is none.
  T& value() & {
    if (!has_value()) throw std::get<1>(state_);
    return std::get<0>(state_);
  }
  T&& value() && {
    if (!has_value()) throw std::get<1>(state_);
    return std::move(std::get<0>(state_));
  }

  /// Returns the error. Precondition: `!has_value()`.
  const error& err() const { return std::get<1>(state_); }

 private:
  std::variant<T, error> state_;
};

}  // namespace dort
