// Every JSON body the server reads, fed raw bytes: the whole-body validation and typed reads of
// json_object_reader, json_array_items, a submit body (read_submission), a config body
// (merge_config) and the input checks of the built-in task handlers (echo, fail, sleep, wait,
// http). Properties beyond "no crash, no undefined behaviour":
// - only dort::error escapes, with a code a client may get for a body (API.md): invalid_json,
//   invalid_field, missing_field, too_large; a body that is not valid JSON is invalid_json for
//   every reader (API.md's check order), one that is not an object is invalid_field "$";
// - what the reader accepts (numbers of any size included), RapidJSON (validating UTF-8)
//   accepts too;
// - an accepted object's fields, read raw and written again, give an object that is accepted and
//   reads the same, and typed reads agree with the raw text;
// - an accepted submission or config, written back as JSON, reads back equal and in range.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>
#include <simdjson.h>

#include "actors/json_reader.hpp"
#include "actors/json_writer.hpp"
#include "alarms/clock.hpp"
#include "execution/execution_object.hpp"
#include "execution/http_task.hpp"
#include "execution/task_config.hpp"
#include "execution/task_services.hpp"
#include "fuzz_support.hpp"
#include "persistence/error.hpp"

namespace {

using dort::errc;
using dort::fuzz::fuzz_check;

bool is_body_code(errc code) {
  return code == errc::invalid_json || code == errc::invalid_field ||
         code == errc::missing_field || code == errc::too_large;
}

/// The code of what `f` throws, or nothing; anything but dort::error escapes (a finding).
template <class F>
std::optional<dort::error> error_of(F&& f) {
  try {
    f();
  } catch (const dort::error& e) {
    fuzz_check(is_body_code(e.code()), "a body read throws a code no body can cause", e.what());
    return e;
  }
  return std::nullopt;
}

bool blank(std::string_view body) {
  return body.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

bool rapidjson_accepts(std::string_view body) {
  rapidjson::Document d;
  // Not kParseFullPrecisionFlag: its strtod passes 0 to clz() for "0E67" (undefined behaviour
  // inside RapidJSON 1.1.0's reader, which dort never uses: it only writes with RapidJSON).
  d.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(body.data(),
                                                                                  body.size());
  // RapidJSON 1.1.0 refuses exponents past 308 even on a zero ("0e400", valid JSON); numbers
  // are checked by the typed reads, this check is about structure, strings and UTF-8.
  return !d.HasParseError() || d.GetParseError() == rapidjson::kParseErrorNumberTooBig;
}

/// The top-level keys of an object already validated. On Demand, which skips the values
/// unparsed: an accepted body may hold numbers simdjson's DOM cannot (beyond 64 bits, 1e400).
std::vector<std::string> keys_of(std::string_view body) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded{body};
  std::vector<std::string> keys;
  auto document = parser.iterate(padded);
  for (auto field : document.get_object())
    keys.emplace_back(std::string_view{field.unescaped_key().value()});
  return keys;
}

/// Fields read raw and written again read the same; typed reads agree with the raw text.
void check_fields(std::string_view body) {
  dort::json_object_reader in{body};
  auto keys = blank(body) ? std::vector<std::string>{} : keys_of(body);
  dort::json_writer out;
  out.begin_object();
  for (auto& key : keys) {
    auto raw = in.raw(key);
    fuzz_check(raw.has_value(), "a key of the object has no raw value", key);
    auto items = dort::json_array_items("[" + *raw + "]");
    fuzz_check(items.size() == 1 && items[0] == *raw, "a raw value does not read back as itself",
               *raw);
    if (raw->front() == '"') {
      auto s = in.string(key);
      dort::json_writer quoted;
      quoted.value(*s);
      auto again = dort::json_array_items("[" + quoted.str() + "]");
      auto reread = dort::json_object_reader{"{\"v\":" + again[0] + "}"}.string("v");
      fuzz_check(reread == s, "a string does not survive being written again", *raw);
    }
    out.key(key).raw(*raw);
  }
  out.end_object();
  dort::json_object_reader again{out.str()};
  for (auto& key : keys)
    fuzz_check(again.raw(key) == in.raw(key), "a field re-encoded reads differently", key);
}

void check_submission(std::string_view body, const std::optional<dort::error>& whole) {
  const dort::task_config defaults;
  dort::task_submission s;
  auto e = error_of([&] { s = dort::read_submission(body, defaults); });
  if (whole) {
    fuzz_check(e && e->code() == whole->code() && e->field() == whole->field(),
               "a submit body that is not a valid object fails otherwise", body);
    return;
  }
  if (e) return;
  fuzz_check(!s.name.empty() && s.name.size() <= 256, "an accepted name out of 1..256 bytes");
  fuzz_check(s.priority >= -1'000'000 && s.priority <= 1'000'000, "priority out of range");
  fuzz_check(s.delay_ms >= 0 && s.delay_ms <= 31'536'000'000, "delayMs out of range");
  fuzz_check(!s.input || s.input->size() <= dort::execution_object::max_input_bytes,
             "input over its size");
  dort::json_writer c;
  c.begin_object();
  if (s.id) c.key("id").value(*s.id);
  c.key("name").value(s.name);
  if (s.input) c.key("input").raw(*s.input);
  c.key("priority").value(s.priority);
  if (s.idempotency_key) c.key("idempotencyKey").value(*s.idempotency_key);
  c.key("delayMs").value(s.delay_ms);
  if (s.metadata) c.key("metadata").raw(*s.metadata);
  c.key("config");
  dort::write_config(c, s.config);
  c.end_object();
  dort::task_submission again;
  auto e2 = error_of([&] { again = dort::read_submission(c.str(), defaults); });
  fuzz_check(!e2 && again == s, "an accepted submission written back reads differently",
             c.str());
}

void check_config(std::string_view body, const std::optional<dort::error>& whole) {
  dort::task_config config;
  auto e = error_of([&] { dort::merge_config(config, body); });
  if (whole) {
    fuzz_check(e && e->code() == whole->code(), "a config body that is not valid fails otherwise",
               body);
    return;
  }
  if (e) {
    fuzz_check(config == dort::task_config{}, "a refused config changed the defaults");
    return;
  }
  fuzz_check(config.max_retries >= 0 && config.max_retries <= 1'000 &&
                 config.initial_retry_delay_ms >= 0 &&
                 config.initial_retry_delay_ms <= 86'400'000 && config.max_retry_delay_ms >= 0 &&
                 config.max_retry_delay_ms <= 604'800'000 && config.backoff_multiplier >= 1 &&
                 config.backoff_multiplier <= 100 && config.timeout_ms >= 1 &&
                 config.timeout_ms <= 86'400'000,
             "an accepted config out of range", body);
  dort::json_writer out;
  dort::write_config(out, config);
  dort::task_config again;
  auto e2 = error_of([&] { dort::merge_config(again, out.str()); });
  fuzz_check(!e2 && again == config, "an accepted config written back reads differently",
             out.str());
}

dort::task_services& services() {
  static dort::system_clock clock;
  static dort::task_services s{clock, {1, 1'000'000, true}};
  return s;
}

/// The built-in handlers' checks of a task input (one valid JSON value).
void check_inputs(std::string_view input) {
  auto expect = [&](const std::optional<dort::error>& e) {
    if (e)
      fuzz_check((e->code() == errc::invalid_field || e->code() == errc::missing_field) &&
                     e->field().starts_with("input"),
                 "a handler's input check fails without naming an input field", e->what());
  };
  for (std::string_view name : {"fail", "sleep", "wait"}) {
    auto* entry = services().handlers.find(name);
    fuzz_check(entry != nullptr && static_cast<bool>(entry->check), "a built-in check is missing");
    expect(error_of([&] { entry->check(input); }));
  }
  expect(error_of([&] { dort::check_http_input(input); }));
}

void check_array(std::string_view body) {
  std::vector<std::string> items;
  if (error_of([&] { items = dort::json_array_items(body); })) return;
  std::string joined = "[";
  for (std::size_t i = 0; i < items.size(); ++i) joined += (i ? "," : "") + items[i];
  joined += "]";
  fuzz_check(dort::json_array_items(joined) == items, "array items re-joined read differently");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body{reinterpret_cast<const char*>(data), size};
  auto whole = error_of([&] { dort::json_object_reader in{body}; });
  if (whole)
    fuzz_check(whole->code() == errc::invalid_json ||
                   (whole->code() == errc::invalid_field && whole->field() == "$"),
               "the whole-body check fails with another code", whole->what());
  const bool valid_json = !whole || whole->code() != errc::invalid_json;
  if (valid_json && !blank(body))
    fuzz_check(rapidjson_accepts(body), "simdjson accepts what RapidJSON refuses", body);
  if (!whole) check_fields(body);
  check_submission(body, whole);
  check_config(body, whole);
  if (valid_json && !blank(body)) {
    check_inputs(body);
    if (!whole) {
      dort::json_object_reader in{body};
      if (auto input = in.raw("input")) check_inputs(*input);
    }
  }
  check_array(body);
  return 0;
}
