// The run history end to end (issue 18) on a SQLite store: real runs of the
// real binary write one row each (passed, failed and interrupted alike);
// eight runs at once lose no row (history_checks.hpp, shared with the
// PostgreSQL tests); a store that cannot be written warns and leaves the
// exit code alone; an older schema is migrated with its rows;
// `faultline history --check` names the label where the system got slower
// and a recurrence, and `--baseline history` fails the slow run only.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <cstdlib>

#include "../unit/history_fixtures.hpp"
#include "../unit/report_fixtures.hpp"
#include "harness.hpp"
#include "history_checks.hpp"
#include "history/sqlite_store.hpp"

using namespace itest;
namespace json = boost::json;

TEST_CASE("history: every run is written once: passed, failed and interrupted, with its record and label") {
  TempDir dir;
  check_every_run_written_once(dir, {{}, (dir / "state" / "history.sqlite").string()});
  // Into a fresh store: all three, and --no-history writes none.
  Result fresh = itest::faultline(dir, {"history", "import", "--history", "fresh.sqlite", "--label", "old", "p", "f", "i"});
  CHECK(has(fresh.out, "imported 3 run(s) into fresh.sqlite (0 already there)"));
  Result none = itest::faultline(dir, {"run", "pass.toml", "--iterations", "1", "--out", "n", "--no-history", "--quiet"});
  CHECK(none.code == 0);
  CHECK_FALSE(has(none.out, "history:"));
  CHECK(history_runs(dir).size() == 3);
}

TEST_CASE("history: eight runs at once writing one store lose no row") {
  TempDir dir;
  const std::string path = (dir / "shared.sqlite").string();
  check_parallel_runs_lose_no_row(dir, {{"--history", path}, path});
}

TEST_CASE("history: a store that cannot be written warns and leaves the exit code alone") {
  TempDir dir;
  write_history_scenario(dir, "pass.toml", "down:100ms", "5s");
  write_history_scenario(dir, "fail.toml", "down:100ms", "1ms");
  // Missing: its directory does not exist (an explicit location is never created).
  Result missing = itest::faultline(dir, {"run", "pass.toml", "--iterations", "1", "--history", "no/such/h.sqlite", "--quiet"});
  INFO(missing.out << missing.err);
  CHECK(missing.code == 0);
  CHECK(has(missing.err, "faultline: warning: the run was not written to the history: history no/such/h.sqlite: "
                         "cannot open"));
  CHECK(has(missing.err, "the exit code stands"));
  CHECK_FALSE(fs::exists(dir / "no"));
  // Read-only: a store that refuses writes (mode 0444, and immutable for root, who ignores the mode).
  Result first = itest::faultline(dir, {"run", "pass.toml", "--iterations", "1", "--history", "ro.sqlite", "--quiet"});
  REQUIRE(first.code == 0);
  fs::permissions(dir / "ro.sqlite", fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  const bool root = ::geteuid() == 0;
  if (root) REQUIRE(std::system(("chattr +i " + (dir / "ro.sqlite").string()).c_str()) == 0);
  Result ro = itest::faultline(dir, {"run", "fail.toml", "--iterations", "1", "--history", "ro.sqlite", "--quiet"});
  if (root) std::system(("chattr -i " + (dir / "ro.sqlite").string()).c_str());
  INFO(ro.out << ro.err);
  CHECK(ro.code == 1);
  CHECK(has(ro.err, "faultline: warning: the run was not written to the history: history ro.sqlite: "));
  CHECK(history_runs(dir, {"--history", "ro.sqlite"}).size() == 1);
  // FAULTLINE_HISTORY names a store in a directory that is not there either.
  Spawned env = spawn({faultline_bin(), "run", "pass.toml", "--iterations", "1", "--quiet"}, dir.path, "env", dir.path,
                      {"FAULTLINE_HISTORY=" + (dir / "gone" / "h.sqlite").string()});
  CHECK(wait_for(env, std::chrono::minutes(2)) == 0);
  CHECK(has(read_file(env.err), "not written to the history"));
  // A gate from a history that does not exist yet: a warning, no gate, the run's own exit code.
  Result first_gate = itest::faultline(dir, {"run", "pass.toml", "--iterations", "1", "--history", "later.sqlite",
                                             "--baseline", "history:3", "--quiet"});
  INFO(first_gate.out << first_gate.err);
  CHECK(first_gate.code == 0);
  CHECK(has(first_gate.err, "warning: --baseline history:3: no history at later.sqlite yet: no gate this run"));
  CHECK(fs::exists(dir / "later.sqlite"));  // this run starts it
  // Reading a missing store is a usage error.
  Result read = itest::faultline(dir, {"history", "--history", "absent.sqlite"});
  CHECK(read.code == 2);
  CHECK(has(read.err, "faultline history: no history at absent.sqlite yet"));
}

TEST_CASE("history: a store of an older schema is migrated by a run and keeps every row") {
  TempDir dir;
  const std::string path = (dir / "old.sqlite").string();
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  const std::string v1 = ::faultline::sqlite_migrations()[0] + kVersion1Run;
  REQUIRE(sqlite3_exec(db, v1.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  check_migration_keeps_rows(dir, {{"--history", path}, path});
  CHECK(::faultline::open_sqlite_history(path, false)->schema_version() ==
        static_cast<int>(::faultline::sqlite_migrations().size()));
}

TEST_CASE("history: the label where the system got slower is named, and the history gate fails only the slow run") {
  TempDir dir;
  write_history_scenario(dir, "fast.toml", "down:200ms", "5s");
  write_history_scenario(dir, "slow.toml", "down:700ms", "5s");
  auto drill = [&](const char* file, const char* label, bool gated) {
    std::vector<std::string> args{"run", file, "--iterations", "5", "--out", label, "--label", label, "--quiet"};
    if (gated) args.insert(args.end(), {"--baseline", "history", "--max-regression", "50%"});
    Result r = itest::faultline(dir, args);
    INFO(label << ":\n" << r.out << r.err);
    return r;
  };
  CHECK(drill("fast.toml", "v1", false).code == 0);
  Result v2 = drill("fast.toml", "v2", true);
  CHECK(v2.code == 0);
  CHECK_FALSE(has(v2.err, "ran a different text"));
  Result slow = drill("slow.toml", "v3", true);
  CHECK(slow.code == 1);
  // slow.toml is another text of scenario 'flaky': the gate says so, and compares anyway.
  CHECK(has(slow.err, "faultline run: warning: --baseline history: 2 of the 2 run(s) of the series in history " +
                          (dir / "state" / "history.sqlite").string() + " ran a different text of scenario 'flaky'"));
  const json::value v3 = read_json(dir / "v3" / "run.json");
  const auto* max = find_verdict(v3, "regression.recovery_time_max");
  REQUIRE(max != nullptr);
  CHECK_FALSE(max->at("passed").as_bool());
  CHECK(has(std::string(max->at("detail").as_string()), "beyond the spread of the last 2 passing run(s) in history"));
  CHECK(has(std::string(max->at("detail").as_string()), "limit = largest + 50 %"));
  CHECK(find_verdict(v3, "rto")->at("passed").as_bool());
  CHECK(drill("fast.toml", "v4", true).code == 0);  // against v1 and v2: the failed v3 is not in the series

  Result check = itest::faultline(dir, {"history", "--check"});
  INFO(check.out << check.err);
  CHECK(check.code == 1);
  CHECK(has(check.out, "regression: flaky: recovery time regressed at label 'v3'"));
  CHECK_FALSE(has(check.out, "label 'v4'"));
  CHECK_FALSE(has(check.out, "label 'v2'"));
  Result md = itest::faultline(dir, {"history", "flaky", "--check", "--format", "markdown"});
  CHECK(md.code == 1);
  CHECK(md.out.starts_with("### faultline history: 4 run(s)\n"));
  CHECK(has(md.out, "- **regression**: flaky: recovery time regressed at label 'v3'"));

  // The page renders in headless Chromium: one recovery and one MTTR point per run, the failed run in red.
  Result page = itest::faultline(dir, {"history", "--format", "html", "-o", "history.html"});
  REQUIRE(page.code == 0);
  const std::string chromium = fixtures::find_chromium();
  if (chromium.empty()) {
    if (!fixtures::tool_tests_skipped()) FAIL("chromium is missing: bash tests/install-deps.sh --tests");
    return;
  }
  const fs::path png = dir / "history.png";
  const auto shot = fixtures::headless_chromium(chromium, dir / "history.html", dir.path,
                                                "--screenshot=" + fixtures::sh_quote(png.string()) + " --window-size=1200,900");
  INFO(shot.output);
  REQUIRE(shot.status == 0);
  CHECK(fixtures::console_messages(shot.output) == "");
  const auto stats = fixtures::png_stats(png);
  INFO(stats.output);
  REQUIRE(stats.read);
  CHECK(stats.width == 1200);
  CHECK(stats.height == 900);
  CHECK(stats.recover > 50);  // recovery points, in the run report's recovery blue
  CHECK(stats.fail > 20);     // the slow run failed its gate: its points are red
  const auto dom = fixtures::headless_chromium(chromium, dir / "history.html", dir.path, "--dump-dom");
  REQUIRE(dom.status == 0);
  auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto i = dom.output.find(needle); i != std::string::npos; i = dom.output.find(needle, i + 1)) ++n;
    return n;
  };
  CHECK(count("class=\"point recovery") == 4);
  CHECK(count("class=\"point mttr") == 4);
  CHECK(count("class=\"point recovery failed") == 1);
}

TEST_CASE("history: a verdict that failed, passed twice and failed again is reported as a recurrence") {
  TempDir dir;
  write_history_scenario(dir, "pass.toml", "down:100ms", "5s");
  write_history_scenario(dir, "fail.toml", "down:100ms", "1ms");
  for (const char* file : {"fail.toml", "pass.toml", "pass.toml", "fail.toml"}) {
    Result r = itest::faultline(dir, {"run", file, "--iterations", "1", "--quiet"});
    INFO(file << ": " << r.out << r.err);
    CHECK(r.code == (std::string(file) == "fail.toml" ? 1 : 0));
  }
  Result check = itest::faultline(dir, {"history", "--check", "--format", "json"});
  INFO(check.out << check.err);
  CHECK(check.code == 1);
  const auto doc = json::parse(check.out);
  const auto& runs = doc.at("runs").as_array();
  REQUIRE(runs.size() == 4);
  int recurrences = 0;
  for (const auto& f : doc.at("findings").as_array()) {
    if (f.at("kind").as_string() != "recurrence") continue;
    ++recurrences;
    CHECK(f.at("run_id").as_string() == runs[3].at("run_id").as_string());
    CHECK(has(std::string(f.at("text").as_string()), "verdict 'rto' failed in run " +
                                                         std::string(runs[0].at("run_id").as_string())));
  }
  CHECK(recurrences == 1);
}

TEST_CASE("history: an inconclusive run is neither a pass nor a failure: not in the history gate's series, no recurrence") {
  TempDir dir;
  write_history_scenario(dir, "pass.toml", "down:100ms", "5s");
  write_history_scenario(dir, "fail.toml", "down:100ms", "1ms");
  for (const char* file : {"fail.toml", "pass.toml", "pass.toml"}) {
    Result r = itest::faultline(dir, {"run", file, "--iterations", "1", "--quiet"});
    INFO(file << ": " << r.out << r.err);
    CHECK(r.code == (std::string(file) == "fail.toml" ? 1 : 0));
  }
  // An inconclusive run of the same scenario, the latest: its rto neither
  // passed nor failed (a lower bound within the limit), its figures fast.
  ::faultline::RunRow undecided =
      fixtures::history_row("undecided", "flaky", "v9", 0, {::faultline::Nanos(1'000'000)}, false);
  undecided.started_at = "2099-01-01T00:00:00Z";
  undecided.outcome = "inconclusive", undecided.exit_code = 3;
  undecided.verdicts[0].inconclusive = true;
  REQUIRE(::faultline::open_sqlite_history((dir / "state" / "history.sqlite").string(), false)->add(undecided));

  // fail, pass, pass, inconclusive: the failure did not come back, and nothing alternated.
  Result check = itest::faultline(dir, {"history", "--check"});
  INFO(check.out << check.err);
  CHECK(check.code == 0);
  CHECK(has(check.out, "no regression, recurrence or flaky scenario found"));
  CHECK(has(check.out, "flaky     inconclusive"));

  // The gate's series is the two passing runs, not the inconclusive one.
  Result gated = itest::faultline(dir, {"run", "pass.toml", "--iterations", "1", "--out", "g", "--baseline", "history",
                                        "--quiet"});
  INFO(gated.out << gated.err);
  CHECK(gated.code == 0);
  const json::value g = read_json(dir / "g" / "run.json");
  const auto* max = find_verdict(g, "regression.recovery_time_max");
  REQUIRE(max != nullptr);
  const std::string detail(max->at("detail").as_string());
  CHECK(has(detail, "the last 2 passing run(s) in history"));
  CHECK_FALSE(has(detail, "undecided"));
}
