// A scripted HTTP/1.1 endpoint on a loopback port, for the tests of the `http` task: each path
// answers its scripted responses in order (the last one repeats; an unscripted path answers 404),
// each after its delay, and every request is recorded (method, path, headers, body). A client that
// closes its connection during the delay is counted as having abandoned its request. One thread
// accepts; each connection has a thread of its own and is closed after one response, so a slow
// answer never holds up another; threads of closed connections are joined as new ones come.
// The destructor stops and joins them all.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace dort::test {

struct endpoint_response {
  int status = 200;
  std::string body;
  std::map<std::string, std::string> headers;  // e.g. {"Content-Type", "application/json"}
  int delay_ms = 0;                            // before the answer is sent
};

/// `status` with `body` (no Content-Type).
inline endpoint_response status_response(int status, std::string body = {}) {
  return {status, std::move(body), {}, 0};
}

/// `status` (200 by default) with a JSON body.
inline endpoint_response json_response(std::string body, int status = 200) {
  return {status, std::move(body), {{"Content-Type", "application/json"}}, 0};
}

/// A 302 to `location`.
inline endpoint_response redirect_to(std::string location) {
  return {302, {}, {{"Location", std::move(location)}}, 0};
}

struct endpoint_request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

class http_endpoint {
 public:
  /// Longest a connection waits for its request; a stalled peer ends there.
  static constexpr int read_limit_ms = 30'000;
  /// Step of every wait, so that the destructor is never kept longer.
  static constexpr int poll_step_ms = 50;

  http_endpoint() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int on = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_, 128) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ::close(listener_);
      throw std::runtime_error{"http_endpoint: cannot listen"};
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread{[this] { accept_loop(); }};
  }
  http_endpoint(const http_endpoint&) = delete;
  http_endpoint& operator=(const http_endpoint&) = delete;
  ~http_endpoint() {
    stopping_ = true;
    acceptor_.join();
    std::vector<connection> connections;
    {
      std::lock_guard lock{mutex_};
      connections.swap(connections_);
    }
    for (auto& c : connections) c.thread.join();
    ::close(listener_);
  }

  std::uint16_t port() const { return port_; }

  /// The URL of `path` on this endpoint.
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  /// Requests of `path` get `responses` in order; the last one repeats.
  void script(const std::string& path, std::vector<endpoint_response> responses) {
    std::lock_guard lock{mutex_};
    scripts_[path] = {responses.begin(), responses.end()};
  }

  /// Every request received so far, in arrival order.
  std::vector<endpoint_request> requests() const {
    std::lock_guard lock{mutex_};
    return requests_;
  }

  /// The requests of `path` received so far.
  std::vector<endpoint_request> requests(const std::string& path) const {
    std::vector<endpoint_request> of_path;
    for (auto& r : requests())
      if (r.path == path) of_path.push_back(r);
    return of_path;
  }

  /// Responses written out so far (also those whose client had gone).
  int answered() const { return answered_; }

  /// Requests whose client closed its connection while the answer was being delayed.
  int abandoned() const { return abandoned_; }

 private:
  void accept_loop() {
    while (!stopping_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, poll_step_ms) <= 0) continue;
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) continue;
      std::lock_guard lock{mutex_};
      reap_finished();
      auto done = std::make_shared<std::atomic<bool>>(false);
      connections_.push_back(connection{std::thread{[this, fd, done] {
                                          serve(fd);
                                          ::close(fd);
                                          *done = true;
                                        }},
                                        done});
    }
  }

  /// Joins the connection threads that have ended, so that a long-lived endpoint (the torture
  /// program's) keeps no more threads than it has open connections. Called under `mutex_`.
  void reap_finished() {
    std::erase_if(connections_, [](connection& c) {
      if (!*c.done) return false;
      c.thread.join();
      return true;
    });
  }

  void serve(int fd) {
    endpoint_request request;
    if (!read_request(fd, request)) return;
    endpoint_response response;
    {
      std::lock_guard lock{mutex_};
      requests_.push_back(request);
      auto it = scripts_.find(request.path);
      if (it == scripts_.end()) {
        response.status = 404;
      } else {
        response = it->second.front();
        if (it->second.size() > 1) it->second.pop_front();
      }
    }
    for (int waited = 0; waited < response.delay_ms && !stopping_; waited += poll_step_ms) {
      if (peer_closed(fd)) {
        ++abandoned_;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{poll_step_ms});
    }
    std::string raw = "HTTP/1.1 " + std::to_string(response.status) + " Scripted\r\n";
    for (auto& [name, value] : response.headers) raw += name + ": " + value + "\r\n";
    raw += "Content-Length: " + std::to_string(response.body.size()) +
           "\r\nConnection: close\r\n\r\n" + response.body;
    send_all(fd, raw);
    ++answered_;
  }

  /// Reads one request (head, then a Content-Length body); false if the peer went first.
  bool read_request(int fd, endpoint_request& request) {
    std::string data;
    std::size_t head_end;
    while ((head_end = data.find("\r\n\r\n")) == std::string::npos)
      if (!receive(fd, data)) return false;
    parse_head(data.substr(0, head_end), request);
    auto length_text = request.header("content-length");
    std::size_t length = length_text.empty() ? 0 : std::stoul(length_text);
    data.erase(0, head_end + 4);
    while (data.size() < length)
      if (!receive(fd, data)) return false;
    request.body = data.substr(0, length);
    return true;
  }

  static void parse_head(const std::string& head, endpoint_request& request) {
    auto line_end = std::min(head.find("\r\n"), head.size());
    auto request_line = head.substr(0, line_end);
    auto space = request_line.find(' ');
    request.method = request_line.substr(0, space);
    request.path = request_line.substr(space + 1, request_line.rfind(' ') - space - 1);
    for (auto pos = line_end + 2; pos < head.size();) {
      auto end = std::min(head.find("\r\n", pos), head.size());
      auto line = head.substr(pos, end - pos);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        auto name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        auto value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        request.headers[name] = value;
      }
      pos = end + 2;
    }
  }

  /// Appends what the peer sent next; false on its end, on stop, or after `read_limit_ms`.
  bool receive(int fd, std::string& data) {
    for (int waited = 0; waited < read_limit_ms && !stopping_; waited += poll_step_ms) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, poll_step_ms) <= 0) continue;
      char chunk[16384];
      auto n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      data.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
    return false;
  }

  /// Whether the peer has closed its side (it sends nothing more after its one request).
  static bool peer_closed(int fd) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    char byte;
    return ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0 || (p.revents & (POLLHUP | POLLERR));
  }

  static void send_all(int fd, const std::string& raw) {
    for (std::size_t sent = 0; sent < raw.size();) {
      auto n = ::send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;  // the client went (timed out): nothing to do
      sent += static_cast<std::size_t>(n);
    }
  }

  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> answered_{0};
  std::atomic<int> abandoned_{0};
  mutable std::mutex mutex_;
  std::map<std::string, std::deque<endpoint_response>> scripts_;  // guarded by mutex_
  std::vector<endpoint_request> requests_;                         // guarded by mutex_
  struct connection {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;  // set by the thread as its last step
  };
  std::vector<connection> connections_;                            // guarded by mutex_
  std::thread acceptor_;
};

}  // namespace dort::test
