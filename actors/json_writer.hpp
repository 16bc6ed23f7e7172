// Emits JSON through RapidJSON's Writer, so user data is always escaped, never pasted into text.
// Values that are already JSON text (kept minified from a validated payload) go in with `raw`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace dort {

class json_writer {
 public:
  json_writer() : writer_(buffer_) {}

  json_writer& begin_object() {
    writer_.StartObject();
    return *this;
  }
  json_writer& end_object() {
    writer_.EndObject();
    return *this;
  }
  json_writer& begin_array() {
    writer_.StartArray();
    return *this;
  }
  json_writer& end_array() {
    writer_.EndArray();
    return *this;
  }

  json_writer& key(std::string_view k) {
    writer_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    return *this;
  }
  json_writer& value(std::int64_t v) {
    writer_.Int64(v);
    return *this;
  }
  json_writer& value(double v) {
    writer_.Double(v);
    return *this;
  }
  json_writer& value(std::uint64_t v) {
    writer_.Uint64(v);
    return *this;
  }
  json_writer& value(int v) { return value(static_cast<std::int64_t>(v)); }
  json_writer& value(bool v) {
    writer_.Bool(v);
    return *this;
  }
  json_writer& value(std::string_view v) {
    writer_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    return *this;
  }
  json_writer& value(const char* v) { return value(std::string_view{v}); }
  json_writer& null() {
    writer_.Null();
    return *this;
  }

  /// Inserts `json`, which must be one valid JSON value (e.g. minified by the reader).
  json_writer& raw(std::string_view json) {
    writer_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
    return *this;
  }

  /// Returns the text written so far.
  std::string str() const { return {buffer_.GetString(), buffer_.GetSize()}; }

 private:
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

}  // namespace dort
