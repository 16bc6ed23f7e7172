// What the benchmark programs share: a temporary data directory, runtime options as BENCHMARKS.md
// fixes them, flag parsing, percentiles, peak RSS, the single JSON result line, reply parsing,
// waiting for client actors to quit (with progress on stderr and a deadline that keeps a program
// under the 5-minute rule).
#pragma once

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>

#include "runtime/runtime.hpp"

namespace dort::bench {

using clock = std::chrono::steady_clock;

inline double seconds_between(clock::time_point from, clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

inline std::int64_t ns_between(clock::time_point from, clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count();
}

// -- temporary data directory ----------------------------------------------------------------

/// A fresh directory from mkdtemp under /tmp, removed with everything in it on destruction.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern = "/tmp/dort-bench-XXXXXX";
    if (!::mkdtemp(pattern.data())) {
      std::perror("mkdtemp");
      std::exit(2);
    }
    path_ = pattern;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() { remove(); }

  void remove() noexcept {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    path_.clear();
  }

  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

/// The runtime options every benchmark uses: strict durability (relaxed only when asked for, to
/// explore), 2 scheduler threads.
inline runtime_options bench_options(const std::filesystem::path& data_dir, bool relaxed = false) {
  runtime_options options;
  options.data_dir = data_dir;
  options.mode = relaxed ? durability::relaxed : durability::strict;
  options.scheduler_threads = 2;
  return options;
}

// -- flags -----------------------------------------------------------------------------------

/// Flags of the form `--name N` or `--name=N` (integers only). Unknown flags end the program.
class flags {
 public:
  flags(int argc, char** argv, std::vector<std::string> known) : known_(std::move(known)) {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "-h" || arg == "--help") usage(argv[0], 0);
      if (arg.rfind("--", 0) != 0) usage(argv[0], 2);
      std::string name = arg.substr(2);
      std::string value;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        usage(argv[0], 2);
      }
      if (std::find(known_.begin(), known_.end(), name) == known_.end()) usage(argv[0], 2);
      long long n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || end != value.data() + value.size() || n < 0) usage(argv[0], 2);
      values_[name] = n;
    }
  }

  std::uint64_t get(const std::string& name, std::uint64_t fallback) const {
    auto i = values_.find(name);
    return i == values_.end() ? fallback : static_cast<std::uint64_t>(i->second);
  }

 private:
  [[noreturn]] void usage(const char* program, int code) const {
    std::cerr << "usage: " << program;
    for (const auto& k : known_) std::cerr << " [--" << k << " N]";
    std::cerr << "\n(no flags: the condition of BENCHMARKS.md)\n";
    std::exit(code);
  }

  std::vector<std::string> known_;
  std::map<std::string, long long> values_;
};

// -- statistics ------------------------------------------------------------------------------

/// Returns the `p`-th percentile (0 < p ≤ 100, nearest rank) of `ns` in microseconds; sorts `ns`.
inline double percentile_us(std::vector<std::int64_t>& ns, double p) {
  if (ns.empty()) return 0;
  if (!std::is_sorted(ns.begin(), ns.end())) std::sort(ns.begin(), ns.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(ns.size())));
  rank = std::clamp<std::size_t>(rank, 1, ns.size());
  return static_cast<double>(ns[rank - 1]) / 1000.0;
}

/// Returns the mean time of one group commit (fsync included) in microseconds, or 0.
inline double commit_avg_us(const runtime_stats& stats) {
  if (stats.commits == 0) return 0;
  return static_cast<double>(stats.commit_ns) / 1e3 / static_cast<double>(stats.commits);
}

/// Returns the field `name` (e.g. "VmRSS") of /proc/self/status, given there in kB, in MiB; or -1
/// if unknown.
inline double proc_status_mb(std::string_view name) {
  std::ifstream status{"/proc/self/status"};
  std::string line;
  while (std::getline(status, line)) {
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 &&
        line[name.size()] == ':') {
      std::istringstream in{line.substr(name.size() + 1)};
      double kb = 0;
      in >> kb;
      return kb / 1024.0;
    }
  }
  return -1;
}

/// Returns the peak resident set size of this process (VmHWM) in MiB, or -1 if unknown.
inline double peak_rss_mb() { return proc_status_mb("VmHWM"); }

/// Returns the resident set size of this process now (VmRSS) in MiB, or -1 if unknown.
inline double current_rss_mb() { return proc_status_mb("VmRSS"); }

// -- replies ---------------------------------------------------------------------------------

/// Returns N of a reply that is exactly `{"value":N}`, or nothing.
inline std::optional<std::int64_t> parse_value(std::string_view reply) {
  constexpr std::string_view head = R"({"value":)";
  if (reply.size() <= head.size() + 1 || reply.substr(0, head.size()) != head ||
      reply.back() != '}')
    return std::nullopt;
  std::int64_t n = 0;
  const char* first = reply.data() + head.size();
  const char* last = reply.data() + reply.size() - 1;
  auto [end, ec] = std::from_chars(first, last, n);
  if (ec != std::errc{} || end != last) return std::nullopt;
  return n;
}

// -- the result line -------------------------------------------------------------------------

/// Builds the one JSON line a benchmark prints on stdout.
class json_line {
 public:
  json_line& add(std::string_view key, std::string_view value) {
    sep(key);
    out_ << '"';
    for (char c : value) {
      if (c == '"' || c == '\\')
        out_ << '\\' << c;
      else if (static_cast<unsigned char>(c) < 0x20)
        out_ << ' ';
      else
        out_ << c;
    }
    out_ << '"';
    return *this;
  }
  json_line& add(std::string_view key, const char* value) {
    return add(key, std::string_view{value});
  }
  json_line& add(std::string_view key, bool value) {
    sep(key);
    out_ << (value ? "true" : "false");
    return *this;
  }
  json_line& add(std::string_view key, std::uint64_t value) {
    sep(key);
    out_ << value;
    return *this;
  }
  json_line& add(std::string_view key, std::int64_t value) {
    sep(key);
    out_ << value;
    return *this;
  }
  json_line& add(std::string_view key, int value) { return add(key, std::int64_t{value}); }
  /// A number with `decimals` digits after the point.
  json_line& add(std::string_view key, double value, int decimals = 1) {
    sep(key);
    if (!std::isfinite(value)) value = 0;
    out_ << std::fixed << std::setprecision(decimals) << value;
    return *this;
  }

  /// Prints the line on stdout and flushes.
  void print() const { std::cout << out_.str() << '}' << std::endl; }

 private:
  void sep(std::string_view key) {
    out_ << (first_ ? "{" : ",") << '"' << key << "\":";
    first_ = false;
  }

  std::ostringstream out_;
  bool first_ = true;
};

// -- waiting for client actors ---------------------------------------------------------------

/// Longest a benchmark waits for its clients before it gives up unverified (rule: < 5 minutes).
constexpr std::chrono::seconds default_deadline{270};

/// Waits until every actor of `actors` has quit (terminated, not only finished its work).
/// Every second prints `label: progress()/total` on stderr. Returns false if `deadline` passed.
inline bool wait_until_quit(const std::vector<caf::actor>& actors, std::string_view label,
                            const std::function<std::uint64_t()>& progress, std::uint64_t total,
                            std::chrono::seconds deadline = default_deadline) {
  struct shared {
    std::mutex mutex;
    std::condition_variable cv;
    std::size_t left;
  };
  auto state = std::make_shared<shared>();
  state->left = actors.size();
  for (const auto& a : actors)
    a->attach_functor([state](const caf::error&) {
      std::lock_guard guard{state->mutex};
      if (--state->left == 0) state->cv.notify_all();
    });
  auto start = clock::now();
  std::unique_lock lock{state->mutex};
  while (state->left > 0) {
    if (state->cv.wait_for(lock, std::chrono::seconds{1}, [&] { return state->left == 0; })) break;
    std::cerr << label << ": " << progress() << '/' << total << " after " << std::fixed
              << std::setprecision(1) << seconds_between(start, clock::now()) << " s\n";
    if (clock::now() - start > deadline) return false;
  }
  return true;
}

/// Polls `done` every `poll` until it returns true. Every second prints `label: progress()/total`
/// on stderr, followed by `detail()` if given. Returns false if `deadline` passed first.
inline bool wait_until_true(const std::function<bool()>& done, std::string_view label,
                            const std::function<std::uint64_t()>& progress, std::uint64_t total,
                            std::chrono::seconds deadline = default_deadline,
                            std::chrono::milliseconds poll = std::chrono::milliseconds{5},
                            const std::function<std::string()>& detail = {}) {
  auto start = clock::now();
  auto next_report = start + std::chrono::seconds{1};
  while (!done()) {
    auto now = clock::now();
    if (now - start > deadline) return false;
    if (now >= next_report) {
      std::cerr << label << ": " << progress() << '/' << total << " after " << std::fixed
                << std::setprecision(1) << seconds_between(start, now) << " s"
                << (detail ? detail() : std::string{}) << '\n';
      next_report += std::chrono::seconds{1};
    }
    std::this_thread::sleep_for(poll);
  }
  return true;
}

/// Runs `body`, which fills `result` and returns whether the run checked out; then removes `dir`
/// and prints the one JSON line with "verified". An exception is reported in the line and makes
/// the run unverified. Returns the program's exit code.
inline int report(std::string_view bench_name, json_line& result, temp_dir& dir,
                  const std::function<bool()>& body) {
  bool verified = false;
  try {
    verified = body();
  } catch (const std::exception& e) {
    std::cerr << bench_name << ": failed: " << e.what() << '\n';
    result.add("error", e.what());
  }
  dir.remove();
  result.add("verified", verified).print();
  return verified ? 0 : 1;
}

/// Prints an unverified result line with `why` and ends the process at once, without running
/// destructors (used when the runtime is stuck: its destructor would wait for stuck objects).
[[noreturn]] inline void give_up(std::string_view bench_name, std::string_view why, temp_dir& dir) {
  std::cerr << bench_name << ": giving up: " << why << '\n';
  dir.remove();
  json_line{}.add("bench", bench_name).add("error", why).add("verified", false).print();
  std::fflush(nullptr);
  std::_Exit(1);
}

/// Like the above, but prints `partial` — the fields measured so far, "bench" among them — with
/// "error" and "verified": false added.
[[noreturn]] inline void give_up(std::string_view bench_name, std::string_view why, temp_dir& dir,
                                 json_line& partial) {
  std::cerr << bench_name << ": giving up: " << why << '\n';
  dir.remove();
  partial.add("error", why).add("verified", false).print();
  std::fflush(nullptr);
  std::_Exit(1);
}

}  // namespace dort::bench
