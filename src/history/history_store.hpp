// The history store (issue 18; docs/history.md): where every run's row
// (run_row.hpp) is written once at the end of the run and read back by
// `faultline history` and `--baseline history[:N]`. An interface, because
// tests fake it and because two back ends keep it: an embedded SQLite file
// (sqlite_store.hpp, the default) and, for a team's shared store, PostgreSQL
// (postgres_store.hpp).
//
// Writers never lose or corrupt a row: each run is one transaction, the run
// id is unique (a second write of the same run is refused, not doubled), and
// concurrent writers wait for each other (SQLite: WAL and a busy timeout;
// PostgreSQL: its row locks, with a lock timeout), every wait bounded.
// Every failure is a HistoryError with a sentence naming the store; the run
// turns it into a warning and keeps its exit code.
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "history/run_row.hpp"

namespace faultline {

/// The store could not be opened, read or written; what() names it and why.
class HistoryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Which runs to read.
struct HistoryQuery {
  std::string scenario;  ///< "" = every scenario
  std::string label;     ///< "" = every label
  std::string since;     ///< ISO 8601 prefix ("2026-12-01"); "" = from the first
  std::size_t last = 0;  ///< the last N of those (by start time); 0 = all
  /// With their verdicts and iterations; false reads the runs' own rows only
  /// (what the tables and the chart show), their `verdicts` and
  /// `iteration_rows` left empty.
  bool details = true;
};

/// A history of runs.
class HistoryStore {
 public:
  virtual ~HistoryStore() = default;
  /// Writes the run, with its verdicts and iterations, in one transaction.
  /// False when a run with its run id is already there (nothing is written twice).
  virtual bool add(const RunRow& row) = 0;
  /// The runs `q` selects, oldest first (start time, then the order written),
  /// with their verdicts and iterations when `q.details`.
  virtual std::vector<RunRow> runs(const HistoryQuery& q) = 0;
  /// The schema version of the store (after its migrations).
  virtual int schema_version() = 0;
  /// Where it is, for messages (a file, or a connection string without its password).
  virtual std::string where() const = 0;
};

/// Opens the store at `location`: a file path (SQLite), or a
/// "postgresql://" / "postgres://" connection string. With `create`, a
/// missing SQLite file is created (its directory must exist); the schema is
/// brought to the current version either way.
std::unique_ptr<HistoryStore> open_history(const std::string& location, bool create);

}  // namespace faultline
