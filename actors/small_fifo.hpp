// A first-in-first-out queue that allocates nothing until its first push. An object actor keeps
// three of them (waiting replies, alarm changes, durable callbacks), usually empty or holding a
// few entries; std::deque allocates ~600 bytes on construction, which a hundred thousand live
// objects pay three times over.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace dort {

template <class T>
class small_fifo {
 public:
  bool empty() const noexcept { return head_ == items_.size(); }
  std::size_t size() const noexcept { return items_.size() - head_; }

  T& front() { return items_[head_]; }

  template <class... Args>
  void emplace_back(Args&&... args) {
    items_.emplace_back(std::forward<Args>(args)...);
  }
  void push_back(T item) { items_.push_back(std::move(item)); }

  void pop_front() {
    if (++head_ == items_.size()) {
      clear();  // empty again: reuse the storage from the start
    } else if (head_ >= 64 && head_ * 2 >= items_.size()) {
      // A queue that never runs empty drops its consumed half now and then (amortised O(1)).
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  void clear() {
    items_.clear();
    head_ = 0;
  }

  auto begin() { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  auto end() { return items_.end(); }

 private:
  std::vector<T> items_;
  std::size_t head_ = 0;
};

}  // namespace dort
