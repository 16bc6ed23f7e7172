// A test seam of the group-commit writer: before each write transaction and each explicit sync
// the writer asks the injector what to do, so that tests can hold a commit until they release
// it, delay it, fail it (as a storage failure or a full database) or fail a sync, and so check
// output gates, failure paths and completion order deterministically. A writer without one (every
// program) pays one pointer test per commit. The injector is called on the writer thread and may
// block there: that is how a hold works.
#pragma once

#include <cstddef>

namespace dort {

class commit_faults {
 public:
  /// What the writer does with the transaction or sync it is about to make.
  enum class action {
    proceed,    ///< as without an injector
    fail,       ///< throws `storage_failure`, having written nothing
    fail_full,  ///< throws `storage_full`, having written nothing (the batch is then split)
  };

  virtual ~commit_faults() = default;

  /// Called before a write transaction of `objects` object queues; may block.
  virtual action before_commit(std::size_t objects) = 0;

  /// Called before an explicit sync (strict mode, nothing else to commit); may block.
  virtual action before_sync() = 0;
};

}  // namespace dort
