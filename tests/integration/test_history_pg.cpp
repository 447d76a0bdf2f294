// The run history on a real PostgreSQL server (issue 18), started by the
// test itself (pg_server.hpp: initdb and postgres from Debian's package, on
// 127.0.0.1 at a random port, removed after), one database per test case.
// The same checks as the SQLite store's (history_checks.hpp): every run
// written once, interrupted and failed runs too; eight runs at once lose no
// row; an older schema keeps every row. And what only a server can do: a
// role that may only SELECT, a server that refuses, and one that hangs
// (stopped with SIGSTOP) each warn within the connect timeout and leave the
// exit code alone; the password in the URL is never printed.
#include <doctest/doctest.h>

#include <chrono>

#include "history/postgres_store.hpp"
#include "history_checks.hpp"
#include "pg_server.hpp"

using namespace itest;

namespace {

/// The store in database `db`, reached as `user` with `password`.
StoreUnderTest pg_store(const PgServer& pg, const std::string& db, const std::string& user = "postgres",
                        const std::string& password = "") {
  const std::string where = "postgresql://" + user + (password.empty() ? "" : ":***") + "@127.0.0.1:" +
                            std::to_string(pg.port()) + "/" + db;
  return {{"--history", pg.url(db, user, password)}, where};
}

int latest_version() { return static_cast<int>(::faultline::postgres_migrations().size()); }

}  // namespace

TEST_CASE("history on PostgreSQL: every run is written once: passed, failed and interrupted") {
  PgServer& pg = shared_pg_server();
  TempDir dir;
  const std::string db = pg.new_database("every");
  check_every_run_written_once(dir, pg_store(pg, db, "postgres", "pw-never-shown"));
  CHECK(pg.sql(db, "SELECT count(*) FROM runs") == "3\n");
  CHECK(pg.sql(db, "SELECT version FROM schema_version") == std::to_string(latest_version()) + "\n");
}

TEST_CASE("history on PostgreSQL: eight runs at once writing one store lose no row") {
  PgServer& pg = shared_pg_server();
  TempDir dir;
  const std::string db = pg.new_database("parallel");
  check_parallel_runs_lose_no_row(dir, pg_store(pg, db));
  CHECK(pg.sql(db, "SELECT count(*) FROM runs") == "8\n");
  CHECK(pg.sql(db, "SELECT count(*) FROM iterations") == "8\n");
}

TEST_CASE("history on PostgreSQL: a read-only, refusing or hung store warns and leaves the exit code alone") {
  PgServer& pg = shared_pg_server();
  TempDir dir;
  const std::string db = pg.new_database("readonly");
  write_history_scenario(dir, "pass.toml", "down:100ms", "5s");
  write_history_scenario(dir, "fail.toml", "down:100ms", "1ms");
  Result first = itest::faultline(dir, with_store({"run", "pass.toml", "--iterations", "1", "--quiet"}, pg_store(pg, db)));
  INFO(first.out << first.err);
  REQUIRE(first.code == 0);
  const std::string reader = "reader_" + std::to_string(::getpid());
  pg.sql(db, "CREATE ROLE " + reader + " LOGIN PASSWORD 'pw-reader'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO " +
                 reader);

  // A role that may only SELECT: the run's own exit code, a warning, no row; it can still read.
  const StoreUnderTest ro = pg_store(pg, db, reader, "pw-reader");
  Result denied = itest::faultline(dir, with_store({"run", "fail.toml", "--iterations", "1", "--quiet"}, ro));
  INFO(denied.out << denied.err);
  CHECK(denied.code == 1);
  CHECK(has(denied.err, "faultline: warning: the run was not written to the history: history " + ro.where +
                            ": ERROR:  permission denied for table runs; the exit code stands"));
  CHECK_FALSE(has(denied.out + denied.err, "pw-reader"));
  CHECK(history_runs(dir, ro.flags).size() == 1);
  CHECK(pg.sql(db, "SELECT count(*) FROM runs") == "1\n");

  // Refused: nothing listens at the port (from $FAULTLINE_HISTORY too); a
  // gate from that history is none, with a warning, and the run goes on.
  const std::string refused = "postgresql://postgres:pw-refused@127.0.0.1:" + std::to_string(free_loopback_port()) + "/h";
  Spawned env = spawn({faultline_bin(), "run", "fail.toml", "--iterations", "1", "--baseline", "history", "--quiet"},
                      dir.path, "refused", dir.path, {"FAULTLINE_HISTORY=" + refused});
  CHECK(wait_for(env, std::chrono::minutes(2)) == 1);
  const std::string env_err = read_file(env.err);
  INFO(env_err);
  CHECK(has(env_err, "the run was not written to the history: history postgresql://postgres:***@127.0.0.1:"));
  CHECK(has(env_err, "cannot connect"));
  CHECK(has(env_err, "faultline run: warning: --baseline history: history postgresql://postgres:***@127.0.0.1:"));
  CHECK(has(env_err, ": no gate this run"));
  CHECK_FALSE(has(env_err + read_file(env.out), "pw-refused"));

  // Hung: the server is stopped (SIGSTOP): the connection is accepted by the
  // kernel and never answered; the run gives up after the connect timeout.
  REQUIRE(::kill(pg.pid(), SIGSTOP) == 0);
  const auto start = std::chrono::steady_clock::now();
  Result hung = itest::faultline(dir, with_store({"run", "pass.toml", "--iterations", "1", "--quiet"}, pg_store(pg, db)));
  const auto held = std::chrono::steady_clock::now() - start;
  ::kill(pg.pid(), SIGCONT);
  INFO(hung.out << hung.err);
  CHECK(hung.code == 0);
  CHECK(has(hung.err, "cannot connect within 5 s: no answer from the server in time; the exit code stands"));
  CHECK(held < std::chrono::seconds(40));  // the drill (about 2 s) plus the 5 s bound, with room for a loaded machine
  CHECK(pg.sql(db, "SELECT count(*) FROM runs") == "1\n");
}

TEST_CASE("history on PostgreSQL: a store of an older schema is migrated by a run and keeps every row") {
  PgServer& pg = shared_pg_server();
  TempDir dir;
  const std::string db = pg.new_database("migrate");
  pg.sql(db, ::faultline::postgres_migrations()[0] + kVersion1Run + "SELECT setval('runs_id_seq', 1);");
  check_migration_keeps_rows(dir, pg_store(pg, db));
  CHECK(pg.sql(db, "SELECT version FROM schema_version") == std::to_string(latest_version()) + "\n");
}
