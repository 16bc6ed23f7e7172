#include "execution/rate_limiter.hpp"

#include <algorithm>

#include "execution/task_keys.hpp"
#include "persistence/error.hpp"

namespace dort {

namespace {

/// Names (or groups) whose states memory keeps at most; states are read again as needed.
constexpr std::size_t max_cached_names = 65'536;

std::string encode_be(std::uint64_t v) {
  std::string out;
  task_keys::append_be(out, v, 8);
  return out;
}

}  // namespace

std::string rate_limiter::name_prefix(std::string_view name) const {
  std::string k{prefix_};
  task_keys::append_be(k, name.size(), 2);
  k += name;
  return k;
}

std::string rate_limiter::start_key(std::string_view name, std::uint64_t number) const {
  auto k = name_prefix(name) + "n";
  task_keys::append_be(k, number, 8);
  return k;
}

rate_limiter::name_state& rate_limiter::state_of(const std::string& name) {
  if (names_.size() >= max_cached_names && !names_.contains(name)) names_.clear();
  auto [it, inserted] = names_.try_emplace(name);
  if (inserted) {
    if (auto stored = store_.get(state_key(name))) {
      if (stored->size() != 40) {
        names_.erase(it);
        throw error{errc::storage_failure, "damaged rate-limit record of '" + name + "'"};
      }
      std::string_view s{*stored};
      auto& st = it->second;
      st.next = task_keys::read_be(s.substr(0, 8));
      st.oldest = task_keys::read_be(s.substr(8, 8));
      st.last_ms = static_cast<std::int64_t>(task_keys::read_be(s.substr(16, 8)));
      st.max_window_ms = static_cast<std::int64_t>(task_keys::read_be(s.substr(24, 8)));
      st.max_executions = static_cast<std::int64_t>(task_keys::read_be(s.substr(32, 8)));
      if (st.oldest > st.next) {
        names_.erase(it);
        throw error{errc::storage_failure, "damaged rate-limit record of '" + name + "'"};
      }
    }
  }
  return it->second;
}

void rate_limiter::save(const std::string& name, const name_state& st) {
  std::string out;
  out.reserve(40);
  task_keys::append_be(out, st.next, 8);
  task_keys::append_be(out, st.oldest, 8);
  task_keys::append_be(out, static_cast<std::uint64_t>(st.last_ms), 8);
  task_keys::append_be(out, static_cast<std::uint64_t>(st.max_window_ms), 8);
  task_keys::append_be(out, static_cast<std::uint64_t>(st.max_executions), 8);
  store_.put(state_key(name), out);
}

std::int64_t rate_limiter::start_time(const std::string& name, std::uint64_t number) {
  auto stored = store_.get(start_key(name, number));
  if (!stored || stored->size() != 8)
    throw error{errc::storage_failure,
                "missing rate-limit start " + std::to_string(number) + " of '" + name + "'"};
  return static_cast<std::int64_t>(task_keys::read_be(*stored));
}

void rate_limiter::admit(const std::string& name, const rate_limit& limit) {
  auto& st = state_of(name);
  if (limit.window_ms <= st.max_window_ms && limit.max_executions <= st.max_executions) return;
  st.max_window_ms = std::max(st.max_window_ms, limit.window_ms);
  st.max_executions = std::max(st.max_executions, limit.max_executions);
  save(name, st);
}

std::optional<std::int64_t> rate_limiter::held_until(const std::string& name,
                                                     const rate_limit& limit, std::int64_t now_ms) {
  auto& st = state_of(name);
  const auto kept = st.next - st.oldest;
  if (kept < static_cast<std::uint64_t>(limit.max_executions)) return std::nullopt;
  // The first start inside the window (time > now − window): times never decrease with the
  // start number, so a binary search finds it.
  const auto window_start = now_ms - limit.window_ms;
  std::uint64_t lo = st.oldest, hi = st.next;
  while (lo < hi) {
    auto mid = lo + (hi - lo) / 2;
    if (start_time(name, mid) > window_start)
      hi = mid;
    else
      lo = mid + 1;
  }
  const auto in_window = st.next - lo;
  if (in_window < static_cast<std::uint64_t>(limit.max_executions)) return std::nullopt;
  // The next start is allowed once the max-th latest start has left the window.
  const auto deciding = st.next - static_cast<std::uint64_t>(limit.max_executions);
  return start_time(name, deciding) + limit.window_ms;
}

void rate_limiter::record_start(const std::string& name, const rate_limit& limit,
                                std::int64_t now_ms) {
  admit(name, limit);
  auto& st = state_of(name);
  st.last_ms = std::max(st.last_ms, now_ms);
  store_.put(start_key(name, st.next), encode_be(static_cast<std::uint64_t>(st.last_ms)));
  ++st.next;
  for (int i = 0; i < max_trims_per_start && st.oldest < st.next; ++i) {
    const bool beyond_limits = st.next - st.oldest > static_cast<std::uint64_t>(st.max_executions);
    if (!beyond_limits && start_time(name, st.oldest) > st.last_ms - st.max_window_ms) break;
    store_.del(start_key(name, st.oldest));
    ++st.oldest;
  }
  save(name, st);
}

}  // namespace dort
