// What every history store must show end to end, whatever its back end
// (test_history.cpp runs these on a SQLite file, test_history_pg.cpp on a
// PostgreSQL server the test starts): real runs of the real binary write
// one row each (passed, failed and interrupted alike), never twice; eight
// runs at once lose no row; a store that was made by an older schema keeps
// every row when a run migrates it.
#pragma once

#include <doctest/doctest.h>

#include "harness.hpp"

namespace itest {

/// The store a test writes to: the flags that name it ({} for the default)
/// and how faultline names it in its messages.
struct StoreUnderTest {
  std::vector<std::string> flags;  ///< {"--history", LOCATION} or {}
  std::string where;               ///< as printed after "history: "
};

inline bool has(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

/// `args` with the store's flags appended.
inline std::vector<std::string> with_store(std::vector<std::string> args, const StoreUnderTest& s) {
  args.insert(args.end(), s.flags.begin(), s.flags.end());
  return args;
}

/// The runs `faultline history --format json` lists, with `extra` flags.
inline boost::json::array history_runs(const TempDir& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"history", "--last", "0", "--format", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  Result r = itest::faultline(dir, args);
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  return boost::json::parse(r.out).at("runs").as_array();
}

inline std::string run_id_of(const fs::path& run_dir) {
  return std::string(read_json(run_dir / "run.json").at("run_id").as_string());
}

/// A flaky_server drill whose outage follows `pattern`, with an rto limit.
inline void write_history_scenario(const TempDir& dir, const std::string& name, const std::string& pattern,
                                   const std::string& rto) {
  write_file(dir / name, flaky_scenario(pattern, "", "rto = \"" + rto + "\""));
}

/// A passed, a failed and an interrupted run: each written once with its
/// outcome, exit code, label and record; importing them again adds nothing.
inline void check_every_run_written_once(const TempDir& dir, const StoreUnderTest& s) {
  write_history_scenario(dir, "pass.toml", "down:100ms", "5s");
  write_history_scenario(dir, "fail.toml", "down:100ms", "1ms");
  Result passed = itest::faultline(
      dir, with_store({"run", "pass.toml", "--iterations", "1", "--out", "p", "--label", "v1", "--quiet"}, s));
  INFO(passed.out << passed.err);
  CHECK(passed.code == 0);
  CHECK(has(passed.out, "  history: " + s.where + "\n"));
  Result failed = itest::faultline(dir, with_store({"run", "fail.toml", "--iterations", "1", "--out", "f", "--quiet"}, s));
  CHECK(failed.code == 1);
  Spawned cut = spawn(with_store({faultline_bin(), "run", "pass.toml", "--out", "i", "--label", "v1"}, s), dir.path,
                      "cut", dir.path, {"FAULTLINE_TEST_BLOCK_IN=inject", "FAULTLINE_LABEL=ignored"});
  REQUIRE_MESSAGE(wait_for_text(cut.err, "faultline-test-hook: in inject", std::chrono::seconds(60)),
                  read_file(cut.out) << read_file(cut.err));
  ::kill(cut.pid, SIGINT);
  CHECK(wait_for(cut, std::chrono::seconds(60)) == 130);
  CHECK(has(read_file(cut.out), "  history: " + s.where + "\n"));

  const boost::json::array runs = history_runs(dir, s.flags);
  REQUIRE(runs.size() == 3);
  CHECK(runs[0].at("run_id").as_string() == run_id_of(dir / "p"));
  CHECK(runs[0].at("outcome").as_string() == "passed");
  CHECK(runs[0].at("label").as_string() == "v1");
  CHECK(runs[0].at("record").as_string() == (dir / "p" / "run.json").string());
  CHECK(runs[0].at("iterations").as_int64() == 1);
  CHECK(runs[1].at("run_id").as_string() == run_id_of(dir / "f"));
  CHECK(runs[1].at("outcome").as_string() == "failed");
  CHECK(runs[1].at("exit_code").as_int64() == 1);
  CHECK(runs[2].at("run_id").as_string() == run_id_of(dir / "i"));
  CHECK(runs[2].at("outcome").as_string() == "interrupted");
  CHECK(runs[2].at("exit_code").as_int64() == 130);
  CHECK(runs[2].at("label").as_string() == "v1");  // --label before $FAULTLINE_LABEL

  // Importing the same run directories again writes nothing twice.
  Result again = itest::faultline(dir, with_store({"history", "import", "p", "f", "i"}, s));
  INFO(again.out << again.err);
  CHECK(again.code == 0);
  CHECK(has(again.out, "imported 0 run(s) into " + s.where + " (3 already there)"));
  CHECK(history_runs(dir, s.flags).size() == 3);
}

/// Eight runs at once, one store: eight rows, the runs' own.
inline void check_parallel_runs_lose_no_row(const TempDir& dir, const StoreUnderTest& s) {
  write_history_scenario(dir, "s.toml", "down:100ms", "5s");
  std::vector<Spawned> runs;
  for (int i = 0; i < 8; ++i)
    runs.push_back(spawn(with_store({faultline_bin(), "run", "s.toml", "--iterations", "1", "--out",
                                     "r" + std::to_string(i), "--quiet"}, s),
                         dir.path, "par" + std::to_string(i), dir.path));
  std::set<std::string> expected;
  for (int i = 0; i < 8; ++i) {
    const auto& run = runs[static_cast<std::size_t>(i)];
    const int code = wait_for(run, std::chrono::minutes(3));
    INFO(read_file(run.out) << read_file(run.err));
    CHECK((code == 0 || code == 1 || code == 3));  // the drill's outcome under load is not what is tested
    CHECK_FALSE(has(read_file(run.err), "not written to the history"));
    expected.insert(run_id_of(dir / ("r" + std::to_string(i))));
  }
  const boost::json::array rows = history_runs(dir, s.flags);
  std::set<std::string> got;
  for (const auto& r : rows) got.insert(std::string(r.at("run_id").as_string()));
  CHECK(rows.size() == 8);
  CHECK(got == expected);
}

/// One run of schema version 1, as an earlier faultline wrote it (after the
/// version 1 statements of either back end; the same SQL for both).
inline const char* const kVersion1Run =
    "INSERT INTO schema_version VALUES (1);"
    "INSERT INTO runs VALUES (1, 'old-run', 'flaky', 'sha1:aa', 'v0', 'h', '0.0.9', "
    "'2026-11-01T00:00:00Z', '5', 'passed', 0, 1000, 5000000000, 1, 0, 250000000, 250000000, "
    "200000000, 200000000, 200000000, 1, 0, 1.0, '/gone/run.json');"
    "INSERT INTO verdicts VALUES (1, 0, 'rto', 'run', 1, '250.000 ms', '5000.000 ms');"
    "INSERT INTO iterations VALUES (1, 1, 50000000, 200000000, 250000000, 0);";

/// A run into a store holding kVersion1Run migrates it and keeps that row.
inline void check_migration_keeps_rows(const TempDir& dir, const StoreUnderTest& s) {
  write_history_scenario(dir, "s.toml", "down:100ms", "5s");
  Result r = itest::faultline(dir, with_store({"run", "s.toml", "--iterations", "1", "--label", "v1", "--quiet"}, s));
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK_FALSE(has(r.err, "not written to the history"));
  const boost::json::array runs = history_runs(dir, s.flags);
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].at("run_id").as_string() == "old-run");
  CHECK(runs[0].at("recovery_time_max_ns").as_int64() == 250'000'000);
  CHECK(runs[0].at("verdicts").as_array().size() == 1);
  CHECK(runs[0].at("iteration_figures").as_array().size() == 1);
  CHECK(runs[0].at("data_lost").as_int64() == 0);
  CHECK(runs[1].at("label").as_string() == "v1");
}

}  // namespace itest
