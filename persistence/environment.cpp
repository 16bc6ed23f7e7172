#include "persistence/environment.hpp"

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "persistence/error.hpp"

namespace dort {

namespace {

/// Named databases in one environment: object data now; later layers add their own (alarms), so
/// there is headroom.
constexpr unsigned max_named_dbs = 16;

/// Reader slots: one per thread reading at once (CAF threads, writer, blocking callers).
constexpr unsigned max_readers = 512;

/// Map growth never goes past this (LMDB needs the address space, not the disk).
constexpr std::size_t address_space_map_bytes = std::size_t{1} << 44;

[[noreturn]] void throw_lmdb(int rc, std::string_view what) {
  std::string message = std::string{what} + ": " + mdb_strerror(rc);
  if (rc == ENOSPC || rc == EDQUOT) throw error{errc::storage_full, std::move(message)};
  throw error{errc::storage_failure, std::move(message)};
}

MDB_val to_val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

std::string_view from_val(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

/// Returns the value under `key` in `db`, valid until `txn` ends, or nothing.
std::optional<std::string_view> get_in(MDB_txn* txn, MDB_dbi db, std::string_view key) {
  MDB_val k = to_val(key);
  MDB_val v;
  int rc = mdb_get(txn, db, &k, &v);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  if (rc != 0) throw_lmdb(rc, "mdb_get");
  return from_val(v);
}

}  // namespace

// -- read_txn ---------------------------------------------------------------------------------

read_txn::read_txn(MDB_txn* txn, std::shared_lock<std::shared_mutex> lock)
    : txn_(txn), lock_(std::move(lock)) {}

read_txn::read_txn(read_txn&& other) noexcept
    : txn_(std::exchange(other.txn_, nullptr)), lock_(std::move(other.lock_)) {}

read_txn::~read_txn() {
  if (txn_ != nullptr) mdb_txn_abort(txn_);
}

std::optional<std::string_view> read_txn::get(MDB_dbi db, std::string_view key) const {
  return get_in(txn_, db, key);
}

// -- write_txn --------------------------------------------------------------------------------

namespace {

/// Thrown inside `environment::write` to restart the transaction after growing the map.
struct map_full {};

void check_write(int rc, std::string_view what) {
  if (rc == MDB_MAP_FULL) throw map_full{};
  if (rc != 0) throw_lmdb(rc, what);
}

}  // namespace

void write_txn::put(MDB_dbi db, std::string_view key, std::string_view value) {
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  check_write(mdb_put(txn_, db, &k, &v, 0), "mdb_put");
}

bool write_txn::del(MDB_dbi db, std::string_view key) {
  MDB_val k = to_val(key);
  int rc = mdb_del(txn_, db, &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  check_write(rc, "mdb_del");
  return true;
}

std::optional<std::string_view> write_txn::get(MDB_dbi db, std::string_view key) const {
  return get_in(txn_, db, key);
}

// -- environment ------------------------------------------------------------------------------

environment::environment(environment_options options) : options_(std::move(options)) {
  std::error_code ec;
  if (options_.read_only) {
    if (!std::filesystem::is_directory(options_.dir, ec))
      throw error{errc::storage_failure, "no data directory at " + options_.dir.string()};
    // LMDB would create a missing lock.mdb even when reading: a directory that dort never
    // opened is refused instead, so that reading creates nothing.
    for (const char* file : {"data.mdb", "lock.mdb"})
      if (!std::filesystem::is_regular_file(options_.dir / file, ec))
        throw error{errc::storage_failure,
                    options_.dir.string() + " is not a dort data directory (no " + file + ")"};
  } else {
    std::filesystem::create_directories(options_.dir, ec);
    if (ec)
      throw error{errc::storage_failure,
                  "cannot create " + options_.dir.string() + ": " + ec.message()};
    auto lock_path = options_.dir / "dort.lock";
    lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0) throw error{errc::storage_failure, "cannot open " + lock_path.string()};
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(lock_fd_);
      throw error{errc::data_dir_locked,
                  options_.dir.string() + " is open for writing by another process"};
    }
  }
  auto fail = [this](int rc, std::string_view what) {
    if (env_ != nullptr) mdb_env_close(env_);
    if (lock_fd_ >= 0) ::close(lock_fd_);
    throw_lmdb(rc, what);
  };
  int rc = mdb_env_create(&env_);
  if (rc != 0) fail(rc, "mdb_env_create");
  mdb_env_set_maxdbs(env_, max_named_dbs);
  mdb_env_set_maxreaders(env_, max_readers);
  if (!options_.read_only) {
    std::size_t initial = options_.initial_map_bytes;
    if (options_.max_map_bytes != 0) initial = std::min(initial, options_.max_map_bytes);
    mdb_env_set_mapsize(env_, initial);
  }
  // NOMETASYNC: a commit syncs its data pages once and leaves its meta page to the next sync, which
  // halves the syncs per commit while keeping the database intact after any crash; replies wait
  // for that next sync (see group_commit). NOSYNC in relaxed mode: the OS page cache survives a
  // crash of the process. NOTLS: read transactions are not tied to threads.
  unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
  if (options_.read_only)
    flags |= MDB_RDONLY;
  else if (options_.mode == durability::strict)
    flags |= MDB_NOMETASYNC;
  else
    flags |= MDB_NOSYNC;
  rc = mdb_env_open(env_, options_.dir.c_str(), flags, 0644);
  if (rc != 0) fail(rc, "mdb_env_open " + options_.dir.string());
  if (!options_.read_only) clear_stale_readers();

  MDB_txn* txn = nullptr;
  rc = mdb_txn_begin(env_, nullptr, options_.read_only ? MDB_RDONLY : 0, &txn);
  if (rc != 0) fail(rc, "mdb_txn_begin");
  unsigned db_flags = options_.read_only ? 0 : MDB_CREATE;
  rc = mdb_dbi_open(txn, "data", db_flags, &data_db_);
  if (rc != 0) {
    mdb_txn_abort(txn);
    fail(rc, "opening the databases of " + options_.dir.string());
  }
  rc = mdb_txn_commit(txn);
  if (rc != 0) fail(rc, "mdb_txn_commit");
}

environment::~environment() {
  if (!options_.read_only) mdb_env_sync(env_, 1);
  mdb_env_close(env_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

MDB_dbi environment::open_db(const char* name) {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, options_.read_only ? MDB_RDONLY : 0, &txn);
  if (rc != 0) throw_lmdb(rc, "mdb_txn_begin");
  MDB_dbi db = 0;
  rc = mdb_dbi_open(txn, name, options_.read_only ? 0 : MDB_CREATE, &db);
  if (rc != 0) {
    mdb_txn_abort(txn);
    throw_lmdb(rc, std::string{"opening database "} + name);
  }
  rc = mdb_txn_commit(txn);
  if (rc != 0) throw_lmdb(rc, "mdb_txn_commit");
  return db;
}

read_txn environment::begin_read() const {
  for (;;) {
    std::shared_lock lock{map_mutex_};
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
    if (rc == 0) return read_txn{txn, std::move(lock)};
    if (rc != MDB_MAP_RESIZED) throw_lmdb(rc, "mdb_txn_begin (read)");
    lock.unlock();
    adopt_map_resized_by_other_process();
  }
}

void environment::adopt_map_resized_by_other_process() const {
  std::unique_lock lock{map_mutex_};
  // Size 0 adopts the size that the writing process set.
  int rc = mdb_env_set_mapsize(env_, 0);
  if (rc != 0) throw_lmdb(rc, "mdb_env_set_mapsize");
}

int environment::clear_stale_readers() {
  last_reader_check_ = std::chrono::steady_clock::now();
  int cleared = 0;
  mdb_reader_check(env_, &cleared);
  return cleared;
}

void environment::write(const std::function<void(write_txn&)>& apply) {
  if (std::chrono::steady_clock::now() - last_reader_check_ >=
      options_.stale_reader_check_interval)
    clear_stale_readers();
  for (;;) {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc != 0) throw_lmdb(rc, "mdb_txn_begin (write)");
    try {
      write_txn w{txn};
      apply(w);
    } catch (const map_full&) {
      mdb_txn_abort(txn);
      grow_map();
      continue;
    } catch (...) {
      mdb_txn_abort(txn);
      throw;
    }
    rc = mdb_txn_commit(txn);  // frees txn whatever the outcome
    if (rc == MDB_MAP_FULL) {
      grow_map();
      continue;
    }
    if (rc != 0) throw_lmdb(rc, "mdb_txn_commit");
    return;
  }
}

void environment::grow_map() {
  const auto started = std::chrono::steady_clock::now();
  std::unique_lock lock{map_mutex_};  // waits for open read transactions to end
  std::size_t limit =
      options_.max_map_bytes != 0 ? options_.max_map_bytes : address_space_map_bytes;
  std::size_t current = map_bytes();
  if (current >= limit)
    throw error{errc::storage_full,
                "the database reached its maximum size of " + std::to_string(limit) + " bytes"};
  int rc = mdb_env_set_mapsize(env_, std::min(current * 2, limit));
  if (rc != 0) throw_lmdb(rc, "mdb_env_set_mapsize");
  ++map_growths_;
  report_if_slow(options_.on_slow_operation,
                 {"map_growth", std::chrono::steady_clock::now() - started});
}

void environment::sync() {
  if (options_.read_only || options_.mode == durability::relaxed) return;
  int rc = mdb_env_sync(env_, 1);
  if (rc != 0) throw_lmdb(rc, "mdb_env_sync");
}

std::size_t environment::map_bytes() const {
  MDB_envinfo info;
  mdb_env_info(env_, &info);
  return info.me_mapsize;
}

}  // namespace dort
