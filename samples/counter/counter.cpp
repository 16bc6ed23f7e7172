#include "samples/counter/counter.hpp"

#include <charconv>

#include "actors/json_reader.hpp"
#include "actors/json_writer.hpp"

namespace dort::samples {

namespace {

constexpr std::string_view value_key = "value";

std::string reply(std::int64_t value) {
  return json_writer{}.begin_object().key("value").value(value).end_object().str();
}

}  // namespace

std::vector<method<counter>> counter::declare() {
  return {{"incr", &counter::incr, {"by"}}, {"get", &counter::get}, {"reset", &counter::reset}};
}

counter::counter(object_context& context) : declared_object(context) {
  if (auto stored = storage().get(value_key)) {
    auto [end, ec] = std::from_chars(stored->data(), stored->data() + stored->size(), value_);
    if (ec != std::errc{} || end != stored->data() + stored->size())
      throw error{errc::storage_failure, "counter " + name() + " holds a value that is no int64"};
  }
}

std::string counter::incr(const json_object_reader& body) {
  std::int64_t by = body.int64("by").value_or(1);
  std::int64_t next;
  if (__builtin_add_overflow(value_, by, &next))
    throw error{errc::invalid_field, "the new value would leave int64", "by"};
  store(next);
  return reply(next);
}

std::string counter::get(const json_object_reader&) { return reply(value_); }

std::string counter::reset(const json_object_reader&) {
  store(0);
  return reply(0);
}

void counter::store(std::int64_t value) {
  storage().put(value_key, std::to_string(value));
  value_ = value;
}

}  // namespace dort::samples
