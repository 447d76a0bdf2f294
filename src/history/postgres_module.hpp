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
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "history/history_store.hpp"

namespace faultline {

/// The module's file name.
inline constexpr const char* kPgModuleName = "faultline-history-pg.so";

/// Where the module is looked for, in order (see above).
std::vector<std::filesystem::path> postgres_module_dirs();

/// Opens the PostgreSQL store `conninfo` with the module found first in
/// `dirs`. Throws HistoryError naming the store without its password: the
/// module is missing (the directories tried are named), cannot be loaded,
/// is of another version, or the store itself fails (postgres_store.hpp).
std::unique_ptr<HistoryStore> open_postgres_module(const std::string& conninfo,
                                                   const std::vector<std::filesystem::path>& dirs = postgres_module_dirs());

}  // namespace faultline
