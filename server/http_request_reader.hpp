// How the bytes of one HTTP/1.1 request become an `http_request` for the api: the parser's
// limits (header block, body) and what the end of a read means — a request to answer, malformed
// HTTP to answer with 400 bad_request before closing, or a connection to close without a word.
// The server's connections and the HTTP fuzzer both read requests through it, so what the fuzzer
// finds is what a client would. It does not read from sockets: the caller runs Beast's read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server/api.hpp"

namespace dort::server {

using request_parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

/// Largest header block accepted.
constexpr std::uint32_t max_header_bytes = 16 * 1024;

/// Sets the limits of a fresh parser for one request.
void limit_parser(request_parser& parser, std::size_t max_body_bytes);

/// What one read of a request gave.
struct request_read {
  enum class outcome {
    request,    ///< `request` is to be answered
    malformed,  ///< answer 400 bad_request (`why`), then close
    closed,     ///< the client left or went quiet: close without an answer
  };
  outcome what = outcome::closed;
  http_request request;
  /// For a request: whether the connection may carry another one after the answer.
  bool keep_alive = false;
  std::string why;
};

/// Returns what a read that ended with `ec` left in `parser`. A body over the limit is a request
/// marked `body_too_large` (answered 413), after which the connection closes.
request_read read_result(boost::beast::error_code ec, request_parser& parser);

}  // namespace dort::server
