#include "persistence/error.hpp"

namespace dort {

std::string_view code_name(errc code) noexcept {
  switch (code) {
    case errc::invalid_json:
      return "invalid_json";
    case errc::invalid_field:
      return "invalid_field";
    case errc::missing_field:
      return "missing_field";
    case errc::too_large:
      return "too_large";
    case errc::unknown_class:
      return "unknown_class";
    case errc::unknown_method:
      return "unknown_method";
    case errc::handler_error:
      return "handler_error";
    case errc::storage_failure:
      return "storage_failure";
    case errc::storage_full:
      return "storage_full";
    case errc::shutting_down:
      return "shutting_down";
    case errc::data_dir_locked:
      return "data_dir_locked";
    case errc::id_collision:
      return "id_collision";
    case errc::task_not_found:
      return "task_not_found";
    case errc::schedule_not_found:
      return "schedule_not_found";
    case errc::workflow_not_found:
      return "workflow_not_found";
    case errc::step_not_found:
      return "step_not_found";
    case errc::workflow_exists:
      return "workflow_exists";
    case errc::task_exists:
      return "task_exists";
    case errc::invalid_state:
      return "invalid_state";
    case errc::backpressure:
      return "backpressure";
    case errc::timeout:
      return "timeout";
  }
  return "unknown_error";
}

}  // namespace dort
