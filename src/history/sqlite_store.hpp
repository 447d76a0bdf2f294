// The history in an embedded SQLite file (libsqlite3 from Debian): the
// default store, under the XDG state directory (docs/history.md).
//
// Schema: `schema_version` (one row: the version), `runs` (one row per run,
// run_id unique), `verdicts` and `iterations` (rows of a run, keyed by its
// id). The schema is versioned: `sqlite_migrations()` lists each version's
// statements; opening a store applies the ones it lacks in one IMMEDIATE
// transaction (so two processes opening an old store migrate it once), and
// a store of a newer version than this faultline knows is refused, unread.
//
// Concurrency: the file is in WAL mode (readers never block the writer) with
// a 30 s busy timeout, and each run is written in one BEGIN IMMEDIATE
// transaction, so parallel runs on one host queue for the write lock instead
// of failing; synchronous = FULL makes a committed row survive a power loss.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "history/history_store.hpp"

namespace faultline {

/// The statements that bring a store from version i to i + 1, for i = 0, 1, ...
const std::vector<std::string>& sqlite_migrations();

/// Opens (with `create`, creates) the SQLite store at `path` and migrates it.
/// Throws HistoryError naming the file.
std::unique_ptr<HistoryStore> open_sqlite_history(const std::string& path, bool create);

}  // namespace faultline
