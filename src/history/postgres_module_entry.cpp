// The entry points of the PostgreSQL history module (postgres_module.hpp):
// the faultline version it was built from, and a function that opens a
// store. Built into faultline-history-pg.so only, never into the program.
#include "history/postgres_store.hpp"

extern "C" {

/// The faultline version the module belongs to; the loader refuses another.
extern const char faultline_history_pg_version[];
const char faultline_history_pg_version[] = FAULTLINE_VERSION;

/// open_postgres_history, for dlsym(): the caller owns the store. Throws
/// HistoryError as open_postgres_history does.
faultline::HistoryStore* faultline_open_postgres_history(const char* conninfo) {
  return faultline::open_postgres_history(conninfo).release();
}

}
