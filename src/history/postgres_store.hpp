// The history on a PostgreSQL server (libpq from Debian): a team's shared
// store, named by `--history postgresql://user@host:port/db` or
// $FAULTLINE_HISTORY (docs/history.md). The same interface, schema and
// guarantees as the SQLite file (sqlite_store.hpp):
//
// Schema: `schema_version` (one row), `runs` (run_id UNIQUE), `verdicts` and
// `iterations`, with the same columns and version numbers as the SQLite
// store. `postgres_migrations()` lists each version's statements; opening a
// store reads its version and, when it lacks some, applies them in one
// transaction under an advisory lock, so several runners
// opening an old store at once migrate it once. A store of a newer version
// is refused, unread. A store already at the current version is never
// written by opening it (a role that may only SELECT can read it).
//
// Writing: each run is one transaction; the run row is inserted with
// ON CONFLICT (run_id) DO NOTHING, so a run written twice (by a retry, an
// import, two runners) is kept once and the second writer is told so.
//
// Every wait is bounded: libpq is driven without blocking (PQconnectStart,
// PQsendQuery) and the socket is polled against a deadline: connecting and
// opening (migrations included) within kConnectTimeout + kOperationTimeout,
// each write or read within kOperationTimeout; on the server, lock_timeout
// and statement_timeout end a wait behind another writer's lock first, with
// an error. A store that is down, refuses, or hangs is thus a warning a few
// seconds later, and the run keeps its exit code. Name resolution
// (getaddrinfo, inside PQconnectStart) is the one wait libpq does not let
// us bound; use an address or a name in /etc/hosts for a store in CI.
//
// Messages name the store by its connection string without its password
// (history_where.hpp: redacted_location); libpq's own messages are scrubbed
// of the connection string and the password too (it quotes a URL it cannot
// parse whole).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "history/history_store.hpp"

namespace faultline {

/// How long connecting may take before the store counts as down.
inline constexpr std::chrono::seconds kPgConnectTimeout{5};
/// How long one write, read or migration may take in all.
inline constexpr std::chrono::seconds kPgOperationTimeout{30};

/// The statements that bring a store from version i to i + 1, for i = 0, 1, ...
/// (the same versions as sqlite_migrations()).
const std::vector<std::string>& postgres_migrations();

/// Connects to the server `conninfo` names (a postgresql:// URL) and migrates
/// its schema. Throws HistoryError naming the store without its password.
std::unique_ptr<HistoryStore> open_postgres_history(const std::string& conninfo);

}  // namespace faultline
