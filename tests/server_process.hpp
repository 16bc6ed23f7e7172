// `dort serve` as a child process of an end-to-end test: on a free loopback port and the test's
// data directory, started and waited for until it logs "listening", stopped with SIGTERM.
#pragma once

#include <unistd.h>

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "free_port.hpp"
#include "temp_dir.hpp"

namespace dort::test {

/// `dort serve` on its own port and data directory.
class server_process {
 public:
  server_process(const temp_dir& dir, std::vector<std::string> extra = {})
      : port_(free_port()) {
    std::vector<std::string> args{"serve", "--data", dir.path().string(), "--listen",
                                  "127.0.0.1:" + std::to_string(port_)};
    args.insert(args.end(), extra.begin(), extra.end());
    child_.emplace(DORT_BIN, args, STDERR_FILENO);
    while (log_.find("\"listening\"") == std::string::npos)
      REQUIRE(child_->read_for(10'000, log_));
  }

  std::uint16_t port() const { return port_; }
  child_process& child() { return *child_; }

  /// SIGTERM, then the exit status.
  int stop() {
    child_->terminate();
    child_->read_all(log_);
    return child_->wait();
  }

  std::string& log() { return log_; }

 private:
  std::uint16_t port_;
  std::optional<child_process> child_;
  std::string log_;
};

}  // namespace dort::test
