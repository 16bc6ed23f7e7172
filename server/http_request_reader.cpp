#include <utility>  // before Asio: Boost 1.74's Asio needs std::exchange under C++20

#include "server/http_request_reader.hpp"

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

namespace dort::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

void limit_parser(request_parser& parser, std::size_t max_body_bytes) {
  parser.header_limit(max_header_bytes);
  parser.body_limit(max_body_bytes);
}

request_read read_result(beast::error_code ec, request_parser& parser) {
  request_read out;
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
      ec == asio::error::eof)
    return out;
  const bool too_large = ec == http::error::body_limit;
  if (ec && !too_large) {
    out.what = request_read::outcome::malformed;
    out.why = "malformed HTTP: " + ec.message();
    return out;
  }
  auto& message = parser.get();
  out.what = request_read::outcome::request;
  auto& request = out.request;
  request.method = std::string{message.method_string()};
  request.target = std::string{message.target()};
  if (auto it = message.find(http::field::content_type); it != message.end())
    request.content_type = std::string{it->value()};
  if (auto it = message.find(http::field::authorization); it != message.end())
    request.authorization = std::string{it->value()};
  if (auto it = message.find("Last-Event-ID"); it != message.end())
    request.last_event_id = std::string{it->value()};
  request.body_too_large = too_large;
  if (!too_large) request.body = std::move(message.body());
  // A body that was not read whole leaves the stream mid-message: answer, then close.
  out.keep_alive = !too_large && message.keep_alive();
  return out;
}

}  // namespace dort::server
