// What `dort inspect` prints: the objects of a data directory, one object's keys and values, the
// pending alarms, and an execution's tasks. A data directory is opened read-only, beside a
// server that writes it if one runs: no lock that the server would wait for, nothing created.
// Listings stream: each page of at most `page_entries` entries and about `page_bytes` bytes is
// read in a short read transaction of its own (a long one would keep the server from reusing
// pages), so a listing is not one snapshot: rows changed while it runs may show either state.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string_view>

#include "actors/durable_send_records.hpp"
#include "alarms/alarm_index.hpp"
#include "execution/task_record.hpp"
#include "persistence/environment.hpp"
#include "server/row_printer.hpp"

namespace dort::server {

/// Entries read per read transaction.
constexpr std::size_t page_entries = 512;
/// Bytes of keys and values copied per read transaction (at least one entry is).
constexpr std::size_t page_bytes = std::size_t{4} << 20;

/// A data directory opened for reading.
class data_dir_reader {
 public:
  /// Opens `dir` read-only. Throws `dort::error` if it does not exist, is not a dort data
  /// directory, or cannot be read.
  explicit data_dir_reader(const std::filesystem::path& dir);

  environment& env() noexcept { return env_; }
  const alarm_dbs& alarms() const noexcept { return alarms_; }
  /// The outbox and delivery marks of durable sends; nothing in a directory that no dort with
  /// durable sends has written (they are created when a runtime opens the directory).
  const std::optional<durable_send_dbs>& durable_sends() const noexcept { return durable_sends_; }

 private:
  environment env_;
  alarm_dbs alarms_;
  std::optional<durable_send_dbs> durable_sends_;
};

/// Rows to print at most (nothing: all).
using row_limit = std::optional<std::size_t>;

/// Prints every catalogued object (class, name, id), in id order.
void list_objects(data_dir_reader& dir, row_printer& out, row_limit limit);

/// Returns whether the directory holds the object `name` of class `class_name`.
bool has_object(data_dir_reader& dir, std::string_view class_name, std::string_view name);

/// Prints the keys and values of the object `name` of class `class_name`, in key order.
void show_object(data_dir_reader& dir, std::string_view class_name, std::string_view name,
                 row_printer& out, row_limit limit);

/// Prints the pending alarms (due time, object, alarm name), earliest first.
void list_alarms(data_dir_reader& dir, row_printer& out, row_limit limit);

/// Prints the task records of execution `exec` (API.md's record shape), newest first: all of
/// them, or those of `status`. An execution never used prints nothing.
void list_tasks(data_dir_reader& dir, std::string_view exec, std::optional<task_status> status,
                row_printer& out, row_limit limit);

/// The table columns of each listing.
std::vector<std::string> object_columns();
std::vector<std::string> key_value_columns();
std::vector<std::string> alarm_columns();
std::vector<std::string> task_columns();

}  // namespace dort::server
