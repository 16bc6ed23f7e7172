#include "persistence/object_store.hpp"

#include <atomic>
#include <iterator>

#include <algorithm>
#include <limits>

#include "persistence/catalogue.hpp"
#include "persistence/key_encoding.hpp"
#include "persistence/object_range.hpp"

namespace dort {

object_store::object_store(environment& env, group_commit& writer, object_id id,
                           std::string class_name, std::string name, storage_limits limits,
                           commit_callback on_commit)
    : env_(env),
      writer_(writer),
      id_(id),
      class_name_(std::move(class_name)),
      name_(std::move(name)),
      limits_(limits),
      on_commit_(std::move(on_commit)) {
  auto txn = env_.begin_read();
  if (auto record = txn.get(env_.data_db(), catalogue_key(id_))) {
    if (*record != encode_catalogue_record(class_name_, name_))
      throw error{errc::id_collision, "object id " + id_.to_hex() + " is taken by another object"};
    catalogued_ = true;
  }
  open_queue();
}

void object_store::open_queue() {
  queue_ = std::make_shared<commit_queue>(
      id_, [cb = on_commit_, generation = generation_](std::uint64_t seq, const error* failure) {
        cb(generation, seq, failure ? std::optional<error>{*failure} : std::nullopt);
      });
}

std::optional<std::uint64_t> object_store::finish_message() {
  if (current_.empty() && current_extra_.empty()) return std::nullopt;
  std::uint64_t seq = ++last_seq_;
  std::optional<std::string> catalogue;
  if (!catalogued_) {
    catalogue = encode_catalogue_record(class_name_, name_);
    catalogued_ = true;
  }
  if (queue_->append(current_, std::move(current_extra_), std::move(catalogue), seq))
    writer_.submit(queue_);
  current_extra_.clear();
  for (auto& [key, value] : current_) {
    auto& entry = overlay_[key];
    entry.value = std::move(value);
    entry.seq = seq;
  }
  current_.clear();
  return seq;
}

bool object_store::on_durable(std::uint64_t generation, std::uint64_t seq) {
  if (generation != generation_) return false;
  durable_seq_ = std::max(durable_seq_, seq);
  for (auto it = overlay_.begin(); it != overlay_.end();) {
    if (it->second.seq <= seq)
      it = overlay_.erase(it);
    else
      ++it;
  }
  return true;
}

void object_store::reset() {
  current_.clear();
  current_extra_.clear();
  overlay_.clear();
  ++generation_;
  durable_seq_ = last_seq_;
  // The catalogue record may have been in the lost commit: look again.
  auto txn = env_.begin_read();
  catalogued_ = txn.get(env_.data_db(), catalogue_key(id_)).has_value();
  open_queue();
}

// -- reads and writes -------------------------------------------------------------------------

const std::optional<std::string>* object_store::find_in_memory(std::string_view key) const {
  if (auto it = current_.find(key); it != current_.end()) return &it->second;
  if (auto it = overlay_.find(key); it != overlay_.end()) return &it->second.value;
  return nullptr;
}

void object_store::check_key(std::string_view key) const {
  if (key.empty()) throw error{errc::invalid_field, "a storage key must not be empty", "key"};
  if (key.size() > limits_.max_key_bytes)
    throw error{errc::too_large,
                "a storage key is " + std::to_string(key.size()) + " bytes; the limit is " +
                    std::to_string(limits_.max_key_bytes),
                "key"};
}

void object_store::check_value(std::string_view value) const {
  if (value.size() > limits_.max_value_bytes)
    throw error{errc::too_large,
                "a storage value is " + std::to_string(value.size()) + " bytes; the limit is " +
                    std::to_string(limits_.max_value_bytes),
                "value"};
}

void object_store::check_batch_size(std::size_t count) const {
  if (count > limits_.max_keys_per_call)
    throw error{errc::invalid_field,
                std::to_string(count) + " keys in one call; the limit is " +
                    std::to_string(limits_.max_keys_per_call),
                "keys"};
}

namespace {

/// Storage reads of every object of the process (see object_store::reads_total).
std::atomic<std::uint64_t> reads{0};

}  // namespace

std::uint64_t object_store::reads_total() noexcept {
  return reads.load(std::memory_order_relaxed);
}

std::optional<std::string> object_store::get(std::string_view key) {
  check_key(key);
  reads.fetch_add(1, std::memory_order_relaxed);
  if (auto* known = find_in_memory(key)) return *known;
  std::string full;
  encode_data_key(id_, key, full);
  auto txn = env_.begin_read();
  auto value = txn.get(env_.data_db(), full);
  if (!value) return std::nullopt;
  return std::string{*value};
}

void object_store::put(std::string_view key, std::string_view value) {
  check_key(key);
  check_value(value);
  current_.insert_or_assign(std::string{key}, std::string{value});
}

bool object_store::del(std::string_view key) {
  bool existed = get(key).has_value();
  current_.insert_or_assign(std::string{key}, std::nullopt);
  return existed;
}

std::vector<key_value> object_store::list(const list_options& options) {
  std::vector<key_value> out;
  std::size_t limit = options.limit.value_or(std::numeric_limits<std::size_t>::max());
  if (limit == 0) return out;
  std::string lo = options.prefix;
  if (options.start && *options.start > lo) lo = *options.start;
  std::optional<std::string> hi = prefix_successor(options.prefix);
  if (options.end && (!hi || *options.end < *hi)) hi = options.end;
  if (hi && lo >= *hi) return out;

  // What memory knows of the range, the running message's writes over the overlay's: only
  // its first entries in the listing's order, up to `limit` live ones. Entries beyond them
  // cannot be in the answer (those `limit` live keys come first), so a `limit` 1 listing of a
  // prefix with many unwritten keys copies one, not all of them.
  std::map<std::string, std::optional<std::string>, std::less<>> memory;
  auto collect = [&](auto o, auto o_end, auto c, auto c_end, auto before) {
    std::size_t live = 0;
    while ((o != o_end || c != c_end) && live < limit) {
      const std::optional<std::string>* value;
      const std::string* key;
      if (c == c_end || (o != o_end && before(o->first, c->first))) {
        key = &o->first;
        value = &o->second.value;
        ++o;
      } else {
        if (o != o_end && o->first == c->first) ++o;  // the running message's write is newer
        key = &c->first;
        value = &c->second;
        ++c;
      }
      memory.insert_or_assign(*key, *value);
      if (*value) ++live;
    }
  };
  auto o_lo = overlay_.lower_bound(lo);
  auto o_hi = hi ? overlay_.lower_bound(*hi) : overlay_.end();
  auto c_lo = current_.lower_bound(lo);
  auto c_hi = hi ? current_.lower_bound(*hi) : current_.end();
  if (options.reverse)
    collect(std::make_reverse_iterator(o_hi), std::make_reverse_iterator(o_lo),
            std::make_reverse_iterator(c_hi), std::make_reverse_iterator(c_lo),
            [](const std::string& a, const std::string& b) { return a > b; });
  else
    collect(o_lo, o_hi, c_lo, c_hi, [](const std::string& a, const std::string& b) { return a < b; });

  auto txn = env_.begin_read();
  object_range disk{txn, env_.data_db(), id_, lo, hi, options.reverse};
  std::uint64_t stepped = 1;  // the seek
  auto merge = [&](auto mem, auto mem_end, auto before) {
    while (out.size() < limit) {
      bool have_mem = mem != mem_end;
      if (!disk.valid() && !have_mem) break;
      if (disk.valid() && (!have_mem || before(disk.key(), mem->first))) {
        out.emplace_back(std::string{disk.key()}, std::string{disk.value()});
        disk.next();
        ++stepped;
        continue;
      }
      if (disk.valid() && disk.key() == mem->first) {
        disk.next();  // memory is newer
        ++stepped;
      }
      if (mem->second) out.emplace_back(mem->first, *mem->second);
      ++mem;
    }
  };
  if (options.reverse)
    merge(memory.rbegin(), memory.rend(),
          [](std::string_view a, std::string_view b) { return a > b; });
  else
    merge(memory.begin(), memory.end(),
          [](std::string_view a, std::string_view b) { return a < b; });
  reads.fetch_add(stepped + memory.size(), std::memory_order_relaxed);
  return out;
}

std::function<void()> object_store::savepoint() {
  std::vector<std::function<void()>> restores;
  restores.reserve(savepoint_sources_.size());
  for (auto& source : savepoint_sources_) restores.push_back(source());
  return [this, writes = current_, extra_count = current_extra_.size(),
          restores = std::move(restores)]() mutable {
    current_ = std::move(writes);
    current_extra_.resize(extra_count);
    for (auto& restore : restores) restore();
  };
}

}  // namespace dort
