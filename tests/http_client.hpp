// A small blocking HTTP/1.1 client over one TCP connection, for the end-to-end tests: sends raw
// request text (so tests can send malformed HTTP too) and reads one response (status, headers,
// body by Content-Length). Keep-alive: several requests go over the same connection.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

namespace dort::test {

struct http_reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

class http_connection {
 public:
  explicit http_connection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  http_connection(const http_connection&) = delete;
  http_connection& operator=(const http_connection&) = delete;
  ~http_connection() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool connected() const { return fd_ >= 0; }

  /// Sends `raw` as is.
  void send_raw(const std::string& raw) {
    std::size_t sent = 0;
    while (sent < raw.size()) {
      auto n = ::send(fd_, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error{"send failed"};
      sent += static_cast<std::size_t>(n);
    }
  }

  /// Sends a request with a Content-Length body and reads the reply.
  http_reply request(const std::string& method, const std::string& target,
                     const std::string& body = {},
                     const std::map<std::string, std::string>& headers = {
                         {"Content-Type", "application/json"}}) {
    std::string raw = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n";
    for (auto& [k, v] : headers) raw += k + ": " + v + "\r\n";
    if (!body.empty() || method == "POST" || method == "PUT")
      raw += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    raw += "\r\n" + body;
    send_raw(raw);
    return read_reply();
  }

  /// Reads one response; status 0 if the server closed the connection first.
  http_reply read_reply(int timeout_ms = 10'000) {
    http_reply reply;
    std::size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!fill(timeout_ms)) return reply;
    std::string head = buffer_.substr(0, header_end);
    buffer_.erase(0, header_end + 4);
    auto line_end = head.find("\r\n");
    auto status_line = head.substr(0, line_end);
    reply.status = std::stoi(status_line.substr(9, 3));
    std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      auto end = head.find("\r\n", pos);
      if (end == std::string::npos) end = head.size();
      auto line = head.substr(pos, end - pos);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        auto name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        auto value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        reply.headers[name] = value;
      }
      pos = end + 2;
    }
    std::size_t length = std::stoul(reply.header("content-length").empty()
                                        ? "0"
                                        : reply.header("content-length"));
    while (buffer_.size() < length)
      if (!fill(timeout_ms)) break;
    reply.body = buffer_.substr(0, length);
    buffer_.erase(0, std::min(length, buffer_.size()));
    return reply;
  }

  /// Reads everything until the server closes the connection (at most `timeout_ms` of silence)
  /// and returns it raw: for streamed responses.
  std::string read_until_closed(int timeout_ms = 10'000) {
    while (fill(timeout_ms)) {
    }
    std::string all = std::move(buffer_);
    buffer_.clear();
    return all;
  }

  /// Whether the server closes the connection within `timeout_ms` (data it sends first is kept).
  bool closed_by_server(int timeout_ms) {
    auto limit = std::chrono::steady_clock::now() + std::chrono::milliseconds{timeout_ms};
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      limit - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;  // nothing came: still open
      char chunk[4096];
      auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return true;  // end of stream (or reset): closed
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  bool fill(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char chunk[65536];
    auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
};

/// Asks until `path` answers with `fragment` in its body (at most about 10 s); returns the last
/// body.
inline std::string await_body(http_connection& c, const std::string& method,
                              const std::string& path, const std::string& fragment) {
  std::string body;
  for (int i = 0; i < 1'000; ++i) {
    body = c.request(method, path).body;
    if (body.find(fragment) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return body;
}

}  // namespace dort::test
