// `dort inspect check`: reads a whole data directory and reports every place where its parts
// disagree: keys without a catalogue record, ids that are not the hash of their (class, name),
// the two alarm databases out of step, in each execution object records, indexes, events and
// counters that contradict one another or API.md's task invariants, and durable sends' outboxes
// and delivery marks that do not decode, name objects the catalogue lacks, or mark as applied a
// send number that the sender would take again. One JSON line per problem,
// then one summary line. Memory is bounded: every walk is paged (`page_entries` per short read
// transaction) and cross-references are point reads, so nothing grows with the directory.
// Exact on a directory that no process writes; beside a running server a page may see a state
// that a later page no longer matches, so a live directory may show transient problems.
#pragma once

#include <cstdint>

#include "server/inspect_listings.hpp"
#include "server/row_printer.hpp"

namespace dort::server {

/// What a check read and found.
struct check_summary {
  std::int64_t objects = 0;
  std::int64_t alarms = 0;
  std::int64_t executions = 0;
  std::int64_t tasks = 0;
  std::int64_t outbox_entries = 0;  // undelivered durable sends
  std::int64_t delivery_marks = 0;
  std::int64_t problems = 0;
};

/// Checks every object, alarm and execution of `dir`, printing one row per problem to `out` (the
/// first `limit` of them; all are counted). Returns the counts. Throws `dort::error` if storage
/// cannot be read.
check_summary check_directory(data_dir_reader& dir, row_printer& out, row_limit limit);

/// Prints the summary line `{"checked": {...}, "problems": n}`.
void print_check_summary(const check_summary& summary, row_printer& out);

}  // namespace dort::server
