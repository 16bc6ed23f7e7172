#include "actors/json_wide_numbers.hpp"

#include <utility>
#include <vector>

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <simdjson.h>

namespace dort {

namespace {

/// Notes where each number lies and refuses nesting beyond the limit.
class number_finder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, number_finder> {
 public:
  number_finder(const rapidjson::StringStream& stream, std::size_t max_depth)
      : stream_(stream), max_depth_(max_depth) {}

  bool RawNumber(const char*, rapidjson::SizeType length, bool) {
    // The reader has just consumed the number: it ends where the stream stands.
    const auto end = stream_.Tell();
    numbers.emplace_back(end - length, length);
    return true;
  }
  bool StartObject() { return enter(); }
  bool StartArray() { return enter(); }
  bool EndObject(rapidjson::SizeType) { return leave(); }
  bool EndArray(rapidjson::SizeType) { return leave(); }

  std::vector<std::pair<std::size_t, std::size_t>> numbers;
  bool too_deep = false;

 private:
  bool enter() {
    if (++depth_ > max_depth_) {
      too_deep = true;
      return false;
    }
    return true;
  }
  bool leave() {
    --depth_;
    return true;
  }

  const rapidjson::StringStream& stream_;
  const std::size_t max_depth_;
  std::size_t depth_ = 0;
};

/// Whether simdjson's DOM can hold the number `token`.
bool dom_holds(std::string_view token) {
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded{token};
  simdjson::dom::element e;
  return parser.parse(padded).get(e) == simdjson::SUCCESS;
}

}  // namespace

wide_json check_wide_json(std::string_view text, std::size_t max_depth) {
  wide_json out;
  // RapidJSON's StringStream reads up to a NUL: text with a NUL byte is not JSON anyway.
  if (text.find('\0') != std::string_view::npos) {
    out.problem = "the text holds a NUL byte";
    return out;
  }
  std::string source{text};
  rapidjson::StringStream stream{source.c_str()};
  number_finder finder{stream, max_depth};
  rapidjson::Reader reader;
  constexpr unsigned flags = rapidjson::kParseNumbersAsStringsFlag |
                             rapidjson::kParseValidateEncodingFlag |
                             rapidjson::kParseIterativeFlag;
  auto result = reader.Parse<flags>(stream, finder);
  if (result.IsError()) {
    out.too_deep = finder.too_deep;
    out.problem = rapidjson::GetParseError_En(result.Code());
    return out;
  }
  std::string dom;
  dom.reserve(source.size() + 32);
  std::size_t at = 0;
  for (auto [start, length] : finder.numbers) {
    std::string_view token{source.data() + start, length};
    if (dom_holds(token)) continue;
    dom.append(source, at, start - at);
    dom.push_back('"');
    dom.append("\\u0001");  // the marker's first byte, escaped
    dom.append(wide_number_marker.substr(1));
    dom.push_back('"');
    at = start + length;
  }
  dom.append(source, at, std::string::npos);
  out.for_dom = std::move(dom);
  return out;
}

}  // namespace dort
