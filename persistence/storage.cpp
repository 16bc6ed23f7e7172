#include "persistence/storage.hpp"

#include "persistence/object_store.hpp"

namespace dort {

std::optional<std::string> storage::get(std::string_view key) {
  return store_.get(key);
}

std::vector<std::optional<std::string>> storage::get(const std::vector<std::string>& keys) {
  store_.check_batch_size(keys.size());
  for (const auto& key : keys) store_.check_key(key);
  std::vector<std::optional<std::string>> values;
  values.reserve(keys.size());
  for (const auto& key : keys) values.push_back(store_.get(key));
  return values;
}

void storage::put(std::string_view key, std::string_view value) {
  store_.put(key, value);
}

void storage::put(const std::vector<key_value>& entries) {
  store_.check_batch_size(entries.size());
  // Check everything first, so that a violation writes none of the entries.
  for (const auto& [key, value] : entries) {
    store_.check_key(key);
    store_.check_value(value);
  }
  for (const auto& [key, value] : entries) store_.put(key, value);
}

bool storage::del(std::string_view key) {
  return store_.del(key);
}

std::size_t storage::del(const std::vector<std::string>& keys) {
  store_.check_batch_size(keys.size());
  for (const auto& key : keys) store_.check_key(key);
  std::size_t existed = 0;
  for (const auto& key : keys) existed += store_.del(key) ? 1 : 0;
  return existed;
}

std::vector<key_value> storage::list(const list_options& options) {
  return store_.list(options);
}

void storage::delete_all() {
  for (auto& [key, value] : store_.list({})) store_.current().insert_or_assign(key, std::nullopt);
}

void storage::transaction(const std::function<void()>& fn) {
  auto undo = store_.savepoint();
  try {
    fn();
  } catch (...) {
    undo();
    throw;
  }
}

const storage_limits& storage::limits() const noexcept {
  return store_.limits();
}

}  // namespace dort
