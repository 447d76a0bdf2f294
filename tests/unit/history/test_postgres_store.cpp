// The PostgreSQL store without a server (the server-backed tests are in
// tests/integration/test_history_pg.cpp): its schema versions are the SQLite
// store's, and a location that cannot be reached is a HistoryError naming
// the store without its password, at once.
#include <doctest/doctest.h>

#include <string>

#include "history/postgres_store.hpp"
#include "history/sqlite_store.hpp"

using namespace faultline;

namespace {

std::string error_of(const std::string& conninfo) {
  try {
    open_postgres_history(conninfo);
  } catch (const HistoryError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("postgres store: the same schema versions as the SQLite store, each adding the same tables and columns") {
  REQUIRE(postgres_migrations().size() == sqlite_migrations().size());
  for (const char* name : {"schema_version", "runs", "verdicts", "iterations"})
    CHECK(postgres_migrations()[0].find(std::string(" ") + name + "(") != std::string::npos);
  for (std::size_t v = 1; v < postgres_migrations().size(); ++v) {
    const std::string& pg = postgres_migrations()[v];
    const std::string& lite = sqlite_migrations()[v];
    for (auto at = lite.find("ADD COLUMN "); at != std::string::npos; at = lite.find("ADD COLUMN ", at + 1)) {
      const std::string column = lite.substr(at, lite.find(' ', at + 11) - at);
      CHECK_MESSAGE(pg.find(column) != std::string::npos, "version " << v + 1 << " lacks " << column);
    }
  }
}

TEST_CASE("postgres store: a bad location is an error naming it without its password") {
  const std::string bad = error_of("postgresql://u:secret@[::1/db");
  CHECK(bad.starts_with("history postgresql://u:***@[::1/db: cannot connect"));
  CHECK(bad.find("secret") == std::string::npos);
  const std::string host = error_of("postgresql://u@127.0.0.1:99999/db?password=secret");
  CHECK(host.starts_with("history postgresql://u@127.0.0.1:99999/db?password=***: cannot connect"));
  CHECK(host.find("secret") == std::string::npos);
}
