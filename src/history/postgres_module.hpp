// The PostgreSQL history store as a module loaded on first use (issue 21).
//
// libpq brings some twenty libraries with it (OpenSSL, GnuTLS, Kerberos,
// LDAP, SASL, p11-kit...), and loading and initialising them cost more than
// the rest of faultline's start-up together. Only a run or a `history`
// command whose store is a postgresql:// URL needs them, so the store
// (postgres_store.cpp, with libpq) is built as a module of its own,
// faultline-history-pg.so, which `meson install` puts in
// LIBDIR/faultline/, and faultline dlopen()s it the first time such a store
// is opened; every other command starts without libpq.
//
// The module is looked for, in order: beside the binary (the build tree),
// at the install layout's path relative to the binary (an installed tree
// wherever it was copied, a --destdir staging tree included), then at the
// configured LIBDIR/faultline. It must come from the same faultline version
// (faultline_history_pg_version); a missing or mismatched module is a
// HistoryError like an unreachable server: the run warns and keeps its exit
// code. The module is never unloaded (its stores' code must outlive them).
//
// No exception crosses between the module and the program: the program
// links its C++ runtime statically (issue 21: a shared libstdc++ was most of
// what was left of the start-up), the module uses the shared one, and an
// exception thrown by one runtime and caught by the other would leave the
// catcher's bookkeeping (std::uncaught_exceptions, its emergency pool)
// wrong. So the module's interface is PgModuleApi, plain functions that
// catch everything and return the message; the program's HistoryStore over
// it throws HistoryError on its own side. Strings and vectors do cross,
// created on one side and freed on the other: both runtimes allocate with
// the one malloc of the process.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "history/history_store.hpp"

namespace faultline {

/// The module's file name.
inline constexpr const char* kPgModuleName = "faultline-history-pg.so";

/// What the module exports (faultline_history_pg_api): a store's methods as
/// functions that never throw. Each returns false with `error` set when the
/// store failed (the message a HistoryError would carry).
struct PgModuleApi {
  void* (*open)(const char* conninfo, std::string* error);  ///< the store, or nullptr with `error`
  void (*close)(void* store);                                ///< never fails
  bool (*add)(void* store, const RunRow* row, bool* added, std::string* error);
  bool (*runs)(void* store, const HistoryQuery* q, std::vector<RunRow>* out, std::string* error);
  bool (*schema_version)(void* store, int* version, std::string* error);
  bool (*where)(void* store, std::string* out, std::string* error);
};

/// Where the module is looked for, in order (see above).
std::vector<std::filesystem::path> postgres_module_dirs();

/// Opens the PostgreSQL store `conninfo` with the module found first in
/// `dirs`. Throws HistoryError naming the store without its password: the
/// module is missing (the directories tried are named), cannot be loaded,
/// is of another version, or the store itself fails (postgres_store.hpp).
std::unique_ptr<HistoryStore> open_postgres_module(const std::string& conninfo,
                                                   const std::vector<std::filesystem::path>& dirs = postgres_module_dirs());

}  // namespace faultline
