// Structured logs: one JSON object per line on stderr, {"time", "level", "msg", ...fields},
// through spdlog. Field values are escaped by the JSON writer, never pasted.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace dort::server {

enum class log_level { debug, info, warn, error };

/// Sets up the stderr logger; `level` is debug, info, warn or error (false if unknown).
bool init_logging(std::string_view level);

/// Logs `message` with string fields.
void log(log_level level, std::string_view message,
         std::initializer_list<std::pair<std::string_view, std::string>> fields = {});

}  // namespace dort::server
