#include "actors/json_reader.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <simdjson.h>

#include "actors/int64_range.hpp"
#include "actors/json_raw.hpp"
#include "actors/json_wide_numbers.hpp"
#include "persistence/error.hpp"

namespace dort {

namespace {

/// Parsers are costly to create and hold their buffers, so each thread keeps a few for reuse.
/// A reader holds its parser while it lives, since the parsed elements point into it.
class parser_pool {
 public:
  std::unique_ptr<simdjson::dom::parser> acquire() {
    if (free_.empty()) {
      auto parser = std::make_unique<simdjson::dom::parser>();
      // The depth set here stays when parse() later grows the capacity.
      if (parser->allocate(initial_capacity_bytes, json_object_reader::max_depth) !=
          simdjson::SUCCESS)
        throw std::bad_alloc{};
      return parser;
    }
    auto parser = std::move(free_.back());
    free_.pop_back();
    return parser;
  }
  void release(std::unique_ptr<simdjson::dom::parser> parser) {
    if (free_.size() < max_pooled) free_.push_back(std::move(parser));
  }

 private:
  static constexpr std::size_t max_pooled = 4;
  static constexpr std::size_t initial_capacity_bytes = 4096;
  std::vector<std::unique_ptr<simdjson::dom::parser>> free_;
};

thread_local parser_pool pool;

[[noreturn]] void invalid_json(std::string message) {
  throw error{errc::invalid_json, std::move(message), "$"};
}

/// Throws `invalid_json` if any object in `element` repeats a key.
void reject_duplicate_keys(simdjson::dom::element element, std::vector<std::string_view>& scratch) {
  simdjson::dom::object object;
  simdjson::dom::array array;
  if (element.get_object().get(object) == simdjson::SUCCESS) {
    std::size_t first = scratch.size();
    for (auto field : object) scratch.push_back(field.key);
    std::sort(scratch.begin() + static_cast<std::ptrdiff_t>(first), scratch.end());
    if (std::adjacent_find(scratch.begin() + static_cast<std::ptrdiff_t>(first), scratch.end()) !=
        scratch.end())
      invalid_json("the body repeats a key in one object");
    scratch.resize(first);
    for (auto field : object) reject_duplicate_keys(field.value, scratch);
  } else if (element.get_array().get(array) == simdjson::SUCCESS) {
    for (auto item : array) reject_duplicate_keys(item, scratch);
  }
}

/// Whether `value` stands for a number the DOM could not hold (json_wide_numbers.hpp).
bool is_wide_number(simdjson::dom::element value) {
  std::string_view s;
  return value.get_string().get(s) == simdjson::SUCCESS && s == wide_number_marker;
}

/// Parses `padded` (the text `text`) into `root`, numbers the DOM cannot hold included: on a
/// number the DOM refuses, it parses the text with those numbers replaced by the marker instead,
/// kept in `replaced`, which must outlive `root` (json_wide_numbers.hpp).
simdjson::error_code parse_wide(simdjson::dom::parser& parser,
                                const simdjson::padded_string& padded, std::string_view text,
                                simdjson::padded_string& replaced, simdjson::dom::element& root) {
  auto err = parser.parse(padded).get(root);
  if (err != simdjson::NUMBER_ERROR) return err;
  auto for_dom = replace_wide_numbers(text);
  if (!for_dom) return err;
  replaced = simdjson::padded_string{*for_dom};
  return parser.parse(replaced).get(root);
}

/// Whether `parser` takes `padded` (the text `text`), numbers the DOM cannot hold included.
bool parses(simdjson::dom::parser& parser, const simdjson::padded_string& padded,
            std::string_view text) {
  simdjson::padded_string replaced;
  simdjson::dom::element root;
  return parse_wide(parser, padded, text, replaced, root) == simdjson::SUCCESS;
}

}  // namespace

bool is_valid_json(std::string_view text) {
  // Outputs and progress may nest as deep as simdjson's default allows.
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded{text};
  return parses(parser, padded, text);
}

struct json_object_reader::impl {
  /// The body as given, padded for simdjson: `raw` reads values from it as written.
  simdjson::padded_string source;
  /// What the DOM parsed when `source` holds numbers it cannot (see json_wide_numbers.hpp).
  simdjson::padded_string dom_text;
  /// Each top-level field's text as written, read from `source` at the first `raw`.
  std::optional<std::map<std::string, std::string, std::less<>>> raw_texts;
  std::unique_ptr<simdjson::dom::parser> parser;
  simdjson::dom::object root;
  std::string path;

  ~impl() {
    if (parser) pool.release(std::move(parser));
  }

  std::optional<simdjson::dom::element> find(std::string_view field) const {
    simdjson::dom::element value;
    if (root.at_key(field).get(value) != simdjson::SUCCESS) return std::nullopt;
    return value;
  }
};

json_object_reader::json_object_reader(std::string_view payload, std::string_view path)
    : impl_(std::make_unique<impl>()) {
  impl_->path = path;
  static constexpr std::string_view empty_object = "{}";
  if (payload.find_first_not_of(" \t\r\n") == std::string_view::npos) payload = empty_object;
  impl_->parser = pool.acquire();
  simdjson::dom::element root;
  // The padded copy is what simdjson reads; parse() validates structure, UTF-8 and depth.
  impl_->source = simdjson::padded_string{payload};
  auto err = parse_wide(*impl_->parser, impl_->source, payload, impl_->dom_text, root);
  if (err == simdjson::DEPTH_ERROR)
    invalid_json("the body nests deeper than " + std::to_string(max_depth) + " levels");
  if (err) invalid_json(std::string{"the body is not valid JSON: "} + simdjson::error_message(err));
  std::vector<std::string_view> scratch;
  reject_duplicate_keys(root, scratch);
  if (root.get_object().get(impl_->root) != simdjson::SUCCESS) {
    if (!path.empty())
      throw error{errc::invalid_field, "'" + std::string{path} + "' must be a JSON object",
                  std::string{path}};
    throw error{errc::invalid_field, "the body must be a JSON object", "$"};
  }
}

std::string json_object_reader::field_name(std::string_view field) const {
  if (impl_->path.empty()) return std::string{field};
  return impl_->path + "." + std::string{field};
}

json_object_reader::json_object_reader(json_object_reader&&) noexcept = default;
json_object_reader::~json_object_reader() = default;

void json_object_reader::allow_only(std::initializer_list<std::string_view> known) const {
  allow_only(std::vector<std::string_view>{known});
}

void json_object_reader::allow_only(const std::vector<std::string_view>& known) const {
  for (auto field : impl_->root) {
    bool found = false;
    for (auto k : known) found = found || k == field.key;
    if (!found)
      throw error{errc::invalid_field, "unknown field '" + field_name(field.key) + "'",
                  field_name(field.key)};
  }
}

bool json_object_reader::has(std::string_view field) const {
  return impl_->find(field).has_value();
}

std::optional<std::int64_t> json_object_reader::int64(std::string_view field) const {
  auto value = impl_->find(field);
  if (!value) return std::nullopt;
  auto fail = [&]() -> std::int64_t {
    throw error{errc::invalid_field, "'" + field_name(field) + "' must be an integer in int64",
                field_name(field)};
  };
  std::int64_t i;
  if (value->get_int64().get(i) == simdjson::SUCCESS) return i;
  if (is_wide_number(*value))
    throw error{errc::invalid_field, "'" + field_name(field) + "' is a number beyond int64",
                field_name(field)};
  double d;
  if (value->get_double().get(d) == simdjson::SUCCESS) {
    // Integral doubles within int64 convert without loss.
    if (std::floor(d) == d && within_int64(d)) return static_cast<std::int64_t>(d);
  }
  return fail();
}

std::optional<std::string> json_object_reader::string(std::string_view field) const {
  auto value = impl_->find(field);
  if (!value) return std::nullopt;
  std::string_view s;
  if (value->get_string().get(s) != simdjson::SUCCESS)
    throw error{errc::invalid_field, "'" + field_name(field) + "' must be a string",
                field_name(field)};
  return std::string{s};
}

std::optional<bool> json_object_reader::boolean(std::string_view field) const {
  auto value = impl_->find(field);
  if (!value) return std::nullopt;
  bool b;
  if (value->get_bool().get(b) != simdjson::SUCCESS)
    throw error{errc::invalid_field, "'" + field_name(field) + "' must be true or false",
                field_name(field)};
  return b;
}

std::optional<std::string> json_object_reader::raw(std::string_view field) const {
  if (!impl_->find(field)) return std::nullopt;
  if (!impl_->raw_texts) {
    // One walk for every field a reader's callers ask for (a submit asks for three). The body
    // was validated whole when the reader was made: walking it again cannot fail.
    thread_local simdjson::ondemand::parser parser;
    auto document = parser.iterate(impl_->source);
    auto& texts = impl_->raw_texts.emplace();
    for (auto member : document.get_object())
      texts.emplace(std::string{member.unescaped_key().value()}, raw_json_text(member.value()));
  }
  auto it = impl_->raw_texts->find(field);
  if (it == impl_->raw_texts->end()) return std::nullopt;
  return it->second;
}

std::int64_t json_object_reader::required_int64(std::string_view field) const {
  auto value = int64(field);
  if (!value)
    throw error{errc::missing_field, "'" + field_name(field) + "' is required", field_name(field)};
  return *value;
}

std::int64_t json_object_reader::in_range(std::string_view field, std::int64_t value,
                                          std::int64_t low, std::int64_t high) const {
  if (value < low || value > high)
    throw error{errc::invalid_field,
                "'" + field_name(field) + "' must be in " + std::to_string(low) + " .. " +
                    std::to_string(high),
                field_name(field)};
  return value;
}

std::string json_object_reader::required_string(std::string_view field) const {
  auto value = string(field);
  if (!value)
    throw error{errc::missing_field, "'" + field_name(field) + "' is required", field_name(field)};
  return *value;
}

std::optional<double> json_object_reader::number(std::string_view field) const {
  auto value = impl_->find(field);
  if (!value) return std::nullopt;
  double d;
  if (is_wide_number(*value))
    throw error{errc::invalid_field, "'" + field_name(field) + "' is a number beyond range",
                field_name(field)};
  if (value->get_double().get(d) != simdjson::SUCCESS || !std::isfinite(d))
    throw error{errc::invalid_field, "'" + field_name(field) + "' must be a number",
                field_name(field)};
  return d;
}

bool json_object_reader::is_null(std::string_view field) const {
  auto value = impl_->find(field);
  return value && value->is_null();
}

std::optional<std::string> minified_json(std::string_view text) {
  auto parser = pool.acquire();
  simdjson::padded_string padded{text};
  const bool valid = parses(*parser, padded, text);
  pool.release(std::move(parser));
  if (!valid) return std::nullopt;
  return strip_json_whitespace(text);
}

std::vector<std::string> json_array_items(std::string_view json, std::string_view path) {
  auto parser = pool.acquire();
  simdjson::padded_string padded{json};
  simdjson::dom::element root;
  simdjson::padded_string dom_text;
  auto err = parse_wide(*parser, padded, json, dom_text, root);
  if (err) {
    pool.release(std::move(parser));
    invalid_json(std::string{"not valid JSON: "} + simdjson::error_message(err));
  }
  simdjson::dom::array array;
  if (root.get_array().get(array) != simdjson::SUCCESS) {
    pool.release(std::move(parser));
    throw error{errc::invalid_field, "'" + std::string{path} + "' must be an array",
                std::string{path}};
  }
  pool.release(std::move(parser));
  // Valid: the items are taken as written.
  thread_local simdjson::ondemand::parser items_parser;
  auto document = items_parser.iterate(padded);
  std::vector<std::string> items;
  for (auto item : document.get_array()) items.push_back(raw_json_text(item.value()));
  return items;
}

}  // namespace dort
