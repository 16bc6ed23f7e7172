// One libcurl multi handle driven by one thread, so that transfers in flight hold no thread each.
// Transfers are handed to the loop thread through a mutex-guarded queue and a wakeup of its poll.
// Each transfer ends with exactly one call of its `finished`, on the loop thread, unless the loop
// is destroyed first: transfers still queued or in flight then are dropped without a call (their
// owners must not rely on being told). At most `max_transfers` are queued or in flight at once.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace dort {

/// Initialises libcurl once per process (curl_global_init); every user of libcurl calls it first.
void init_curl_once();

/// One transfer: an easy handle that the derived class configures, and what to do with its result.
class curl_transfer {
 public:
  /// Creates the easy handle; throws `std::runtime_error` if libcurl cannot.
  curl_transfer();
  curl_transfer(const curl_transfer&) = delete;
  curl_transfer& operator=(const curl_transfer&) = delete;
  virtual ~curl_transfer();

  /// Returns the easy handle, owned by this transfer.
  CURL* easy() const noexcept { return easy_; }

  /// Called once on the loop thread when the transfer ended with `result` (CURLE_OK or an error).
  /// Must not throw: the loop thread serves every other transfer.
  virtual void finished(CURLcode result) noexcept = 0;

 private:
  CURL* easy_;
};

class curl_loop {
 public:
  /// Transfers queued or in flight at once; past it `start` refuses. Far above what executions
  /// run at once (their concurrency is at most 1,024 each), it bounds sockets and memory.
  static constexpr std::size_t max_transfers = 10'000;

  /// Starts the loop thread; throws `std::runtime_error` if libcurl cannot make a multi handle.
  curl_loop();
  curl_loop(const curl_loop&) = delete;
  curl_loop& operator=(const curl_loop&) = delete;
  /// Stops the thread; transfers not finished are dropped without calling `finished`.
  ~curl_loop();

  /// Hands `transfer` to the loop thread. Returns false (and destroys it) when `max_transfers`
  /// are queued or in flight already.
  bool start(std::unique_ptr<curl_transfer> transfer);

  /// Cuts the loop's wait short, so that libcurl runs its callbacks now: a transfer that has to
  /// stop (its progress callback aborts it) is then stopped at once instead of within a second.
  void wake() { curl_multi_wakeup(multi_); }

 private:
  /// Longest wait of the loop's poll: libcurl's own timers shorten it, wakeups cut it short.
  static constexpr int max_poll_ms = 1'000;

  void run();
  void add(std::unique_ptr<curl_transfer> transfer);
  void finish_done();

  CURLM* multi_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<curl_transfer>> queue_;  // guarded by mutex_
  std::size_t transfers_ = 0;                          // queued + in flight, guarded by mutex_
  bool stopping_ = false;                              // guarded by mutex_
  std::unordered_map<CURL*, std::unique_ptr<curl_transfer>> in_flight_;  // loop thread only
  std::thread thread_;
};

}  // namespace dort
