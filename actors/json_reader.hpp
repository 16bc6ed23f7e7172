// Reads a message payload that must be one JSON object, the way API.md's "JSON at the edges"
// demands: the whole text is validated first (syntax, UTF-8, a single value, depth ≤ 64, no
// duplicate keys), then fields are read with their types checked. Every violation throws
// `dort::error` with `invalid_json`, `invalid_field` or `missing_field` and the field's name.
// An empty payload reads as `{}`.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dort {

class json_object_reader {
 public:
  /// Deepest nesting accepted, as API.md fixes it.
  static constexpr std::size_t max_depth = 64;

  /// Parses and validates `payload`. Throws `invalid_json`, or `invalid_field` with field "$"
  /// if the value is not an object. For a nested object, `path` names it ("config"): errors then
  /// name fields as "config.maxRetries", and the object itself as "config".
  explicit json_object_reader(std::string_view payload, std::string_view path = {});
  json_object_reader(json_object_reader&&) noexcept;
  ~json_object_reader();

  /// Throws `invalid_field` naming the first field that is not in `known`.
  void allow_only(std::initializer_list<std::string_view> known) const;
  void allow_only(const std::vector<std::string_view>& known) const;

  /// Returns whether `field` is present (also when it is null).
  bool has(std::string_view field) const;

  /// Returns the integer `field`, or nothing if absent. An integral number that fits in int64 is
  /// accepted (also written as 1.0 or 1e3); anything else throws `invalid_field`.
  std::optional<std::int64_t> int64(std::string_view field) const;

  /// Returns the number `field` (integral or not), or nothing if absent; throws `invalid_field`
  /// for other types.
  std::optional<double> number(std::string_view field) const;

  /// Returns whether `field` is present and null.
  bool is_null(std::string_view field) const;

  /// Returns the string `field`, or nothing if absent; throws `invalid_field` for other types.
  std::optional<std::string> string(std::string_view field) const;

  /// Returns the boolean `field`, or nothing if absent; throws `invalid_field` for other types.
  std::optional<bool> boolean(std::string_view field) const;

  /// Returns `field` as minified JSON text (any type), or nothing if absent.
  /// Numbers are re-printed from their parsed value (simdjson's DOM keeps no source text).
  std::optional<std::string> raw(std::string_view field) const;

  /// Returns the integer `field`, or throws `missing_field`.
  std::int64_t required_int64(std::string_view field) const;

  /// Returns `value` if it lies in low..high, else throws `invalid_field` naming `field` and the
  /// range: the check of API.md's ranges table.
  std::int64_t in_range(std::string_view field, std::int64_t value, std::int64_t low,
                        std::int64_t high) const;

  /// Returns the string `field`, or throws `missing_field`.
  std::string required_string(std::string_view field) const;

  /// Returns how `field` is named in errors (with the reader's path).
  std::string field_name(std::string_view field) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Returns whether `text` is one valid JSON value, numbers of any size included (simdjson's
/// default depth limit applies).
bool is_valid_json(std::string_view text);

/// Returns `text` without the whitespace outside its strings if it is one valid JSON value (at
/// most `json_object_reader::max_depth` deep), its numbers and escapes as written; nothing if it
/// is not JSON.
std::optional<std::string> minified_json(std::string_view text);

/// Returns the items of the JSON array `json` as minified JSON texts; throws `invalid_json` if
/// it is not valid JSON, `invalid_field` (field `path`) if it is not an array.
std::vector<std::string> json_array_items(std::string_view json, std::string_view path = "$");

}  // namespace dort
