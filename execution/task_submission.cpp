#include "execution/task_submission.hpp"

#include "actors/json_reader.hpp"
#include "persistence/error.hpp"

namespace dort {

void check_task_text(std::string_view field, const std::string& value) {
  if (value.empty() || value.size() > max_task_text_bytes)
    throw error{errc::invalid_field,
                "'" + std::string{field} + "' must be 1 .. " + std::to_string(max_task_text_bytes) +
                    " bytes",
                std::string{field}};
}

task_submission read_submission(std::string_view payload, const task_config& defaults) {
  json_object_reader in{payload};
  in.allow_only(
      {"id", "name", "input", "priority", "idempotencyKey", "group", "delayMs", "metadata", "config"});
  task_submission s;
  s.id = in.string("id");
  if (s.id) check_task_text("id", *s.id);
  s.name = in.required_string("name");
  check_task_text("name", s.name);
  s.input = in.raw("input");
  if (s.input && s.input->size() > max_input_bytes)
    throw error{errc::too_large, "'input' is over 256 KiB", "input"};
  s.priority = in.in_range("priority", in.int64("priority").value_or(0), -1'000'000, 1'000'000);
  s.idempotency_key = in.string("idempotencyKey");
  if (s.idempotency_key) check_task_text("idempotencyKey", *s.idempotency_key);
  s.group = in.string("group");
  if (s.group) check_task_text("group", *s.group);
  s.delay_ms = in.in_range("delayMs", in.int64("delayMs").value_or(0), 0, max_delay_ms);
  s.metadata = in.raw("metadata");
  if (s.metadata && s.metadata->size() > max_metadata_bytes)
    throw error{errc::too_large, "'metadata' is over 16 KiB", "metadata"};
  s.config = defaults;
  if (auto config = in.raw("config")) merge_config(s.config, *config);
  return s;
}

}  // namespace dort
