#include "server/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "actors/json_writer.hpp"

namespace dort::server {

namespace {

std::shared_ptr<spdlog::logger> logger;

}  // namespace

bool init_logging(std::string_view level) {
  spdlog::level::level_enum l;
  if (level == "debug") l = spdlog::level::debug;
  else if (level == "info") l = spdlog::level::info;
  else if (level == "warn") l = spdlog::level::warn;
  else if (level == "error") l = spdlog::level::err;
  else return false;
  logger = spdlog::stderr_logger_mt("dort");
  // The message part (%v) is the rest of the JSON object, written by `log`.
  logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})",
                      spdlog::pattern_time_type::utc);
  logger->set_level(l);
  logger->flush_on(spdlog::level::debug);
  return true;
}

void log(log_level level, std::string_view message,
         std::initializer_list<std::pair<std::string_view, std::string>> fields) {
  if (!logger) return;
  json_writer out;
  out.begin_object().key("msg").value(message);
  for (auto& [k, v] : fields) out.key(k).value(v);
  out.end_object();
  auto text = out.str();
  // Without the braces: the pattern supplies them around time and level.
  std::string_view inner{text};
  inner.remove_prefix(1);
  inner.remove_suffix(1);
  switch (level) {
    case log_level::debug: logger->debug("{}", inner); break;
    case log_level::info: logger->info("{}", inner); break;
    case log_level::warn: logger->warn("{}", inner); break;
    case log_level::error: logger->error("{}", inner); break;
  }
}

}  // namespace dort::server
