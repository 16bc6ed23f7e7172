// Starts a child process (`dort_test_child` by default) with its stdout or stderr on a pipe,
// reads its lines, stops or kills it.
#pragma once

#include <csignal>
#include <stdexcept>
#include <string>
#include <vector>

#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace dort::test {

class child_process {
 public:
  explicit child_process(std::vector<std::string> args)
      : child_process(DORT_TEST_CHILD, std::move(args), STDOUT_FILENO) {}

  /// Starts `program` with `args`, its output `capture_fd` (stdout or stderr) on the pipe.
  child_process(std::string program, std::vector<std::string> args, int capture_fd) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error{"pipe failed"};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], capture_fd);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    args.insert(args.begin(), program);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) throw std::runtime_error{"posix_spawn failed"};
    out_ = fds[0];
  }
  child_process(const child_process&) = delete;

  ~child_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
    ::close(out_);
  }

  /// Reads what the child wrote within `timeout_ms` (less if it closes stdout); appends to
  /// `text`. Returns false at end of output.
  bool read_for(int timeout_ms, std::string& text) {
    pollfd p{out_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return true;
    char buffer[65536];
    auto n = ::read(out_, buffer, sizeof buffer);
    if (n <= 0) return false;
    text.append(buffer, static_cast<std::size_t>(n));
    return true;
  }

  /// Reads everything until the child closes its stdout.
  void read_all(std::string& text) {
    while (read_for(-1, text)) {
    }
  }

  /// The child's process id (-1 once waited for).
  pid_t pid() const { return pid_; }

  void kill_hard() { ::kill(pid_, SIGKILL); }

  /// Asks the child to stop (SIGTERM).
  void terminate() { ::kill(pid_, SIGTERM); }

  /// Waits for the child to end; returns its wait status.
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

}  // namespace dort::test
