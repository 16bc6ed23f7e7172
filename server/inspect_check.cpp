#include "server/inspect_check.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/durable_send_records.hpp"
#include "execution/execution_object.hpp"
#include "execution/group_queue.hpp"
#include "execution/task_counters.hpp"
#include "execution/schedule_record.hpp"
#include "execution/task_keys.hpp"
#include "execution/workflow_store.hpp"
#include "persistence/catalogue.hpp"
#include "persistence/error.hpp"
#include "persistence/key_encoding.hpp"
#include "persistence/object_range.hpp"

namespace dort::server {

namespace {

/// The fields of a problem row after its name and object: (field, text).
using field_list = std::vector<std::pair<std::string_view, std::string_view>>;

/// One LMDB cursor, closed however a walk ends.
class cursor {
 public:
  cursor(const read_txn& txn, MDB_dbi db) {
    if (int rc = mdb_cursor_open(txn.handle(), db, &cursor_); rc != 0)
      throw error{errc::storage_failure, std::string{"mdb_cursor_open: "} + mdb_strerror(rc)};
  }
  cursor(const cursor&) = delete;
  cursor& operator=(const cursor&) = delete;
  ~cursor() { mdb_cursor_close(cursor_); }

  /// Moves to the first key at or after `key` (the first key when `key` is empty); returns
  /// false past the last.
  bool seek(std::string_view key) { return move(key.empty() ? MDB_FIRST : MDB_SET_RANGE, key); }
  bool next() { return move(MDB_NEXT, {}); }
  bool prev() { return move(MDB_PREV, {}); }
  bool last() { return move(MDB_LAST, {}); }

  std::string_view key() const noexcept { return key_; }
  std::string_view value() const noexcept { return value_; }

 private:
  bool move(MDB_cursor_op op, std::string_view seek) {
    MDB_val k{seek.size(), const_cast<char*>(seek.data())};
    MDB_val v;
    int rc = mdb_cursor_get(cursor_, &k, &v, op);
    if (rc == MDB_NOTFOUND) return false;
    if (rc != 0)
      throw error{errc::storage_failure, std::string{"mdb_cursor_get: "} + mdb_strerror(rc)};
    key_ = {static_cast<const char*>(k.mv_data), k.mv_size};
    value_ = {static_cast<const char*>(v.mv_data), v.mv_size};
    return true;
  }

  MDB_cursor* cursor_ = nullptr;
  std::string_view key_;
  std::string_view value_;
};

/// Calls `visit(txn, key, value)` on every entry of `db` whose key begins with `prefix`, in key
/// order, `page_entries` entries per read transaction. `visit` may read more in `txn`.
template <class Visit>
void walk(environment& env, MDB_dbi db, const std::string& prefix, Visit&& visit) {
  std::string resume = prefix;
  for (;;) {
    auto txn = env.begin_read();
    cursor c{txn, db};
    std::size_t visited = 0;
    for (bool on = c.seek(resume);; on = c.next()) {
      if (!on || !c.key().starts_with(prefix)) return;
      if (visited == page_entries) break;
      visit(txn, c.key(), c.value());
      ++visited;
    }
    resume = std::string{c.key()};  // the first entry not visited yet
  }
}

std::string number(std::uint64_t v) { return std::to_string(v); }
std::string number(std::int64_t v) { return std::to_string(v); }

/// The status whose letter the `s` index uses, or nothing.
std::optional<task_status> status_of_letter(char letter) {
  for (int i = 0; i < 6; ++i) {
    auto s = static_cast<task_status>(i);
    if (task_keys::status_letter(s) == letter) return s;
  }
  return std::nullopt;
}

/// An `e` key's parts: task id and event number.
struct event_key {
  std::string_view task;
  std::uint32_t seq;
};

std::optional<event_key> parse_event_key(std::string_view key) {
  if (key.size() < 3 || key[0] != 'e') return std::nullopt;
  auto length = task_keys::read_be(key.substr(1, 2));
  if (key.size() != 3 + length + 4) return std::nullopt;
  return event_key{key.substr(3, length),
                   static_cast<std::uint32_t>(task_keys::read_be(key.substr(3 + length)))};
}

/// An execution key for people: "a:17", "s:pending:17", "q:<priority>:<seq>", "w:<ms>:<seq>",
/// "k:<key>", "t:<id>", "e:<id>:<seq>"; other keys as they are.
std::string describe_key(std::string_view key) {
  auto seq_at = [&](std::size_t at) { return number(task_keys::read_be(key.substr(at, 8))); };
  if (key.empty()) return {};
  switch (key[0]) {
    case 'a':
      if (key.size() == 9) return "a:" + seq_at(1);
      break;
    case 's':
      if (key.size() == 10)
        if (auto s = status_of_letter(key[1]))
          return "s:" + std::string{status_name(*s)} + ":" + seq_at(2);
      break;
    case 'q':
      if (key.size() == 17)
        return "q:" + number(task_keys::priority_at(key, 1)) + ":" + seq_at(9);
      break;
    case 'w':
      if (key.size() == 17) return "w:" + seq_at(1) + ":" + seq_at(9);
      break;
    case 'f':
      if (key.size() == 18) return "f:" + std::string{key.substr(1, 1)} + ":" + seq_at(2) + ":" + seq_at(10);
      break;
    case 'g':
      if (key.size() >= 19) {
        const auto length = task_keys::read_be(key.substr(1, 2));
        if (key.size() == 19 + length)
          return "g:" + std::string{key.substr(3, length)} + ":" +
                 number(task_keys::priority_at(key, 3 + length)) + ":" + seq_at(11 + length);
      }
      break;
    case 'h':
      if (key.size() > 17)
        return "h:" + number(task_keys::turn_priority(key)) + ":" +
               number(task_keys::turn_rank(key)) + ":" + std::string{task_keys::turn_group(key)};
      break;
    case 'k':
    case 't':
      return std::string{key.substr(0, 1)} + ":" + std::string{key.substr(1)};
    case 'e':
      if (auto e = parse_event_key(key))
        return "e:" + std::string{e->task} + ":" + number(std::uint64_t{e->seq});
      break;
    default:
      break;
  }
  return std::string{key};
}

/// Whether `t` waits in the ready queue: pending or held by its rate limit, with no time to
/// wait for.
bool is_ready(const task_record& t) {
  return (t.status == task_status::pending || t.status == task_status::rate_limited) &&
         !t.wake_at;
}

/// Why `t` has no place in a ready queue.
std::string not_ready(const task_record& t) {
  return "the task is " + std::string{status_name(t.status)} +
         (t.wake_at ? " and waits for a time" : "") + ", not ready";
}

/// The `w` key time of `t` (times before the epoch are stored as the epoch).
std::int64_t wake_key_time(std::int64_t at) { return std::max<std::int64_t>(at, 0); }

class checker {
 public:
  checker(data_dir_reader& dir, row_printer& out, row_limit limit)
      : dir_(dir), env_(dir.env()), data_(dir.env().data_db()), out_(out), limit_(limit) {}

  check_summary run() {
    check_objects();
    check_alarms();
    if (const auto& dbs = dir_.durable_sends()) {
      check_outboxes(*dbs);
      check_delivery_marks(*dbs);
    }
    return summary_;
  }

 private:
  /// What one execution's walks gather.
  struct execution_state {
    explicit execution_state(const catalogue_entry& o) : object(o) {}

    const catalogue_entry& object;
    task_counters tally;  // by_status and the averages' sums, from the records
    std::uint64_t max_seq = 0;
    std::int64_t unfinished = 0;
    std::int64_t finished = 0;
    std::int64_t schedules = 0;
    /// Entries of the workflows' timed index (sleeps, timeouts): they need the alarm too.
    std::int64_t workflow_timed = 0;
    /// Step tasks and the workflow each names, from the records.
    std::vector<std::pair<std::string, std::string>> step_tasks;
    /// Queued tasks of each group, from the records.
    std::map<std::string, std::int64_t> group_queued;
    /// Each group's first ready task (its head: highest priority, then oldest) and how many of
    /// its tasks run, from the records.
    struct group_head {
      std::int64_t priority;
      std::uint64_t seq;
      std::string id;
    };
    std::map<std::string, group_head> group_heads;
    std::map<std::string, std::int64_t> group_running;
    // The event group being read: its task, next expected number and the record's count.
    std::string event_task;
    std::uint32_t next_event = 1;
    std::optional<std::uint32_t> recorded_events;
    /// Whether that task is running: its attempt's progress events may be ahead of the count.
    bool recorded_running = false;
    bool event_group_open = false;
  };

  void report(std::string_view problem, const catalogue_entry* object, field_list fields) {
    ++summary_.problems;
    if (limit_ && out_.rows() >= *limit_) return;
    auto r = out_.make_row();
    r.text("problem", problem);
    if (object != nullptr)
      r.text("class", object->class_name).text("object", object->name).text("id",
                                                                             object->id.to_hex());
    for (auto& [field, value] : fields) r.text(field, value);
    out_.print(r);
  }

  // -- objects and their catalogue records ------------------------------------------------------

  /// The first key of one object: its catalogue record, or (when it has none) its first key.
  struct object_head {
    object_id id;
    std::optional<std::string> record;
    std::string first_key;
  };

  void check_objects() {
    std::string resume;
    for (;;) {
      std::vector<object_head> page;
      bool more = false;
      {
        auto txn = env_.begin_read();
        cursor c{txn, data_};
        for (bool on = c.seek(resume); on;) {
          if (page.size() == page_entries) {
            more = true;
            resume = std::string{c.key()};
            break;
          }
          if (c.key().size() < object_id::size_bytes) {
            report("stray_key", nullptr,
                   {{"key", c.key()}, {"detail", "a key shorter than an object id"}});
            on = c.next();
            continue;
          }
          auto id = object_id::from_bytes(c.key().substr(0, object_id::size_bytes));
          object_head head{id, std::nullopt, {}};
          if (c.key().size() == object_id::size_bytes)
            head.record = std::string{c.value()};
          else
            head.first_key = std::string{decode_user_key(c.key())};
          page.push_back(std::move(head));
          auto next_object = prefix_successor(std::string{id.bytes()});
          on = next_object && c.seek(*next_object);
        }
      }
      for (auto& head : page) check_object(head);
      if (!more) return;
    }
  }

  void check_object(const object_head& head) {
    ++summary_.objects;
    const auto hex = head.id.to_hex();
    if (!head.record) {
      report("missing_catalogue_record", nullptr,
             {{"id", hex},
              {"key", head.first_key},
              {"detail", "the object has keys but no catalogue record"}});
      return;
    }
    auto entry = decode_catalogue_record(head.id, *head.record);
    if (!entry) {
      report("bad_catalogue_record", nullptr,
             {{"id", hex}, {"detail", "the catalogue record is not class NUL name"}});
      return;
    }
    // An object made with a random id is catalogued under its id's hex digits (runtime::get).
    if (object_id::from_name(entry->class_name, entry->name) != head.id && entry->name != hex)
      report("id_mismatch", &*entry,
             {{"detail", "the id is not the hash of the catalogued class and name"}});
    if (entry->class_name == execution_object::class_name) {
      ++summary_.executions;
      check_execution(*entry);
    }
  }

  // -- alarms -----------------------------------------------------------------------------------

  void check_alarms() {
    const auto& dbs = dir_.alarms();
    walk(env_, dbs.due, {}, [&](const read_txn& txn, std::string_view key, std::string_view value) {
      ++summary_.alarms;
      auto parts = parse_due_key(key);
      auto record = decode_alarm_record(value);
      if (!parts || !record) {
        report("bad_alarm_entry", nullptr,
               {{"key", key}, {"detail", "an alarms_due entry that does not decode"}});
        return;
      }
      const auto hex = parts->id.to_hex();
      const auto due = number(record->due_ms);
      auto fields = [&](std::string_view detail) -> field_list {
        return {{"class", record->class_name}, {"object", record->object_name}, {"id", hex},
                {"alarm", parts->name},         {"dueAt", due},                   {"detail", detail}};
      };
      if (record->due_ms != parts->due_ms)
        report("alarm_entries_differ", nullptr,
               fields("the due time of the alarms_due key differs from its record's"));
      auto twin = txn.get(dbs.by_object, by_object_key(parts->id, parts->name));
      if (!twin)
        report("alarm_missing_by_object", nullptr, fields("no alarms_by_object entry"));
      else if (*twin != value)
        report("alarm_entries_differ", nullptr,
               fields("alarms_by_object holds another due time, retry count or object"));
      auto object = find_object(txn, data_, parts->id);
      if (!object || object->class_name != record->class_name ||
          object->name != record->object_name)
        report("alarm_object_not_catalogued", nullptr,
               fields("the alarm's object is not in the catalogue with this class and name"));
    });
    walk(env_, dbs.by_object, {},
         [&](const read_txn& txn, std::string_view key, std::string_view value) {
           auto record = decode_alarm_record(value);
           if (key.size() < object_id::size_bytes || !record) {
             report("bad_alarm_entry", nullptr,
                    {{"key", key}, {"detail", "an alarms_by_object entry that does not decode"}});
             return;
           }
           auto id = object_id::from_bytes(key.substr(0, object_id::size_bytes));
           auto name = key.substr(object_id::size_bytes);
           if (!txn.get(dbs.due, due_key(record->due_ms, id, name)))
             report("alarm_missing_due", nullptr,
                    {{"class", record->class_name},
                     {"object", record->object_name},
                     {"id", id.to_hex()},
                     {"alarm", name},
                     {"dueAt", number(record->due_ms)},
                     {"detail", "no alarms_due entry at the alarm's due time"}});
         });
  }

  // -- durable sends ----------------------------------------------------------------------------
  // Both ends write their keys in a commit that catalogues the object (a raw write counts as a
  // write), so every sender of an outbox and every receiver of a mark is in the catalogue. What
  // does not hold, and is not checked: an order between a sender's counter and its entries (the
  // counter is written when an entry is deleted, while sends of commits in flight may be below it
  // and later ones are above), or between an entry and the receiver's mark (a delivered entry
  // whose delete was lost stays until it is delivered again and turned away).

  /// `fields` with the object's id first when `object` is not catalogued (report prints it then).
  static field_list with_id(const catalogue_entry* object, const std::string& hex,
                            field_list fields) {
    if (object == nullptr) fields.insert(fields.begin(), {"id", hex});
    return fields;
  }

  void check_outboxes(const durable_send_dbs& dbs) {
    std::optional<object_id> last_sender;  // keys of one sender are adjacent: one lookup each
    std::optional<catalogue_entry> sender;
    walk(env_, dbs.outbox, {},
         [&](const read_txn& txn, std::string_view key, std::string_view value) {
           if (key.size() != object_id::size_bytes && key.size() != object_id::size_bytes + 8) {
             report("bad_outbox_entry", nullptr,
                    {{"key", key},
                     {"detail", "a key of " + number(std::uint64_t{key.size()}) +
                                    " bytes, neither a sender's counter (16) nor a send (24)"}});
             return;
           }
           const auto id = object_id::from_bytes(key.substr(0, object_id::size_bytes));
           const auto hex = id.to_hex();
           if (id != last_sender) {
             last_sender = id;
             sender = find_object(txn, data_, id);
             if (!sender)
               report("outbox_sender_not_catalogued", nullptr,
                      {{"id", hex}, {"detail", "an outbox whose sender is not in the catalogue"}});
           }
           const catalogue_entry* object = sender ? &*sender : nullptr;
           if (key.size() == object_id::size_bytes) {
             if (!decode_seq(value))
               report("bad_outbox_entry", object,
                      with_id(object, hex,
                              {{"detail", "a next-sequence counter that is not 8 bytes"}}));
             return;
           }
           ++summary_.outbox_entries;
           const auto seq = number(*decode_seq(key.substr(object_id::size_bytes)));
           auto entry = decode_outbox_entry(key, value);
           if (!entry) {
             report(
                 "bad_outbox_entry", object,
                 with_id(object, hex, {{"seq", seq}, {"detail", "a send that does not decode"}}));
             return;
           }
           if (entry->seq == 0)
             report("bad_outbox_entry", object,
                    with_id(object, hex,
                            {{"seq", seq}, {"detail", "sequence 0, which no send takes"}}));
           // Stubs name a receiver by class and name, or by id (its name is then the id's hex).
           const auto to = entry->class_name + "/" + entry->name;
           if (object_id::from_name(entry->class_name, entry->name) != entry->to &&
               entry->name != entry->to.to_hex())
             report("outbox_receiver_mismatch", object,
                    with_id(object, hex,
                            {{"seq", seq},
                             {"to", to},
                             {"detail", "the receiver's id is not its class and name's hash"}}));
         });
  }

  /// The sequence that the next send of `sender` takes after a restart (read_outbox's rule):
  /// above its counter and above each of its entries, and at least 1.
  static std::uint64_t next_send_seq(const read_txn& txn, MDB_dbi outbox, const object_id& sender) {
    std::uint64_t next = 1;
    if (auto counter = txn.get(outbox, outbox_counter_key(sender)))
      next = std::max(next, decode_seq(*counter).value_or(0));
    // The sender's highest send: the key before the first one past all of its sends.
    cursor c{txn, outbox};
    const auto past = outbox_key(sender, ~std::uint64_t{0});
    bool on = c.seek(past) ? c.prev() : c.last();
    if (on && c.key().size() == object_id::size_bytes + 8 && c.key().starts_with(sender.bytes()))
      next = std::max(next, *decode_seq(c.key().substr(object_id::size_bytes)) + 1);
    return next;
  }

  void check_delivery_marks(const durable_send_dbs& dbs) {
    walk(env_, dbs.delivered, {},
         [&](const read_txn& txn, std::string_view key, std::string_view value) {
           ++summary_.delivery_marks;
           auto mark = decode_seq(value);
           if (key.size() != 2 * object_id::size_bytes || !mark) {
             report(
                 "bad_delivery_mark", nullptr,
                 {{"key", key}, {"detail", "not 2 object ids (32 bytes) to a sequence (8 bytes)"}});
             return;
           }
           const auto receiver_id = object_id::from_bytes(key.substr(0, object_id::size_bytes));
           const auto sender_id = object_id::from_bytes(key.substr(object_id::size_bytes));
           const auto hex = receiver_id.to_hex(), sender_hex = sender_id.to_hex();
           const auto marked = number(*mark);
           auto receiver = find_object(txn, data_, receiver_id);
           const catalogue_entry* object = receiver ? &*receiver : nullptr;
           if (!receiver)
             report("delivery_mark_receiver_not_catalogued", nullptr,
                    {{"id", hex},
                     {"sender", sender_hex},
                     {"detail", "a delivery mark whose receiver is not in the catalogue"}});
           if (!find_object(txn, data_, sender_id))
             report("delivery_mark_sender_not_catalogued", object,
                    with_id(object, hex,
                            {{"sender", sender_hex},
                             {"detail", "a delivery mark whose sender is not in the catalogue"}}));
           // A mark at or past the sender's next number turns that send away as applied: lost.
           const auto next = next_send_seq(txn, dbs.outbox, sender_id);
           if (*mark >= next)
             report("delivery_mark_ahead_of_sender", object,
                    with_id(object, hex,
                            {{"sender", sender_hex},
                             {"mark", marked},
                             {"detail", "the receiver has applied send " + marked +
                                            " of the sender, whose next send takes " +
                                            number(next) + " and would be turned away"}}));
         });
  }

  // -- executions -------------------------------------------------------------------------------

  /// The LMDB key of `user_key` of the execution.
  std::string data_key(const execution_state& x, std::string_view user_key) const {
    std::string key;
    encode_data_key(x.object.id, user_key, key);
    return key;
  }

  /// The prefix of the execution's keys that begin with `letter`.
  std::string keys_of(const execution_state& x, char letter) const {
    return data_key(x, std::string_view{&letter, 1});
  }

  std::optional<task_record> task_at(const read_txn& txn, const execution_state& x,
                                     std::string_view id) const {
    auto stored = txn.get(data_, data_key(x, task_keys::task(id)));
    if (!stored) return std::nullopt;
    try {
      return decode_task(*stored);
    } catch (const error&) {
      return std::nullopt;  // reported by the record walk
    }
  }

  void check_execution(const catalogue_entry& object) {
    execution_state x{object};
    walk(env_, data_, keys_of(x, 't'),
         [&](const read_txn& txn, std::string_view key, std::string_view value) {
           check_record(txn, x, decode_user_key(key), value);
         });
    walk_index(x, 'a', [&](const read_txn& txn, std::string_view key, std::string_view id) {
      auto t = task_at(txn, x, id);
      if (key.size() != 9) return stray(x, key, id, "a malformed key");
      if (!t) return stray(x, key, id, "points to no task");
      if (t->seq != task_keys::read_be(key.substr(1)))
        stray(x, key, id, "the task's submission number is " + number(t->seq));
    });
    walk_index(x, 's', [&](const read_txn& txn, std::string_view key, std::string_view id) {
      auto t = task_at(txn, x, id);
      auto status = key.size() == 10 ? status_of_letter(key[1]) : std::nullopt;
      if (!status) return stray(x, key, id, "a malformed key");
      if (!t) return stray(x, key, id, "points to no task");
      if (t->seq != task_keys::read_be(key.substr(2)))
        stray(x, key, id, "the task's submission number is " + number(t->seq));
      if (t->status != *status)
        stray(x, key, id, "the task is " + std::string{status_name(t->status)});
    });
    walk_index(x, 'q', [&](const read_txn& txn, std::string_view key, std::string_view id) {
      auto t = task_at(txn, x, id);
      if (key.size() != 17) return stray(x, key, id, "a malformed key");
      if (!t) return stray(x, key, id, "points to no task");
      if (key != task_keys::queue(t->priority, t->seq))
        stray(x, key, id, "the task's priority or submission number differs");
      if (t->group) stray(x, key, id, "the task has a group: it belongs in its group's queue");
      if (!is_ready(*t)) stray(x, key, id, not_ready(*t));
    });
    walk_index(x, 'g', [&](const read_txn& txn, std::string_view key, std::string_view id) {
      auto t = task_at(txn, x, id);
      if (!t) return stray(x, key, id, "points to no task");
      if (!t->group || key.size() < 19 ||
          key != task_keys::group_ready(*t->group, t->priority, t->seq))
        return stray(x, key, id, "the task's group, priority or submission number differs");
      if (!is_ready(*t)) stray(x, key, id, not_ready(*t));
    });
    walk_index(x, 'w', [&](const read_txn& txn, std::string_view key, std::string_view id) {
      auto t = task_at(txn, x, id);
      if (key.size() != 17) return stray(x, key, id, "a malformed key");
      if (!t) return stray(x, key, id, "points to no task");
      if (t->seq != task_keys::read_be(key.substr(9)))
        stray(x, key, id, "the task's submission number is " + number(t->seq));
      if (!t->wake_at)
        stray(x, key, id, "the task waits for no time");
      else if (task_keys::wake_time(key) != wake_key_time(*t->wake_at))
        stray(x, key, id, "the task waits until " + number(*t->wake_at));
      if (is_final(t->status))
        stray(x, key, id, "the task is " + std::string{status_name(t->status)});
    });
    walk_index(x, 'f', [&](const read_txn& txn, std::string_view key, std::string_view id) {
      auto t = task_at(txn, x, id);
      if (key.size() != 18 || (key[1] != 'C' && key[1] != 'F'))
        return stray(x, key, id, "a malformed key");
      if (!t) return stray(x, key, id, "points to no task");
      if (!is_final(t->status))
        return stray(x, key, id, "the task is " + std::string{status_name(t->status)});
      if (key != task_keys::finished(t->status, t->completed_at.value_or(-1), t->seq))
        stray(x, key, id, "the task's status, completedAt or submission number differs");
    });
    walk_index(x, 'k', [&](const read_txn& txn, std::string_view key, std::string_view id) {
      auto t = task_at(txn, x, id);
      if (!t) return stray(x, key, id, "points to no task");
      if (t->idempotency_key != key.substr(1))
        stray(x, key, id, "the task's idempotencyKey is " + t->idempotency_key.value_or("absent"));
    });
    walk(env_, data_, keys_of(x, 'e'),
         [&](const read_txn& txn, std::string_view key, std::string_view) {
           check_event(txn, x, decode_user_key(key));
         });
    end_event_group(x);
    check_counters(x);
    check_group_counts(x);
    check_group_turns(x);
    check_schedules(x);
    check_workflows(x);
    check_alarm_of(x);
  }

  void workflow_problem(const execution_state& x, std::string_view problem, std::string_view id,
                        const std::string& detail) {
    report(problem, &x.object, {{"workflow", id}, {"detail", detail}});
  }

  /// Each workflow's state against its definition, listing and finished entries, step outputs,
  /// step tasks and timed entries; and each step task against its workflow.
  void check_workflows(execution_state& x) {
    std::map<std::string, workflow> found;
    walk(env_, data_, keys_of(x, 'W'),
         [&](const read_txn& txn, std::string_view key, std::string_view value) {
           const std::string id{decode_user_key(key).substr(1)};
           workflow w;
           try {
             w.state = decode_workflow(value);
             auto text = txn.get(data_, data_key(x, workflow_keys::definition(id)));
             if (!text) return workflow_problem(x, "workflow_without_definition", id, "no D key");
             w.definition = read_workflow_definition(*text, {});
           } catch (const error& e) {
             return workflow_problem(x, "damaged_workflow", id, e.what());
           }
           if (w.definition.steps.size() != w.state.steps.size() || w.state.id != id)
             return workflow_problem(x, "damaged_workflow", id, "its state does not fit its steps");
           auto expect = [&](const std::string& index_key, std::string_view detail) {
             auto entry = txn.get(data_, data_key(x, index_key));
             if (!entry || *entry != id)
               workflow_problem(x, "missing_index_entry", id, std::string{detail});
           };
           expect(workflow_keys::all(w.state.seq), "no entry in the list of all workflows");
           auto listing = workflow_keys::listing_prefix(w.state.status);
           task_keys::append_be(listing, w.state.seq, 8);
           expect(listing, "no entry in the index of its status");
           const bool final = is_final(w.state.status);
           if (final) ++x.finished;
           for (std::size_t i = 0; i < w.state.steps.size(); ++i) {
             const auto& step = w.state.steps[i];
             const auto& name = w.definition.steps[i].name;
             if (step.status == step_status::completed &&
                 !txn.get(data_, data_key(x, workflow_keys::output(id, i))))
               workflow_problem(x, "step_without_output", id, "step '" + name + "' completed");
             if (!step.has_task) continue;
             auto task = task_at(txn, x, id + "#" + name);
             if (!task) {
               workflow_problem(x, "step_without_task", id, "step '" + name + "' has no task");
               continue;
             }
             if (task->workflow_id != id || task->workflow_step != name)
               workflow_problem(x, "step_task_of_another", id, "task of step '" + name + "'");
             // A task step that runs has an unfinished task: its end and the step's are one
             // transaction.
             if (!final && i == w.state.current && step.status == step_status::running &&
                 w.definition.steps[i].kind == step_kind::task && is_final(task->status))
               workflow_problem(x, "step_behind_its_task", id,
                                "step '" + name + "' runs but its task is " +
                                    std::string{status_name(task->status)});
           }
           if (!final && w.state.current < w.state.steps.size()) {
             const auto& step = w.state.steps[w.state.current];
             if (step.status == step_status::waiting && step.wake_at &&
                 !txn.get(data_, data_key(x, workflow_keys::timed(*step.wake_at, w.state.seq, 'S',
                                                                   w.state.current))))
               workflow_problem(x, "missing_index_entry", id, "its waiting step is not timed");
           }
           found.emplace(id, std::move(w));
         });
    walk(env_, data_, keys_of(x, 'x'),
         [&](const read_txn&, std::string_view, std::string_view) { ++x.workflow_timed; });
    for (const auto& [task, workflow_id] : x.step_tasks)
      if (!found.contains(workflow_id))
        report("step_task_without_workflow", &x.object,
               {{"task", task}, {"detail", "workflow '" + workflow_id + "' does not exist"}});
  }

  /// Walks the index of `letter`, calling `visit(txn, user_key, task_id)` on each entry.
  template <class Visit>
  void walk_index(execution_state& x, char letter, Visit&& visit) {
    walk(env_, data_, keys_of(x, letter),
         [&](const read_txn& txn, std::string_view key, std::string_view value) {
           visit(txn, decode_user_key(key), value);
         });
  }

  void stray(const execution_state& x, std::string_view key, std::string_view task,
             const std::string& detail) {
    report("stray_index_entry", &x.object,
           {{"task", task}, {"key", describe_key(key)}, {"detail", detail}});
  }

  void missing(const execution_state& x, const task_record& t, std::string_view key,
               std::string_view detail) {
    report("missing_index_entry", &x.object,
           {{"task", t.id}, {"key", describe_key(key)}, {"detail", detail}});
  }

  void check_record(const read_txn& txn, execution_state& x, std::string_view key,
                    std::string_view value) {
    ++summary_.tasks;
    const auto id = key.substr(1);
    task_record t;
    try {
      t = decode_task(value);
    } catch (const error& e) {
      report("bad_task_record", &x.object, {{"task", id}, {"detail", e.what()}});
      return;
    }
    if (t.id != id)
      report("bad_task_record", &x.object,
             {{"task", id}, {"detail", "the record under this id is task '" + t.id + "'"}});
    ++x.tally.of(t.status);
    x.tally.count_finished(t, +1);
    x.max_seq = std::max(x.max_seq, t.seq);
    if (!is_final(t.status)) ++x.unfinished;
    else if (!t.workflow_id) ++x.finished;  // a step task goes with its workflow
    if (t.workflow_id) x.step_tasks.emplace_back(t.id, *t.workflow_id);
    if (t.group && (t.status == task_status::pending || t.status == task_status::rate_limited))
      ++x.group_queued[*t.group];
    if (t.group && t.status == task_status::running) ++x.group_running[*t.group];
    if (t.group && is_ready(t)) {
      auto [it, first] = x.group_heads.try_emplace(*t.group, execution_state::group_head{t.priority, t.seq, t.id});
      if (!first && task_keys::queue_order_before(t.priority, t.seq, it->second.priority,
                                                  it->second.seq))
        it->second = {t.priority, t.seq, t.id};
    }
    check_invariants(x, t);
    auto expect = [&](const std::string& index_key, std::string_view detail) {
      auto entry = txn.get(data_, data_key(x, index_key));
      if (!entry)
        missing(x, t, index_key, detail);
      else if (*entry != t.id)
        missing(x, t, index_key, "the entry names task '" + std::string{*entry} + "'");
    };
    expect(task_keys::all(t.seq), "no entry in the list of all tasks");
    expect(task_keys::by_status(t.status, t.seq), "no entry in the index of its status");
    if (is_ready(t) && t.group)
      expect(task_keys::group_ready(*t.group, t.priority, t.seq), "ready but not in its group's queue");
    else if (is_ready(t))
      expect(task_keys::queue(t.priority, t.seq), "ready but not in the queue");
    if (t.wake_at) expect(task_keys::wake(*t.wake_at, t.seq), "waits but not in the timed index");
    if (t.idempotency_key)
      expect(task_keys::idempotency(*t.idempotency_key), "no idempotency entry");
    // A workflow's step task has no finished entry: it goes with its workflow.
    if (is_final(t.status) && t.completed_at && !t.workflow_id)
      expect(task_keys::finished(t.status, *t.completed_at, t.seq),
             "finished but not in the finished index (retention)");
    if (!txn.get(data_, data_key(x, task_keys::event(t.id, 1))))
      missing(x, t, task_keys::event(t.id, 1), "no events stored");
  }

  /// API.md's rules for a record, and the execution's own bookkeeping.
  void check_invariants(const execution_state& x, const task_record& t) {
    auto broken = [&](const std::string& rule) {
      report("task_invariant", &x.object, {{"task", t.id}, {"detail", rule}});
    };
    const auto status = std::string{status_name(t.status)};
    const bool started_status = t.status == task_status::running ||
                                t.status == task_status::completed ||
                                t.status == task_status::failed;
    if (t.seq == 0) broken("no submission number");
    if (t.events == 0) broken("an event count of 0 (every task has its created event)");
    if (started_status && !t.has_result) broken(status + " without a result");
    if (started_status && t.attempts < 1) broken(status + " with no attempt");
    if (t.attempts < t.attempts_since_reset)
      broken("attempts " + number(t.attempts) + " below the attempts since the last retry, " +
             number(t.attempts_since_reset));
    if (t.retries != std::max<std::int64_t>(t.attempts_since_reset - 1, 0))
      broken("retries " + number(t.retries) + " after " + number(t.attempts_since_reset) +
             " attempts since the last retry");
    if (t.retries > t.config.max_retries)
      broken("retries " + number(t.retries) + " over maxRetries " + number(t.config.max_retries));
    if (is_final(t.status) && !t.completed_at) broken(status + " without completedAt");
    if (!is_final(t.status) && t.completed_at) broken(status + " with completedAt");
    if (t.status == task_status::completed && t.error) broken("completed with an error");
    if (t.status == task_status::failed && !t.error) broken("failed without an error");
    if (t.output && t.status != task_status::completed) broken(status + " with an output");
    if (t.attempts >= 1 && !t.started_at) broken("attempted but without startedAt");
    if (t.next_retry_at && t.status != task_status::pending &&
        t.status != task_status::rate_limited)
      broken(status + " with nextRetryAt");
    if (t.status == task_status::running && !t.attempt_started_at)
      broken("running without the start of its attempt");
    if (t.output_at_wake && !(t.status == task_status::running && t.wake_at))
      broken("an output for a wake-up, but not running until a time");
    if (t.wake_at && (is_final(t.status) ||
                      (t.status == task_status::running && !t.output_at_wake)))
      broken(status + " but waiting for a time");
    if (t.status == task_status::rate_limited && !t.was_rate_limited)
      broken("rate_limited without wasRateLimited");
  }

  void check_event(const read_txn& txn, execution_state& x, std::string_view key) {
    auto event = parse_event_key(key);
    if (!event) {
      report("stray_index_entry", &x.object,
             {{"key", describe_key(key)}, {"detail", "a malformed event key"}});
      return;
    }
    if (!x.event_group_open || event->task != x.event_task) {
      end_event_group(x);
      x.event_group_open = true;
      x.event_task = std::string{event->task};
      x.next_event = 1;
      auto t = task_at(txn, x, event->task);
      x.recorded_events = t ? std::optional<std::uint32_t>{t->events} : std::nullopt;
      x.recorded_running = t && t->status == task_status::running;
      if (!t)
        report("events_without_task", &x.object,
               {{"task", event->task}, {"detail", "events stored for no task"}});
    }
    if (event->seq != x.next_event && x.recorded_events)
      report("event_gap", &x.object,
             {{"task", x.event_task},
              {"key", describe_key(key)},
              {"detail", "event " + number(std::uint64_t{event->seq}) + " where " +
                             number(std::uint64_t{x.next_event}) + " was due"}});
    x.next_event = event->seq + 1;
  }

  void end_event_group(execution_state& x) {
    if (!x.event_group_open) return;
    x.event_group_open = false;
    const std::uint32_t last = x.next_event - 1;
    // A running attempt writes its progress events without rewriting the record's count.
    const bool progress_ahead = x.recorded_running && x.recorded_events && last > *x.recorded_events;
    if (x.recorded_events && *x.recorded_events != last && !progress_ahead)
      report("event_count_mismatch", &x.object,
             {{"task", x.event_task},
              {"detail", "the last stored event is " + number(std::uint64_t{last}) +
                             ", the record counts " + number(std::uint64_t{*x.recorded_events})}});
  }

  /// Each schedule record against its entry in the timed index of schedules, and back.
  void check_schedules(execution_state& x) {
    walk(env_, data_, keys_of(x, 'S'),
         [&](const read_txn& txn, std::string_view key, std::string_view value) {
           const auto name = decode_user_key(key).substr(1);
           ++x.schedules;
           schedule_record s;
           try {
             s = decode_schedule(value);
           } catch (const error& e) {
             report("bad_schedule_record", &x.object, {{"schedule", name}, {"detail", e.what()}});
             return;
           }
           if (s.name != name)
             report("bad_schedule_record", &x.object,
                    {{"schedule", name}, {"detail", "the record names schedule '" + s.name + "'"}});
           if (s.next_run_at &&
               !txn.get(data_, data_key(x, task_keys::schedule_run(*s.next_run_at, s.name))))
             report("missing_index_entry", &x.object,
                    {{"schedule", name},
                     {"key", "n:" + number(*s.next_run_at) + ":" + std::string{name}},
                     {"detail", "the schedule's next run is not in the timed index of schedules"}});
         });
    walk(env_, data_, keys_of(x, 'n'),
         [&](const read_txn& txn, std::string_view key, std::string_view value) {
           const auto user_key = decode_user_key(key);
           const auto described = user_key.size() >= 9
                                      ? "n:" + number(task_keys::schedule_run_time(user_key)) +
                                            ":" + std::string{user_key.substr(9)}
                                      : std::string{user_key};
           auto stray_run = [&](const std::string& detail) {
             report("stray_index_entry", &x.object,
                    {{"schedule", value}, {"key", described}, {"detail", detail}});
           };
           if (user_key.size() < 10 || user_key.substr(9) != value)
             return stray_run("a malformed key");
           auto stored = txn.get(data_, data_key(x, task_keys::schedule(value)));
           if (!stored) return stray_run("points to no schedule");
           try {
             auto s = decode_schedule(*stored);
             if (s.next_run_at != task_keys::schedule_run_time(user_key))
               stray_run("the schedule's next run is at " +
                         (s.next_run_at ? number(*s.next_run_at) : std::string{"no time"}));
           } catch (const error&) {
             // reported by the record walk
           }
         });
  }

  /// Each group's count of queued tasks (`G` keys) against the records.
  void check_group_counts(execution_state& x) {
    walk(env_, data_, keys_of(x, 'G'),
         [&](const read_txn&, std::string_view key, std::string_view value) {
           const auto group = std::string{decode_user_key(key).substr(1)};
           const auto counted = value.size() == 8
                                    ? static_cast<std::int64_t>(task_keys::read_be(value))
                                    : std::int64_t{-1};
           const auto in_records = x.group_queued[group];
           if (counted != in_records)
             report("counter_mismatch", &x.object,
                    {{"key", "G:" + group},
                     {"detail", "group '" + group + "' queued: the count says " + number(counted) +
                                    ", the records " + number(in_records)}});
           x.group_queued.erase(group);
         });
    for (const auto& [group, in_records] : x.group_queued)
      if (in_records > 0)
        report("counter_mismatch", &x.object,
               {{"key", "G:" + group},
                {"detail", "group '" + group + "' has " + number(in_records) +
                               " queued tasks but no count"}});
  }

  /// Each group's place in the turns (`H` keys, group_queue.hpp) against its ready tasks, and
  /// the turns' entries (`h`) against the places.
  void check_group_turns(execution_state& x) {
    std::map<std::string, std::string> turns;  // expected h key → head id
    walk(env_, data_, keys_of(x, 'H'),
         [&](const read_txn&, std::string_view key, std::string_view value) {
           const auto group = std::string{decode_user_key(key).substr(1)};
           auto head = x.group_heads.find(group);
           auto problem = [&](std::string_view kind, const std::string& detail) {
             report(kind, &x.object, {{"key", "H:" + group}, {"detail", detail}});
           };
           auto st = group_queue::decode_state(value);
           if (!st) return problem("bad_group_turn", "a malformed value");
           if (head == x.group_heads.end())
             return problem("stray_index_entry", "group '" + group + "' has no ready task");
           if (head->second.id != st->head_id || head->second.seq != st->head_seq ||
               head->second.priority != st->head_priority)
             problem("bad_group_turn", "its head is task '" + st->head_id +
                                           "', the records say '" + head->second.id + "'");
           if (st->in_turns)
             turns.emplace(task_keys::turn(st->head_priority, st->rank(), group), st->head_id);
           else if (x.group_running[group] == 0)
             problem("group_out_of_turns", "group '" + group +
                                               "' is out of the turns with no task running: its "
                                               "ready tasks would never start");
           x.group_heads.erase(head);
         });
    for (const auto& [group, head] : x.group_heads)
      report("missing_index_entry", &x.object,
             {{"task", head.id},
              {"key", "H:" + group},
              {"detail", "group '" + group + "' has ready tasks but no place in the turns"}});
    walk_index(x, 'h', [&](const read_txn&, std::string_view key, std::string_view id) {
      auto it = turns.find(std::string{key});
      if (it == turns.end() || it->second != id)
        return stray(x, key, id, "no group's place in the turns names this entry");
      turns.erase(it);
    });
    for (const auto& [key, id] : turns)
      report("missing_index_entry", &x.object,
             {{"task", id}, {"key", "h:" + std::string{task_keys::turn_group(key)}},
              {"detail", "the group's place says it is in the turns, but its entry is missing"}});
  }

  void check_counters(const execution_state& x) {
    std::optional<std::string> stored;
    {
      auto txn = env_.begin_read();
      if (auto m = txn.get(data_, data_key(x, task_keys::counters))) stored = std::string{*m};
    }
    if (!stored) {
      if (x.tally.total() > 0)
        report("missing_counters", &x.object,
               {{"key", "m"}, {"detail", "tasks are stored but no counters"}});
      return;
    }
    task_counters counters;
    try {
      counters = task_counters::decode(*stored);
    } catch (const std::exception& e) {
      report("bad_counters", &x.object, {{"key", "m"}, {"detail", e.what()}});
      return;
    }
    auto compare = [&](std::string_view what, std::int64_t in_counters, std::int64_t in_records) {
      if (in_counters != in_records)
        report("counter_mismatch", &x.object,
               {{"key", "m"},
                {"detail", std::string{what} + ": the counters say " + number(in_counters) +
                               ", the records " + number(in_records)}});
    };
    for (int i = 0; i < 6; ++i) {
      auto s = static_cast<task_status>(i);
      compare(status_name(s), counters.of(s), x.tally.of(s));
    }
    compare("finished", counters.finished, x.tally.finished);
    compare("durationSum", counters.duration_sum, x.tally.duration_sum);
    compare("retriesSum", counters.retries_sum, x.tally.retries_sum);
    if (counters.next_seq <= x.max_seq)
      report("counter_mismatch", &x.object,
             {{"key", "m"},
              {"detail", "the next submission number " + number(counters.next_seq) +
                             " is not above the highest stored, " + number(x.max_seq)}});
  }

  /// Tasks that are not final need the execution's alarm: it is what runs them after a restart.
  void check_alarm_of(const execution_state& x) {
    // Finished tasks need the alarm too: retention deletes them, also after a restart.
    if (x.unfinished == 0 && x.finished == 0 && x.schedules == 0 && x.workflow_timed == 0) return;
    auto txn = env_.begin_read();
    if (!txn.get(dir_.alarms().by_object,
                 by_object_key(x.object.id, execution_object::alarm_name)))
      report("tasks_without_alarm", &x.object,
             {{"alarm", execution_object::alarm_name},
              {"detail", x.unfinished > 0
                             ? number(x.unfinished) + " tasks are not final but the execution has "
                                                      "no alarm to run them after a restart"
                         : x.finished > 0
                             ? number(x.finished) + " finished tasks but the execution has no "
                                                    "alarm to delete them when their retention "
                                                    "ends"
                             : number(x.schedules) + " schedules but the execution has no alarm "
                                                     "to run them"}});
  }

  data_dir_reader& dir_;
  environment& env_;
  const MDB_dbi data_;
  row_printer& out_;
  const row_limit limit_;
  check_summary summary_;
};

}  // namespace

check_summary check_directory(data_dir_reader& dir, row_printer& out, row_limit limit) {
  return checker{dir, out, limit}.run();
}

void print_check_summary(const check_summary& summary, row_printer& out) {
  json_writer checked;
  checked.begin_object().key("objects").value(summary.objects);
  checked.key("alarms").value(summary.alarms).key("executions").value(summary.executions);
  checked.key("tasks").value(summary.tasks).key("outboxEntries").value(summary.outbox_entries);
  checked.key("deliveryMarks").value(summary.delivery_marks).end_object();
  auto r = out.make_row();
  r.json("checked", checked.str()).integer("problems", summary.problems);
  out.print(r);
}

}  // namespace dort::server
