// HTTP/1.1 over Boost.Beast: accepts connections, reads requests (keep-alive, 60 s idle timeout,
// a body limit), hands each to the `api`, and writes its answer when it comes. Malformed HTTP gets
// 400 bad_request and the connection is closed. Beast stays inside http_server.cpp and
// http_request_reader (shared with the HTTP fuzzer): it is slow to compile.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "server/api.hpp"

namespace dort::server {

struct http_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;
  std::size_t threads = 1;
  std::chrono::seconds idle_timeout{60};
  std::size_t max_body_bytes = 1'048'576;
};

class http_server {
 public:
  /// Binds and listens (throws std::runtime_error if it cannot); serves once `run` is called.
  http_server(api& handler, http_options options);
  ~http_server();

  /// The port it listens on (useful with port 0).
  std::uint16_t port() const;

  /// Serves on `threads` threads until `stop`; returns when they have ended.
  void run();

  /// Stops accepting new connections; open ones are served until `stop`.
  void stop_accepting();

  /// Ends every connection and makes `run` return.
  void stop();

  /// Calls `fn` on SIGTERM or SIGINT (once), on a server thread.
  void on_signal(std::function<void(int)> fn);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace dort::server
