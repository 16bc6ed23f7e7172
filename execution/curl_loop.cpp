#include "execution/curl_loop.hpp"

#include <stdexcept>

namespace dort {

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw std::runtime_error{"libcurl could not be initialised"};
  });
}

curl_transfer::curl_transfer() {
  init_curl_once();
  easy_ = curl_easy_init();
  if (easy_ == nullptr) throw std::runtime_error{"libcurl could not make an easy handle"};
}

curl_transfer::~curl_transfer() {
  curl_easy_cleanup(easy_);
}

curl_loop::curl_loop() {
  init_curl_once();
  multi_ = curl_multi_init();
  if (multi_ == nullptr) throw std::runtime_error{"libcurl could not make a multi handle"};
  thread_ = std::thread{[this] { run(); }};
}

curl_loop::~curl_loop() {
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  curl_multi_wakeup(multi_);
  thread_.join();
  // An easy handle leaves its multi handle before either is cleaned up.
  for (auto& [easy, transfer] : in_flight_) curl_multi_remove_handle(multi_, easy);
  in_flight_.clear();
  queue_.clear();
  curl_multi_cleanup(multi_);
}

bool curl_loop::start(std::unique_ptr<curl_transfer> transfer) {
  {
    std::lock_guard lock{mutex_};
    if (stopping_ || transfers_ >= max_transfers) return false;
    ++transfers_;
    queue_.push_back(std::move(transfer));
  }
  curl_multi_wakeup(multi_);
  return true;
}

void curl_loop::run() {
  std::vector<std::unique_ptr<curl_transfer>> incoming;
  for (;;) {
    {
      std::lock_guard lock{mutex_};
      if (stopping_) return;
      incoming.swap(queue_);
    }
    for (auto& transfer : incoming) add(std::move(transfer));
    incoming.clear();
    int running = 0;
    curl_multi_perform(multi_, &running);
    finish_done();
    // A wakeup that comes before the poll is not lost: it stays readable until the poll.
    curl_multi_poll(multi_, nullptr, 0, max_poll_ms, nullptr);
  }
}

void curl_loop::add(std::unique_ptr<curl_transfer> transfer) {
  CURL* easy = transfer->easy();
  if (curl_multi_add_handle(multi_, easy) != CURLM_OK) {
    {
      std::lock_guard lock{mutex_};
      --transfers_;
    }
    transfer->finished(CURLE_FAILED_INIT);
    return;
  }
  in_flight_.emplace(easy, std::move(transfer));
}

void curl_loop::finish_done() {
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    // The message dies with the handle's removal: copy what it says first.
    CURL* easy = message->easy_handle;
    CURLcode result = message->data.result;
    curl_multi_remove_handle(multi_, easy);
    auto node = in_flight_.extract(easy);
    {
      std::lock_guard lock{mutex_};
      --transfers_;
    }
    if (!node.empty()) node.mapped()->finished(result);
  }
}

}  // namespace dort
