// One LMDB environment per data directory: the only place that talks to LMDB directly.
// Guarantees: the map grows by itself when full (callers never see MDB_MAP_FULL); a write either
// commits whole or not at all; in `strict` durability a commit is on disk once `sync()` (or the
// next commit) returns; read-only mode works beside a process that writes. Only one process may
// open a directory for writing (an flock on `dort.lock`); any number may read.
// Not thread-safe for writes: one thread (the group-commit writer) calls `write()`.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string_view>

#include <lmdb.h>

#include "persistence/durability.hpp"
#include "persistence/slow_operations.hpp"

namespace dort {

struct environment_options {
  std::filesystem::path dir;
  durability mode = durability::strict;
  /// Opens an existing directory without writing to it (inspection beside a running server).
  bool read_only = false;
  /// Initial LMDB map size; the map doubles whenever a write finds it full.
  std::size_t initial_map_bytes = std::size_t{1} << 30;
  /// Largest map size the environment may grow to; 0 means no limit of its own. A write that
  /// needs more fails with `storage_full` and writes nothing; reads go on.
  std::size_t max_map_bytes = 0;
  /// How often the writer frees reader slots left by dead processes (before a write, at most this
  /// often): a reader killed mid-read (an inspect process, say) keeps the pages it saw from being
  /// reused, so the file would grow until a restart.
  std::chrono::milliseconds stale_reader_check_interval{10'000};
  /// Told of commits, syncs and map growths that took long (slow_operations.hpp).
  slow_operation_sink on_slow_operation;
};

/// A read transaction: a consistent snapshot until it is destroyed. Short-lived by design (the
/// map cannot grow while one is open), so never keep one across messages.
class read_txn {
 public:
  read_txn(read_txn&&) noexcept;
  read_txn& operator=(read_txn&&) = delete;
  ~read_txn();

  /// Returns the value under `key` in `db`, valid until this transaction ends, or nothing.
  std::optional<std::string_view> get(MDB_dbi db, std::string_view key) const;

  /// Returns the raw transaction for cursors.
  MDB_txn* handle() const noexcept { return txn_; }

 private:
  friend class environment;
  read_txn(MDB_txn* txn, std::shared_lock<std::shared_mutex> lock);
  MDB_txn* txn_;
  std::shared_lock<std::shared_mutex> lock_;
};

/// The write side offered to `environment::write`: puts and deletes inside one transaction.
class write_txn {
 public:
  /// Stores `value` under `key`.
  void put(MDB_dbi db, std::string_view key, std::string_view value);

  /// Deletes `key`; returns whether it existed.
  bool del(MDB_dbi db, std::string_view key);

  /// Returns the value under `key`, valid until the transaction ends, or nothing.
  std::optional<std::string_view> get(MDB_dbi db, std::string_view key) const;

  MDB_txn* handle() const noexcept { return txn_; }

 private:
  friend class environment;
  explicit write_txn(MDB_txn* txn) : txn_(txn) {}
  MDB_txn* txn_;
};

class environment {
 public:
  /// Opens (or, unless read-only, creates) the data directory. Throws `dort::error`.
  explicit environment(environment_options options);
  environment(const environment&) = delete;
  environment& operator=(const environment&) = delete;
  ~environment();

  /// Returns the database of objects: object id (16 bytes) + user key → value, and under the
  /// bare id the object's catalogue record (see key_encoding.hpp).
  MDB_dbi data_db() const noexcept { return data_db_; }

  /// Opens the named database `name`, creating it unless read-only: for later layers' own data
  /// (the alarm index). Call before the writer runs. Throws `dort::error`.
  MDB_dbi open_db(const char* name);

  /// Begins a read transaction.
  read_txn begin_read() const;

  /// Runs `apply` in one write transaction and commits it; on MDB_MAP_FULL the transaction is
  /// aborted, the map grown and `apply` run again, so `apply` must be repeatable. In `strict` mode
  /// the commit's data pages are synced; its meta page becomes durable with the next `sync()` or
  /// commit. Throws `dort::error` (storage_full, storage_failure); nothing is written then.
  void write(const std::function<void(write_txn&)>& apply);

  /// Flushes everything committed so far to disk (no-op in `relaxed` mode).
  void sync();

  /// Returns the durability mode.
  durability mode() const noexcept { return options_.mode; }
  const slow_operation_sink& on_slow_operation() const noexcept {
    return options_.on_slow_operation;
  }

  /// Returns the current map size in bytes.
  std::size_t map_bytes() const;

  /// Frees the reader slots of processes that are gone; returns how many it freed. The writer
  /// also does it at open and before writes, every `stale_reader_check_interval`.
  int clear_stale_readers();

  /// Returns the number of times the map has grown since opening.
  std::uint64_t map_growths() const noexcept { return map_growths_; }

 private:
  void grow_map();
  void adopt_map_resized_by_other_process() const;

  environment_options options_;
  MDB_env* env_ = nullptr;
  MDB_dbi data_db_ = 0;
  int lock_fd_ = -1;
  std::uint64_t map_growths_ = 0;
  std::chrono::steady_clock::time_point last_reader_check_;  // the writer's thread only
  /// Readers hold it shared; growing the map holds it exclusively (LMDB remaps the file then).
  mutable std::shared_mutex map_mutex_;
};

}  // namespace dort
