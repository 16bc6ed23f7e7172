#include "server/api_error.hpp"

#include "actors/json_writer.hpp"

namespace dort::server {

std::string api_error::body() const {
  json_writer out;
  out.begin_object().key("error").begin_object().key("code").value(code);
  out.key("message").value(message);
  if (!field.empty()) out.key("field").value(field);
  if (retry_after_ms) out.key("retryAfterMs").value(*retry_after_ms);
  out.end_object().end_object();
  return out.str();
}

api_error from_error(const error& e) {
  auto make = [&](unsigned status, std::string code) {
    return api_error{status, std::move(code), e.what(), e.field(), std::nullopt, {}};
  };
  switch (e.code()) {
    case errc::invalid_json:
    case errc::invalid_field:
    case errc::missing_field:
      return make(400, std::string{code_name(e.code())});
    case errc::too_large:
      return make(413, "too_large");
    case errc::unknown_class:
    case errc::unknown_method:
    case errc::task_not_found:
    case errc::schedule_not_found:
    case errc::workflow_not_found:
    case errc::step_not_found:
      return make(404, std::string{code_name(e.code())});
    case errc::task_exists:
    case errc::workflow_exists:
    case errc::invalid_state:
      return make(409, std::string{code_name(e.code())});
    case errc::backpressure: {
      auto err = make(429, "backpressure");
      err.retry_after_ms = 1'000;
      return err;
    }
    case errc::handler_error:
      return make(500, "handler_error");
    case errc::shutting_down:
      return make(503, "shutting_down");
    case errc::storage_full:
      return make(507, "storage_full");
    case errc::storage_failure:
    case errc::timeout:  // API.md has no code of its own for it: a dependency did not answer
    case errc::data_dir_locked:
    case errc::id_collision:
      return make(503, "unavailable");
  }
  return make(503, "unavailable");
}

api_error not_found() { return {404, "not_found", "no route has this path", {}, std::nullopt, {}}; }

api_error method_not_allowed(std::string allow) {
  return {405, "method_not_allowed", "this route does not take this method; it takes " + allow,
          {}, std::nullopt, std::move(allow)};
}

api_error unauthorized() {
  return {401, "unauthorized", "this server needs 'Authorization: Bearer <token>'", {},
          std::nullopt, {}};
}

api_error bad_request(std::string message) {
  return {400, "bad_request", std::move(message), {}, std::nullopt, {}};
}

api_error unsupported_media_type() {
  return {415, "unsupported_media_type", "the body must be application/json", {}, std::nullopt,
          {}};
}

api_error shutting_down() {
  return {503, "shutting_down", "the server is shutting down", {}, std::nullopt, {}};
}

api_error backpressure(std::string message, std::int64_t retry_after_ms) {
  return {429, "backpressure", std::move(message), {}, retry_after_ms, {}};
}

api_error invalid_field(std::string message, std::string field) {
  return {400, "invalid_field", std::move(message), std::move(field), std::nullopt, {}};
}

api_error too_large(std::string message, std::string field) {
  return {413, "too_large", std::move(message), std::move(field), std::nullopt, {}};
}

}  // namespace dort::server
