// The error responses of API.md: every non-2xx answer is {"error": {"code", "message", "field"}}
// with the status its code has in API.md's table. Codes of dort::error map one to one; the
// HTTP-only codes (not_found, method_not_allowed, unauthorized, ...) are made here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "persistence/error.hpp"

namespace dort::server {

struct api_error {
  unsigned status;
  std::string code;
  std::string message;
  std::string field;
  /// For 429: how long the client should wait (Retry-After and error.retryAfterMs).
  std::optional<std::int64_t> retry_after_ms;
  /// For 405: the methods the route allows (the Allow header).
  std::string allow;

  /// The JSON body.
  std::string body() const;
};

/// The API error of a dort::error (its HTTP status by API.md's table).
api_error from_error(const error& e);

api_error not_found();
api_error method_not_allowed(std::string allow);
api_error unauthorized();
api_error bad_request(std::string message);
api_error unsupported_media_type();
api_error shutting_down();
api_error backpressure(std::string message, std::int64_t retry_after_ms);
api_error invalid_field(std::string message, std::string field);
api_error too_large(std::string message, std::string field = {});

}  // namespace dort::server
