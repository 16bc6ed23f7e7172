// The alarm members of durable_object, out of line so that durable_object.hpp needs only a
// declaration of object_alarms (whose header brings the alarm index and LMDB's types).
#include "actors/durable_object.hpp"

#include "alarms/alarm_names.hpp"
#include "alarms/object_alarms.hpp"

namespace dort {
namespace {

void check_alarm_name(std::string_view name) {
  if (name.starts_with(reserved_alarm_prefix))
    throw error{errc::invalid_field,
                "alarm names beginning with 'dort.' are reserved for the runtime", "name"};
}

void check_reserved_alarm_name(std::string_view name) {
  if (!name.starts_with(reserved_alarm_prefix))
    throw error{errc::invalid_field, "reserved alarm names begin with 'dort.'", "name"};
}

}  // namespace

void durable_object::set_alarm(std::string_view name, std::int64_t time_ms) {
  check_alarm_name(name);
  context_.alarms.set(name, time_ms);
}

std::optional<std::int64_t> durable_object::get_alarm(std::string_view name) const {
  return context_.alarms.get(name);
}

bool durable_object::delete_alarm(std::string_view name) {
  check_alarm_name(name);
  return context_.alarms.del(name);
}

void durable_object::set_reserved_alarm(std::string_view name, std::int64_t time_ms) {
  check_reserved_alarm_name(name);
  context_.alarms.set(name, time_ms);
}

bool durable_object::delete_reserved_alarm(std::string_view name) {
  check_reserved_alarm_name(name);
  return context_.alarms.del(name);
}

}  // namespace dort
