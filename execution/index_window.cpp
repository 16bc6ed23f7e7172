#include "execution/index_window.hpp"

namespace dort {

void index_window::add(const std::string& key, const std::string& id) {
  if (!inside(key)) {
    store_.put(key, id);  // beyond the window: storage alone holds it
    return;
  }
  entries_.insert_or_assign(key, id);
  unwritten_.insert(key);
  if (entries_.size() > 2 * window_) trim();
}

void index_window::remove(const std::string& key) {
  entries_.erase(key);
  if (unwritten_.erase(key) == 0) store_.del(key);
}

const std::pair<const std::string, std::string>* index_window::front() {
  if (entries_.empty() && !complete_) refill();
  if (entries_.empty()) return nullptr;
  return &*entries_.begin();
}

void index_window::flush() {
  for (const auto& key : unwritten_) {
    auto it = entries_.find(key);
    if (it != entries_.end()) store_.put(key, it->second);
  }
  unwritten_.clear();
}

void index_window::reset() {
  entries_.clear();
  unwritten_.clear();
  bound_.clear();
  complete_ = false;
}

void index_window::refill() {
  // Memory is empty, so storage's first keys are the index's first keys: nothing this message
  // added is unwritten (unwritten keys are always in memory).
  list_options page;
  page.prefix = prefix_;
  if (!bound_.empty()) page.start = bound_;
  page.limit = window_;
  auto found = store_.list(page);
  for (auto& [key, id] : found) entries_.emplace(std::move(key), std::move(id));
  if (found.size() < window_) {
    complete_ = true;
  } else {
    bound_ = entries_.rbegin()->first;
    bound_.push_back('\0');  // the smallest key after the last one read
  }
}

void index_window::trim() {
  // Keep the first `window_` entries; the rest live in storage only (written now if they were
  // waiting for the message's end).
  auto first_dropped = std::next(entries_.begin(), static_cast<std::ptrdiff_t>(window_));
  bound_ = first_dropped->first;
  complete_ = false;
  for (auto it = first_dropped; it != entries_.end(); ++it)
    if (unwritten_.erase(it->first) > 0) store_.put(it->first, it->second);
  entries_.erase(first_dropped, entries_.end());
}

}  // namespace dort
