// What dort reads back from LMDB: stored task records (decode_task), the layout of object keys
// (key_encoding.hpp), the execution's index keys (task_keys.hpp) and catalogue records. The first
// byte chooses (modulo 4): 't' a task record, 'e' data keys, 'r' index keys, 'c' a catalogue
// record. Properties beyond "no crash, no undefined behaviour":
// - decode_task of anything returns a record or throws dort::error storage_failure; a record it
//   returns encodes to a text that decodes to the same encoding (a fixpoint), and from a record
//   that is valid JSON (no repeated keys) the one clients see is one such JSON object;
// - a data key decodes to its user key, keeps the id as prefix, orders as the user keys do within
//   an object and as the ids do across objects;
// - index keys order as the execution needs (priority high first then oldest; wake time then
//   submission number; events of one task contiguous and in order) and read back their numbers;
// - a catalogue record decodes to its class and name, and what decodes encodes back the same.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "actors/json_reader.hpp"
#include "execution/task_keys.hpp"
#include "execution/task_record.hpp"
#include "fuzz_support.hpp"
#include "persistence/catalogue.hpp"
#include "persistence/error.hpp"
#include "persistence/key_encoding.hpp"

namespace {

using dort::fuzz::fuzz_check;

/// Whether `text` is JSON as dort stores it: valid, and no object repeats a key (the bodies that
/// records are made of are read that way).
bool valid_json(std::string_view text) {
  try {
    dort::json_object_reader check{text};
    return true;
  } catch (const dort::error&) {
    return false;
  }
}

int sign(int c) { return (c > 0) - (c < 0); }

void task_record_round_trip(std::string_view stored) {
  dort::task_record task;
  try {
    task = dort::decode_task(stored);
  } catch (const dort::error& e) {
    fuzz_check(e.code() == dort::errc::storage_failure, "decode_task threw another code",
               e.what());
    return;
  }
  auto encoded = dort::encode_task(task);
  dort::task_record again;
  try {
    again = dort::decode_task(encoded);
  } catch (const dort::error& e) {
    fuzz_check(false, "a decoded record encodes to a text decode_task refuses", encoded);
  }
  fuzz_check(dort::encode_task(again) == encoded, "encode(decode(x)) is no fixpoint", encoded);
  // A record that is valid JSON without repeated keys gives clients such JSON. (One that is not,
  // yet decodes, can only come from damage: stored values are not validated on every read.)
  if (!valid_json(stored)) return;
  dort::json_writer api;
  dort::write_task(api, task);
  try {
    dort::json_object_reader check{api.str()};
  } catch (const dort::error& e) {
    fuzz_check(false, "the record clients see is not one valid JSON object", api.str());
  }
}

void data_keys(FuzzedDataProvider& in) {
  auto id_a = dort::object_id::from_bytes(in.ConsumeBytesAsString(16).append(16, '\0').substr(0, 16));
  auto id_b = in.ConsumeBool() ? id_a
                               : dort::object_id::from_bytes(
                                     in.ConsumeBytesAsString(16).append(16, '\0').substr(0, 16));
  auto key_a = in.ConsumeRandomLengthString(dort::max_key_bytes);
  auto key_b = in.ConsumeRandomLengthString(dort::max_key_bytes);
  std::string a, b;
  dort::encode_data_key(id_a, key_a, a);
  dort::encode_data_key(id_b, key_b, b);
  fuzz_check(a.starts_with(id_a.bytes()), "a data key does not start with its object's id");
  fuzz_check(dort::decode_user_key(a) == key_a, "decode_user_key(encode_data_key(k)) != k", key_a);
  fuzz_check(key_a.empty() || a != dort::catalogue_key(id_a),
             "a user key reaches the catalogue record");
  int order = sign(a.compare(b));
  if (id_a == id_b)
    fuzz_check(order == sign(key_a.compare(key_b)), "data keys of one object out of key order");
  else
    fuzz_check(order == (id_a < id_b ? -1 : 1), "data keys of two objects interleave");
}

void index_keys(FuzzedDataProvider& in) {
  using namespace dort::task_keys;
  auto p1 = in.ConsumeIntegralInRange<std::int64_t>(-1'000'000, 1'000'000);
  auto p2 = in.ConsumeIntegralInRange<std::int64_t>(-1'000'000, 1'000'000);
  auto s1 = in.ConsumeIntegral<std::uint64_t>();
  auto s2 = in.ConsumeIntegral<std::uint64_t>();
  // Higher priority first, then the older submission.
  int want = p1 != p2 ? (p1 > p2 ? -1 : 1) : sign((s1 > s2) - (s1 < s2));
  fuzz_check(sign(queue(p1, s1).compare(queue(p2, s2))) == want, "ready queue keys out of order");
  auto t1 = in.ConsumeIntegralInRange<std::int64_t>(0, INT64_MAX);
  auto t2 = in.ConsumeIntegralInRange<std::int64_t>(0, INT64_MAX);
  want = t1 != t2 ? (t1 < t2 ? -1 : 1) : sign((s1 > s2) - (s1 < s2));
  fuzz_check(sign(wake(t1, s1).compare(wake(t2, s2))) == want, "wake keys out of order");
  fuzz_check(wake_time(wake(t1, s1)) == t1, "wake_time(wake(t)) != t");
  fuzz_check(read_be(all(s1).substr(1)) == s1, "the submission number of an `a` key");
  auto status = static_cast<dort::task_status>(in.ConsumeIntegralInRange<int>(0, 5));
  fuzz_check(by_status(status, s1).starts_with(listing_prefix(status)), "status index prefix");
  fuzz_check(sign(all(s1).compare(all(s2))) == sign((s1 > s2) - (s1 < s2)),
             "`a` keys out of submission order");
  // Task ids are 1..256 bytes (API.md).
  auto id1 = in.ConsumeRandomLengthString(256);
  auto id2 = in.ConsumeRandomLengthString(256);
  auto e1 = in.ConsumeIntegral<std::uint32_t>();
  auto e2 = in.ConsumeIntegral<std::uint32_t>();
  fuzz_check(event(id1, e1).starts_with(events_prefix(id1)), "an event outside its task's range");
  if (id1 != id2)
    fuzz_check(!event(id2, e2).starts_with(events_prefix(id1)), "events of two tasks overlap");
  else
    fuzz_check(sign(event(id1, e1).compare(event(id1, e2))) == sign((e1 > e2) - (e1 < e2)),
               "events of one task out of order");
  fuzz_check(task(id1).substr(1) == id1 && idempotency(id1).substr(1) == id1 &&
                 rate(id1).substr(1) == id1,
             "a key does not keep its text");
}

void catalogue_record(FuzzedDataProvider& in) {
  dort::object_id id;
  auto record = in.ConsumeRemainingBytesAsString();
  if (auto entry = dort::decode_catalogue_record(id, record)) {
    fuzz_check(dort::encode_catalogue_record(entry->class_name, entry->name) == record,
               "encode(decode(record)) != record", record);
    // Class names hold no NUL (runtime.hpp): any name decodes back as written.
    auto again = dort::decode_catalogue_record(id, dort::encode_catalogue_record(
                                                       entry->class_name, record));
    fuzz_check(again && again->class_name == entry->class_name && again->name == record,
               "a name with any bytes does not decode back");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view rest{reinterpret_cast<const char*>(data) + 1, size - 1};
  FuzzedDataProvider in{data + 1, size - 1};
  switch (data[0] % 4) {
    case 0: task_record_round_trip(rest); break;  // 't'
    case 1: data_keys(in); break;                 // 'e'
    case 2: index_keys(in); break;                // 'r'
    case 3: catalogue_record(in); break;          // 'c'
  }
  return 0;
}
