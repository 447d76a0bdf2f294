// The entry points of the PostgreSQL history module (postgres_module.hpp):
// the faultline version it was built from, and the store's methods as
// functions that catch every exception and return its message instead (no
// exception crosses into the program, which has its own C++ runtime). Built
// into faultline-history-pg.so only, never into the program.
#include "history/postgres_module.hpp"
#include "history/postgres_store.hpp"

namespace {

using faultline::HistoryStore;

/// Runs `f`; false with its exception's message in `error` if it threw.
template <class F>
bool guarded(std::string* error, F&& f) noexcept {
  try {
    f();
    return true;
  } catch (const std::exception& e) {
    *error = e.what();
  } catch (...) {
    *error = "unknown error in the PostgreSQL module";
  }
  return false;
}

HistoryStore* store_of(void* s) { return static_cast<HistoryStore*>(s); }

const faultline::PgModuleApi kApi{
    [](const char* conninfo, std::string* error) -> void* {
      HistoryStore* store = nullptr;
      guarded(error, [&] { store = faultline::open_postgres_history(conninfo).release(); });
      return store;
    },
    [](void* store) { delete store_of(store); },
    [](void* store, const faultline::RunRow* row, bool* added, std::string* error) {
      return guarded(error, [&] { *added = store_of(store)->add(*row); });
    },
    [](void* store, const faultline::HistoryQuery* q, std::vector<faultline::RunRow>* out, std::string* error) {
      return guarded(error, [&] { *out = store_of(store)->runs(*q); });
    },
    [](void* store, int* version, std::string* error) {
      return guarded(error, [&] { *version = store_of(store)->schema_version(); });
    },
    [](void* store, std::string* out, std::string* error) {
      return guarded(error, [&] { *out = store_of(store)->where(); });
    },
};

}  // namespace

extern "C" {

/// The faultline version the module belongs to; the loader refuses another.
extern const char faultline_history_pg_version[];
const char faultline_history_pg_version[] = FAULTLINE_VERSION;

/// The module's functions (PgModuleApi), for dlsym().
const faultline::PgModuleApi* faultline_history_pg_api() { return &kApi; }
}
