// `dort serve` as the torture's child: started on a data directory and a loopback port, its log
// (stderr) drained by a thread of its own so that the server never blocks on a full pipe, and
// ready once it logs "listening". Ended by SIGKILL or by SIGTERM (a graceful stop).
#pragma once

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "child_process.hpp"
#include "free_port.hpp"

namespace dort::torture {

class dort_process {
 public:
  /// Bytes of the log kept for a report when something goes wrong.
  static constexpr std::size_t log_tail_bytes = 16 * 1024;

  dort_process(const std::string& program, const std::filesystem::path& data)
      : port_(test::free_port()),
        child_(program,
               {"serve", "--data", data.string(), "--listen", "127.0.0.1:" + std::to_string(port_)},
               STDERR_FILENO) {
    drain_ = std::thread{[this] { drain(); }};
  }
  dort_process(const dort_process&) = delete;
  dort_process& operator=(const dort_process&) = delete;
  ~dort_process() {
    if (!ended_) kill_hard();
  }

  std::uint16_t port() const { return port_; }

  /// Waits until the server logs "listening"; false if it ended or `timeout_ms` passed first.
  bool wait_listening(int timeout_ms) {
    std::unique_lock lock{mutex_};
    return changed_.wait_for(lock, std::chrono::milliseconds{timeout_ms},
                             [&] { return listening_ || eof_; }) &&
           listening_;
  }

  /// SIGKILL; returns once the process is gone.
  void kill_hard() {
    child_.kill_hard();
    end();
  }

  /// SIGTERM; returns the wait status once the process has exited.
  int stop() {
    child_.terminate();
    return end();
  }

  /// The last `log_tail_bytes` of the log.
  std::string log_tail() {
    std::lock_guard lock{mutex_};
    return log_;
  }

 private:
  void drain() {
    std::string chunk;
    for (;;) {
      chunk.clear();
      bool open = child_.read_for(100, chunk);
      std::lock_guard lock{mutex_};
      log_ += chunk;
      if (log_.find("\"listening\"") != std::string::npos) listening_ = true;
      if (log_.size() > log_tail_bytes) log_.erase(0, log_.size() - log_tail_bytes);
      if (!open) eof_ = true;
      changed_.notify_all();
      if (!open) return;
    }
  }

  int end() {
    drain_.join();  // the pipe closes when the process is gone
    ended_ = true;
    return child_.wait();
  }

  std::uint16_t port_;
  test::child_process child_;
  std::thread drain_;
  bool ended_ = false;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string log_;         // guarded by mutex_
  bool listening_ = false;  // guarded by mutex_
  bool eof_ = false;        // guarded by mutex_
};

}  // namespace dort::torture
