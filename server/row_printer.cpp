#include "server/row_printer.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <optional>

#include <simdjson.h>

#include "actors/json_reader.hpp"

namespace dort::server {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

std::string to_hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(hex_digits[c >> 4]);
    out.push_back(hex_digits[c & 0xf]);
  }
  return out;
}

bool is_utf8(std::string_view bytes) {
  return simdjson::validate_utf8(bytes.data(), bytes.size());
}

/// Text for a terminal: control characters as \xNN, bytes that are not UTF-8 as 0x<hex>.
std::string printable(std::string_view bytes) {
  if (!is_utf8(bytes)) return "0x" + to_hex(bytes);
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out.push_back(hex_digits[c >> 4]);
      out.push_back(hex_digits[c & 0xf]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

/// Characters (code points) of UTF-8 text.
std::size_t chars_of(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

/// `text` cut to at most `max_chars` characters, the last one "…" if anything was cut.
std::string clip(std::string text, std::size_t max_chars) {
  if (chars_of(text) <= max_chars) return text;
  std::size_t chars = 0, end = 0;
  for (; end < text.size(); ++end) {
    if ((static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) continue;
    if (chars == max_chars - 1) break;
    ++chars;
  }
  text.resize(end);
  return text + "…";
}

std::string iso_utc(std::int64_t ms) {
  auto seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  auto millis = static_cast<int>(ms - static_cast<std::int64_t>(seconds) * 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", millis);
  return buf;
}

}  // namespace

// -- row ----------------------------------------------------------------------------------------

row& row::integer(std::string_view field, std::int64_t v) {
  if (table_)
    cells_.push_back(std::to_string(v));
  else
    json_.key(field).value(v);
  return *this;
}

row& row::time_ms(std::string_view field, std::int64_t ms) {
  if (table_)
    cells_.push_back(iso_utc(ms));
  else
    json_.key(field).value(ms);
  return *this;
}

row& row::text(std::string_view field, std::string_view bytes) {
  if (table_)
    cells_.push_back(printable(bytes));
  else if (is_utf8(bytes))
    json_.key(field).value(bytes);
  else
    json_.key(std::string{field} + "Hex").value(to_hex(bytes));
  return *this;
}

row& row::json(std::string_view field, std::string_view json) {
  if (table_)
    cells_.push_back(printable(json));
  else
    json_.key(field).raw(json);
  return *this;
}

row& row::stored_value(std::string_view field, std::string_view bytes) {
  if (auto json_text = minified_json(bytes)) return json(field, *json_text);
  return text(field, bytes);
}

row& row::absent(std::string_view) {
  if (table_) cells_.emplace_back("-");
  return *this;
}

// -- row_printer --------------------------------------------------------------------------------

row_printer::row_printer(std::ostream& out, bool table, std::vector<std::string> columns)
    : out_(out), table_(table), columns_(std::move(columns)) {}

void row_printer::print(row& r) {
  ++rows_;
  if (!table_) {
    r.json_.end_object();
    out_ << r.json_.str() << '\n';
    return;
  }
  for (auto& cell : r.cells_) cell = clip(std::move(cell), max_cell_chars);
  if (widths_fixed_) {
    print_cells(r.cells_);
    return;
  }
  sample_.push_back(std::move(r.cells_));
  if (sample_.size() == table_sample_rows) fix_widths();
}

void row_printer::print(std::string_view json_object, row& r) {
  if (table_) {
    print(r);
    return;
  }
  ++rows_;
  out_ << json_object << '\n';
}

void row_printer::finish() {
  if (table_ && !widths_fixed_) fix_widths();
  out_.flush();
}

void row_printer::fix_widths() {
  widths_.clear();
  for (auto& c : columns_) widths_.push_back(chars_of(c));
  for (auto& cells : sample_)
    for (std::size_t i = 0; i < cells.size() && i < widths_.size(); ++i)
      widths_[i] = std::max(widths_[i], chars_of(cells[i]));
  widths_fixed_ = true;
  print_cells(columns_);
  for (auto& cells : sample_) print_cells(cells);
  sample_.clear();
  sample_.shrink_to_fit();
}

void row_printer::print_cells(const std::vector<std::string>& cells) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    line += cells[i];
    if (i + 1 == cells.size()) break;  // no padding after the last column
    auto width = i < widths_.size() ? widths_[i] : 0;
    line.append(width - std::min(width, chars_of(cells[i])) + 2, ' ');
  }
  out_ << line << '\n';
}

}  // namespace dort::server
