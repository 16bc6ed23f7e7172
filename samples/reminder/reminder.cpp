#include "samples/reminder/reminder.hpp"

#include <charconv>
#include <optional>

#include "actors/json_reader.hpp"
#include "actors/json_writer.hpp"

namespace dort::samples {

namespace {

constexpr std::string_view scheduled_at_key = "scheduledAt";
constexpr std::string_view fired_at_key = "firedAt";
constexpr std::string_view fired_count_key = "firedCount";
constexpr std::string_view lateness_key = "lastLatenessMs";

std::optional<std::int64_t> read_int(dort::storage& storage, std::string_view key) {
  auto stored = storage.get(key);
  if (!stored) return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(stored->data(), stored->data() + stored->size(), value);
  if (ec != std::errc{} || end != stored->data() + stored->size())
    throw error{errc::storage_failure,
                "reminder holds a value that is no int64 under " + std::string{key}};
  return value;
}

void write_int_or_null(json_writer& out, std::string_view key, std::optional<std::int64_t> v) {
  out.key(key);
  if (v)
    out.value(*v);
  else
    out.null();
}

}  // namespace

std::vector<method<reminder>> reminder::declare() {
  return {{"arm", &reminder::arm, {"delayMs"}}, {"status", &reminder::status}};
}

std::string reminder::arm(const json_object_reader& body) {
  auto delay = body.required_int64("delayMs");
  if (delay < 0 || delay > max_delay_ms)
    throw error{errc::invalid_field, "'delayMs' must be 0 … 31536000000", "delayMs"};
  auto scheduled_at = now_ms() + delay;
  storage().put(scheduled_at_key, std::to_string(scheduled_at));
  set_alarm(scheduled_at);
  return json_writer{}.begin_object().key("scheduledAt").value(scheduled_at).end_object().str();
}

std::string reminder::status(const json_object_reader&) {
  json_writer out;
  out.begin_object();
  write_int_or_null(out, "scheduledAt", read_int(storage(), scheduled_at_key));
  out.key("pending").value(get_alarm().has_value());
  write_int_or_null(out, "firedAt", read_int(storage(), fired_at_key));
  out.key("firedCount").value(read_int(storage(), fired_count_key).value_or(0));
  write_int_or_null(out, "lastLatenessMs", read_int(storage(), lateness_key));
  return out.end_object().str();
}

void reminder::alarm(const alarm_info& info) {
  auto fired_at = now_ms();
  storage().put(fired_at_key, std::to_string(fired_at));
  storage().put(fired_count_key,
                std::to_string(read_int(storage(), fired_count_key).value_or(0) + 1));
  storage().put(lateness_key, std::to_string(fired_at - info.scheduled_ms));
}

}  // namespace dort::samples
