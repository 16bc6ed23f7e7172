// `dort inspect`: reads a data directory, also while `dort serve` runs on it, and prints what it
// holds as JSON lines (or a table with --table): objects, one object's keys and values, alarms,
// an execution's tasks and dead letters, and `check` (inspect_check.hpp), which exits 1 when the
// directory's parts disagree. It only reads: a usage error exits with 2, a directory that cannot
// be read or an object that is not there with 1, and nothing is written or created. Each
// subcommand is one entry of a table.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace dort::server {

class data_dir_reader;
class row_printer;

class inspect_command {
 public:
  /// Adds `inspect` and its subcommands to `app`.
  explicit inspect_command(CLI::App& app);
  inspect_command(const inspect_command&) = delete;
  inspect_command& operator=(const inspect_command&) = delete;

  /// Returns whether the command line chose `inspect`.
  bool parsed() const { return command_->parsed(); }

  /// Runs the chosen subcommand, printing rows to `out` and errors to `err`; returns the exit
  /// status.
  int run(std::ostream& out, std::ostream& err) const;

 private:
  /// What a subcommand does once the directory is open; returns the exit status.
  using action = std::function<int(data_dir_reader&, std::ostream& out, std::ostream& err)>;

  struct subcommand {
    CLI::App* command;
    action run;
  };

  CLI::App* add(std::string name, std::string description, action run);
  /// Prints a listing with `columns` through `list`.
  int print(std::ostream& out, std::vector<std::string> columns,
            const std::function<void(row_printer&)>& list) const;

  CLI::App* command_;
  std::vector<subcommand> subcommands_;
  std::string data_ = "./dort-data";
  bool table_ = false;
  std::optional<std::size_t> limit_;
  std::string class_name_;
  std::string object_name_;
  std::string exec_;
  std::string status_;
};

}  // namespace dort::server
