#include "server/inspect.hpp"

#include "server/inspect_check.hpp"
#include "server/inspect_listings.hpp"

namespace dort::server {

namespace {

std::vector<std::string> status_names() {
  std::vector<std::string> names;
  for (auto s : {task_status::pending, task_status::running, task_status::completed,
                 task_status::failed, task_status::rate_limited, task_status::cancelled})
    names.emplace_back(status_name(s));
  return names;
}

}  // namespace

inspect_command::inspect_command(CLI::App& app) {
  command_ = app.add_subcommand(
      "inspect", "Read a data directory (also while dort serve runs on it) and print JSON lines");
  // Not `require_subcommand`: its error would not name a mistyped subcommand; run() does.
  command_->allow_extras();
  command_->add_option("--data", data_, "Data directory (LMDB); never created")
      ->envname("DORT_DATA")
      ->capture_default_str();
  command_->add_flag("--table", table_, "Print a table with a header line instead of JSON lines");
  command_->add_option("--limit", limit_, "Print at most N rows")
      ->check(CLI::Validator(
          [](std::string& v) {
            bool whole = !v.empty() && v.find_first_not_of("0123456789") == std::string::npos;
            return whole && v.find_first_not_of('0') != std::string::npos
                       ? std::string{}
                       : "must be a whole number of at least 1, not '" + v + "'";
          },
          "N>0"));

  add("objects", "Objects in the directory: class, name, id (32 hex chars), in id order",
      [this](data_dir_reader& dir, std::ostream& out, std::ostream&) {
        return print(out, object_columns(),
                     [&](row_printer& rows) { list_objects(dir, rows, limit_); });
      });

  auto* object = add(
      "object", "Keys and values of one object, in key order (values as JSON when they are JSON)",
      [this](data_dir_reader& dir, std::ostream& out, std::ostream& err) {
        if (!has_object(dir, class_name_, object_name_)) {
          err << "dort inspect: no object '" << object_name_ << "' of class '" << class_name_
              << "' in " << data_ << "\n";
          return 1;
        }
        return print(out, key_value_columns(), [&](row_printer& rows) {
          show_object(dir, class_name_, object_name_, rows, limit_);
        });
      });
  object->add_option("class", class_name_, "Class name (counter, reminder, execution, ...)")
      ->required();
  object->add_option("name", object_name_, "Object name")->required();

  add("alarms", "Pending alarms, earliest first: due time, object, alarm name, retry count",
      [this](data_dir_reader& dir, std::ostream& out, std::ostream&) {
        return print(out, alarm_columns(),
                     [&](row_printer& rows) { list_alarms(dir, rows, limit_); });
      });

  auto* tasks =
      add("tasks", "Task records of an execution, newest first (an unused execution has none)",
          [this](data_dir_reader& dir, std::ostream& out, std::ostream&) {
            auto status = status_.empty() ? std::nullopt : parse_status(status_);
            return print(out, task_columns(),
                         [&](row_printer& rows) { list_tasks(dir, exec_, status, rows, limit_); });
          });
  tasks->add_option("exec", exec_, "Execution name")->required();
  tasks->add_option("--status", status_, "Only tasks of this status")
      ->check(CLI::IsMember(status_names()));

  auto* dlq = add("dlq", "Failed task records of an execution (its dead letters), newest first",
                  [this](data_dir_reader& dir, std::ostream& out, std::ostream&) {
                    return print(out, task_columns(), [&](row_printer& rows) {
                      list_tasks(dir, exec_, task_status::failed, rows, limit_);
                    });
                  });
  dlq->add_option("exec", exec_, "Execution name")->required();

  add("check",
      "Check the directory's consistency (catalogue, alarm index, every execution's records, "
      "indexes, events and counters, durable sends' outboxes and delivery marks): a JSON line "
      "per problem, then a summary; exits 1 if any. "
      "Exact when no process writes the directory; beside a running server a problem may be "
      "transient",
      [this](data_dir_reader& dir, std::ostream& out, std::ostream& err) {
        if (table_) {
          err << "dort inspect check: prints JSON lines only; --table does not apply\n";
          return 2;
        }
        row_printer rows{out, false, {}};
        auto summary = check_directory(dir, rows, limit_);  // --limit: problem lines printed
        print_check_summary(summary, rows);
        rows.finish();
        return summary.problems == 0 ? 0 : 1;
      });
}

CLI::App* inspect_command::add(std::string name, std::string description, action run) {
  auto* sub = command_->add_subcommand(std::move(name), std::move(description));
  sub->fallthrough();  // --data, --table and --limit may follow the subcommand too
  subcommands_.push_back(subcommand{sub, std::move(run)});
  return sub;
}

int inspect_command::print(std::ostream& out, std::vector<std::string> columns,
                           const std::function<void(row_printer&)>& list) const {
  row_printer rows{out, table_, std::move(columns)};
  list(rows);
  rows.finish();
  return 0;
}

int inspect_command::run(std::ostream& out, std::ostream& err) const {
  if (auto extras = command_->remaining(); !extras.empty()) {
    err << "dort inspect: unexpected '" << extras.front() << "'; the subcommands are";
    for (auto& sub : subcommands_) err << " " << sub.command->get_name();
    err << " (see dort inspect --help)\n";
    return 2;
  }
  for (auto& sub : subcommands_) {
    if (!sub.command->parsed()) continue;
    try {
      data_dir_reader dir{data_};
      return sub.run(dir, out, err);
    } catch (const std::exception& e) {  // dort::error from storage, or out of memory
      err << "dort inspect: " << e.what() << "\n";
      return 1;
    }
  }
  err << "dort inspect: a subcommand is required; see dort inspect --help\n";
  return 2;
}

}  // namespace dort::server
