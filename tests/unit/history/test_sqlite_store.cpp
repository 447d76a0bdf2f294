// The SQLite store on real files: a row comes back as written, a run id is
// never written twice, queries select by scenario, label, time and count,
// an older schema is migrated with its rows kept, a newer one is refused,
// and eight writers at once lose no row.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <thread>

#include "history/sqlite_store.hpp"
#include "history_fixtures.hpp"
#include "report_fixtures.hpp"

using namespace faultline;
using fixtures::history_row;

namespace {

std::vector<std::string> ids(const std::vector<RunRow>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.run_id);
  return out;
}

void sql(const std::string& path, const std::string& statements) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, statements.c_str(), nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

}  // namespace

TEST_CASE("sqlite store: a run comes back as written, with its verdicts and iterations; never twice") {
  fixtures::TempDir dir;
  const std::string path = (dir / "h.sqlite").string();
  auto store = open_sqlite_history(path, true);
  CHECK(store->schema_version() == static_cast<int>(sqlite_migrations().size()));
  RunRow a = history_row("r1", "drill", "v1", 1, {210ms, std::nullopt}, false);
  a.seed = 18446744073709551615ULL;  // the largest seed survives
  a.iteration_rows[0].lost = 3;
  a.iteration_rows[0].uncertainty = 100ms;
  a.iteration_rows[0].recovery_bracket = Bracket{150ms, 260ms};
  a.data_lost = 3;
  a.availability.reset();
  a.verdicts.push_back({"max_recurrence", "iteration 1", false, ">= 2", "3", true});  // neither passed nor failed
  CHECK(store->add(a));
  CHECK_FALSE(store->add(a));  // the same run id: refused, not doubled
  auto rows = store->runs({});
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].id > 0);
  rows[0].id = 0;
  CHECK(rows[0] == a);
  // Without details: the run's own row, no verdicts and no iterations.
  auto bare = store->runs({"", "", "", 0, false});
  REQUIRE(bare.size() == 1);
  bare[0].id = 0;
  RunRow only = a;
  only.verdicts.clear(), only.iteration_rows.clear();
  CHECK(bare[0] == only);
}

TEST_CASE("sqlite store: queries select by scenario, label, start time and the last N, oldest first") {
  fixtures::TempDir dir;
  auto store = open_sqlite_history((dir / "h.sqlite").string(), true);
  store->add(history_row("c", "drill", "v2", 3, {200ms}));
  store->add(history_row("a", "drill", "v1", 1, {200ms}));
  store->add(history_row("b", "other", "v1", 2, {200ms}));
  store->add(history_row("d", "drill", "v2", 4, {200ms}));
  CHECK(ids(store->runs({})) == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(ids(store->runs({"drill", "", "", 0})) == std::vector<std::string>{"a", "c", "d"});
  CHECK(ids(store->runs({"", "v1", "", 0})) == std::vector<std::string>{"a", "b"});
  CHECK(ids(store->runs({"", "", "2026-12-01T10:03", 0})) == std::vector<std::string>{"c", "d"});
  CHECK(ids(store->runs({"drill", "", "", 2})) == std::vector<std::string>{"c", "d"});
  CHECK(store->runs({"drill", "", "", 2})[1].verdicts.size() == 1);
}

TEST_CASE("sqlite store: an older schema is migrated and keeps every row; a newer one is refused") {
  fixtures::TempDir dir;
  const std::string path = (dir / "old.sqlite").string();
  // Version 1 as an earlier faultline wrote it: no data_lost columns.
  sql(path, sqlite_migrations()[0] + "INSERT INTO schema_version VALUES (1);"
            "INSERT INTO runs VALUES (1, 'old-run', 'drill', 'sha1:aa', 'v0', 'h', '0.0.9', '2026-11-01T00:00:00Z',"
            " '5', 'passed', 0, 1000, 5000000000, 1, 0, 250000000, 250000000, 200000000, 200000000, 200000000, 1, 0,"
            " 1.0, '/runs/old/run.json');"
            "INSERT INTO verdicts VALUES (1, 0, 'rto', 'run', 1, '250.000 ms', '2000.000 ms');"
            "INSERT INTO iterations VALUES (1, 1, 50000000, 200000000, 250000000, 0);");
  auto store = open_sqlite_history(path, false);
  CHECK(store->schema_version() == static_cast<int>(sqlite_migrations().size()));
  auto rows = store->runs({});
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].run_id == "old-run");
  CHECK(rows[0].label == "v0");
  CHECK(rows[0].recovery_max == Nanos(250ms));
  CHECK(rows[0].data_lost == 0);
  REQUIRE(rows[0].verdicts.size() == 1);
  CHECK_FALSE(rows[0].verdicts[0].inconclusive);  // version 4's column, false for rows written before
  REQUIRE(rows[0].iteration_rows.size() == 1);
  CHECK(rows[0].iteration_rows[0].recovery_time == Nanos(250ms));
  CHECK(store->add(history_row("new-run", "drill", "v1", 5, {300ms})));
  CHECK(store->runs({}).size() == 2);
  store.reset();

  sql(path, "UPDATE schema_version SET version = 99");
  CHECK_THROWS_WITH_AS(open_sqlite_history(path, false),
                       doctest::Contains("schema version 99 is newer than this faultline's (4)"), HistoryError);
}

TEST_CASE("sqlite store: a missing directory or a file that is not a database is an error naming it") {
  fixtures::TempDir dir;
  CHECK_THROWS_WITH_AS(open_sqlite_history((dir / "no" / "h.sqlite").string(), true),
                       doctest::Contains("no/h.sqlite: cannot open"), HistoryError);
  fixtures::write_text(dir / "text.sqlite", "this is not a database, but long enough to have a header of sorts\n");
  CHECK_THROWS_AS(open_sqlite_history((dir / "text.sqlite").string(), true), HistoryError);
  CHECK_THROWS_AS(open_sqlite_history((dir / "absent.sqlite").string(), false), HistoryError);
}

TEST_CASE("sqlite store: eight writers at once, each with its own connection, lose no row") {
  fixtures::TempDir dir;
  const std::string path = (dir / "h.sqlite").string();
  open_sqlite_history(path, true);  // created and migrated once; the writers open it again
  constexpr int kWriters = 8, kRuns = 25;
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([&, w] {
      try {
        auto store = open_sqlite_history(path, true);
        for (int i = 0; i < kRuns; ++i)
          store->add(history_row(fmt::format("w{}-{}", w, i), "drill", "v1", i % 60, {200ms, 300ms}));
      } catch (const std::exception& e) {
        MESSAGE(e.what());
        ++failures;
      }
    });
  for (auto& t : writers) t.join();
  CHECK(failures == 0);
  const auto rows = open_sqlite_history(path, false)->runs({});
  CHECK(rows.size() == kWriters * kRuns);
  for (const auto& r : rows) CHECK(r.iteration_rows.size() == 2);
}
