// The output of `dort inspect`: one JSON object per line, or with `table` a table for people
// (a header line, then aligned columns). Rows are printed as they come: the table buffers only
// its first `table_sample_rows` rows to size its columns, later rows reuse those widths, and no
// cell is wider than `max_cell_chars`, so memory stays bounded however many rows there are.
// Bytes are shown faithfully: text that is not UTF-8 is never written as a JSON string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "actors/json_writer.hpp"

namespace dort::server {

class row_printer;

/// One row, filled field by field; each field is a JSON member and a table column.
class row {
 public:
  /// An integer.
  row& integer(std::string_view field, std::int64_t v);
  /// A time in ms since the epoch: a number in JSON, UTC ISO 8601 in the table.
  row& time_ms(std::string_view field, std::int64_t ms);
  /// Bytes meant as text: a JSON string if UTF-8, else `<field>Hex` with their hex digits.
  row& text(std::string_view field, std::string_view bytes);
  /// One valid JSON value, minified.
  row& json(std::string_view field, std::string_view json);
  /// Stored bytes: JSON when they are one valid JSON value, else as `text`.
  row& stored_value(std::string_view field, std::string_view bytes);
  /// A field that does not apply: omitted in JSON, "-" in the table.
  row& absent(std::string_view field);

 private:
  friend class row_printer;
  explicit row(bool table) : table_(table) { json_.begin_object(); }

  bool table_;
  json_writer json_;
  std::vector<std::string> cells_;
};

class row_printer {
 public:
  /// Rows the table reads before it fixes its column widths.
  static constexpr std::size_t table_sample_rows = 1'000;
  /// Widest table cell in characters; longer cells end in "…".
  static constexpr std::size_t max_cell_chars = 60;

  /// Prints to `out`: JSON lines, or a table with `columns` as its header.
  row_printer(std::ostream& out, bool table, std::vector<std::string> columns);
  row_printer(const row_printer&) = delete;
  row_printer& operator=(const row_printer&) = delete;

  /// Returns an empty row to fill and hand to `print`.
  row make_row() const { return row{table_}; }

  /// Prints `r` (a table row's cells must match the columns).
  void print(row& r);

  /// Prints `json_object`, one JSON object, as a JSON line; in a table, the row `r` instead.
  void print(std::string_view json_object, row& r);

  /// Prints what is buffered (a table with fewer rows than its sample). Call once, at the end.
  void finish();

  /// Returns the rows printed or buffered so far.
  std::size_t rows() const noexcept { return rows_; }

 private:
  void print_cells(const std::vector<std::string>& cells);
  void fix_widths();

  std::ostream& out_;
  const bool table_;
  const std::vector<std::string> columns_;
  std::vector<std::size_t> widths_;
  std::vector<std::vector<std::string>> sample_;
  bool widths_fixed_ = false;
  std::size_t rows_ = 0;
};

}  // namespace dort::server
