#include "server/inspect_listings.hpp"

#include "execution/execution_object.hpp"
#include "execution/task_keys.hpp"
#include "persistence/catalogue.hpp"
#include "persistence/error.hpp"
#include "persistence/key_encoding.hpp"
#include "persistence/object_range.hpp"

namespace dort::server {

namespace {

environment_options read_only(const std::filesystem::path& dir) {
  environment_options options;
  options.dir = dir;
  options.read_only = true;
  return options;
}

bool reached(const row_printer& out, row_limit limit) {
  return limit && out.rows() >= *limit;
}

/// Whether a page that holds `entries` entries of `bytes` bytes is full.
bool page_full(std::size_t entries, std::size_t bytes) {
  return entries >= page_entries || bytes >= page_bytes;
}

/// The least key after `key` in byte order.
std::string key_after(std::string_view key) {
  std::string next{key};
  next.push_back('\0');
  return next;
}

/// Whether the named database `name` exists: LMDB keeps the names in its main database, and
/// opening a missing one read-only would fail.
bool has_named_db(const environment& env, const char* name) {
  auto txn = env.begin_read();
  MDB_dbi main = 0;
  if (int rc = mdb_dbi_open(txn.handle(), nullptr, 0, &main); rc != 0)
    throw error{errc::storage_failure,
                std::string{"opening the main database: "} + mdb_strerror(rc)};
  return txn.get(main, name).has_value();
}

}  // namespace

data_dir_reader::data_dir_reader(const std::filesystem::path& dir)
    : env_(read_only(dir)), alarms_(alarm_dbs::open(env_)) {
  if (has_named_db(env_, "outbox") && has_named_db(env_, "delivered"))
    durable_sends_ = durable_send_dbs::open(env_);
}

std::vector<std::string> object_columns() {
  return {"CLASS", "NAME", "ID"};
}
std::vector<std::string> key_value_columns() {
  return {"KEY", "VALUE"};
}
std::vector<std::string> alarm_columns() {
  return {"DUE_AT", "CLASS", "OBJECT", "ALARM", "RETRY_COUNT", "ID"};
}
std::vector<std::string> task_columns() {
  return {"ID", "NAME", "STATUS", "PRIORITY", "ATTEMPTS", "CREATED_AT", "ERROR"};
}

void list_objects(data_dir_reader& dir, row_printer& out, row_limit limit) {
  std::optional<object_id> after;
  for (;;) {
    std::vector<catalogue_entry> page;
    {
      auto txn = dir.env().begin_read();
      page = read_catalogue(txn, dir.env().data_db(), after, page_entries);
    }
    for (auto& object : page) {
      if (reached(out, limit)) return;
      auto r = out.make_row();
      r.text("class", object.class_name).text("name", object.name).text("id", object.id.to_hex());
      out.print(r);
    }
    if (page.size() < page_entries) return;
    after = page.back().id;
  }
}

bool has_object(data_dir_reader& dir, std::string_view class_name, std::string_view name) {
  auto txn = dir.env().begin_read();
  auto entry = find_object(txn, dir.env().data_db(), object_id::from_name(class_name, name));
  return entry && entry->class_name == class_name && entry->name == name;
}

void show_object(data_dir_reader& dir, std::string_view class_name, std::string_view name,
                 row_printer& out, row_limit limit) {
  const auto id = object_id::from_name(class_name, name);
  std::string lo;
  for (;;) {
    std::vector<key_value> page;
    std::size_t bytes = 0;
    bool more = false;
    {
      auto txn = dir.env().begin_read();
      object_range keys{txn, dir.env().data_db(), id, lo, std::nullopt, false};
      for (; keys.valid(); keys.next()) {
        if (page_full(page.size(), bytes)) {
          more = true;
          break;
        }
        page.emplace_back(std::string{keys.key()}, std::string{keys.value()});
        bytes += keys.key().size() + keys.value().size();
      }
    }
    for (auto& [key, value] : page) {
      if (reached(out, limit)) return;
      auto r = out.make_row();
      r.text("key", key).stored_value("value", value);
      out.print(r);
    }
    if (!more) return;
    lo = key_after(page.back().first);
  }
}

void list_alarms(data_dir_reader& dir, row_printer& out, row_limit limit) {
  std::string after;
  for (;;) {
    std::vector<due_alarm> page;
    {
      auto txn = dir.env().begin_read();
      page = read_due_alarms(txn, dir.alarms().due, after, page_entries);
    }
    for (auto& alarm : page) {
      if (reached(out, limit)) return;
      auto r = out.make_row();
      r.time_ms("dueAt", alarm.record.due_ms)
          .text("class", alarm.record.class_name)
          .text("object", alarm.record.object_name)
          .text("alarm", alarm.name)
          .integer("retryCount", alarm.record.retry_count)
          .text("id", alarm.id.to_hex());
      out.print(r);
    }
    if (page.size() < page_entries) return;
    after = page.back().key;
  }
}

void list_tasks(data_dir_reader& dir, std::string_view exec, std::optional<task_status> status,
                row_printer& out, row_limit limit) {
  const auto id = object_id::from_name(execution_object::class_name, exec);
  const auto data_db = dir.env().data_db();
  const auto prefix = task_keys::listing_prefix(status);
  // Newest first: the index walked backwards, each page ending just before the last one read.
  std::optional<std::string> end = prefix_successor(prefix);
  std::string record_key;
  for (;;) {
    std::vector<task_record> page;
    std::size_t bytes = 0;
    bool more = false;
    {
      auto txn = dir.env().begin_read();
      object_range index{txn, data_db, id, prefix, end, true};
      for (; index.valid(); index.next()) {
        if (page_full(page.size(), bytes)) {
          more = true;
          break;
        }
        end = std::string{index.key()};
        encode_data_key(id, task_keys::task(index.value()), record_key);
        auto stored = txn.get(data_db, record_key);
        if (!stored) continue;  // an index entry without its record: for a consistency check
        auto task = decode_task(*stored);
        if (status && task.status != *status) continue;
        bytes += stored->size();
        page.push_back(std::move(task));
      }
    }
    for (auto& task : page) {
      if (reached(out, limit)) return;
      auto r = out.make_row();
      r.text("id", task.id).text("name", task.name).text("status", status_name(task.status));
      r.integer("priority", task.priority).integer("attempts", task.attempts);
      r.time_ms("createdAt", task.created_at);
      if (task.error)
        r.text("error", *task.error);
      else
        r.absent("error");
      json_writer record;
      write_task(record, task);
      out.print(record.str(), r);
    }
    if (!more) return;
  }
}

}  // namespace dort::server
