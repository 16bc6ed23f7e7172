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

/// Accepts only an empty payload or an object without fields, for methods that take none.
void expect_no_fields(std::string_view payload) {
  json_object_reader{payload}.allow_only({});
}

}  // namespace

counter::counter(object_context& context) : durable_object(context) {
  if (auto stored = storage().get(value_key)) {
    auto [end, ec] = std::from_chars(stored->data(), stored->data() + stored->size(), value_);
    if (ec != std::errc{} || end != stored->data() + stored->size())
      throw error{errc::storage_failure, "counter " + name() + " holds a value that is no int64"};
  }
}

std::string counter::handle(std::string_view method, std::string_view payload) {
  if (method == "incr") return reply(incr(payload));
  if (method == "get") {
    expect_no_fields(payload);
    return reply(value_);
  }
  if (method == "reset") {
    expect_no_fields(payload);
    store(0);
    return reply(0);
  }
  unknown_method(method);
}

std::int64_t counter::incr(std::string_view payload) {
  json_object_reader body{payload};
  body.allow_only({"by"});
  std::int64_t by = body.int64("by").value_or(1);
  std::int64_t next;
  if (__builtin_add_overflow(value_, by, &next))
    throw error{errc::invalid_field, "the new value would leave int64", "by"};
  store(next);
  return next;
}

void counter::store(std::int64_t value) {
  storage().put(value_key, std::to_string(value));
  value_ = value;
}

}  // namespace dort::samples
