// The regression gate end to end: a drill recorded once is the baseline of
// the next run of the same scenario (`--baseline run.json`), whose record
// then carries the regression verdicts and whose exit code follows them; a
// baseline that cannot serve is a usage error (exit 2) before anything starts.
#include <doctest/doctest.h>

#include "harness.hpp"

using namespace itest;
namespace json = boost::json;

namespace {

bool has(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

const char* const kGates[] = {"regression.recovery_time_max", "regression.recovery_time_p95", "regression.mttr"};

}  // namespace

TEST_CASE("baseline: a run judged against a recorded baseline gets regression verdicts, and fails when worse") {
  TempDir dir;
  // Two 200 ms outages at a 20 ms interval.
  write_file(dir / "flaky.toml", flaky_scenario("down:200ms", "", "rto = \"5s\""));
  Result first = faultline(dir, {"run", "flaky.toml", "--iterations", "2", "--out", "before", "--quiet"});
  INFO("first run:\n" << first.out << first.err);
  REQUIRE(first.code == 0);
  const json::value before = read_json(dir / "before" / "run.json");
  CHECK(find_verdict(before, "regression.mttr") == nullptr);  // no baseline, no gate

  // The same drill against it, with the scenario's text changed by a comment:
  // a warning, not an error; as good as the baseline within 1000 %, so it passes.
  write_file(dir / "flaky2.toml", read_file(dir / "flaky.toml") + "# tuned\n");
  Result again = faultline(dir, {"run", "flaky2.toml", "--iterations", "2", "--out", "again", "--baseline",
                                 (dir / "before").string(), "--max-regression", "1000%"});
  INFO("second run:\n" << again.out << again.err);
  CHECK(again.code == 0);
  CHECK(has(again.err, "warning: --baseline: " + (dir / "before").string() + " ran a different text of scenario 'flaky'"));
  const json::value rec = read_json(dir / "again" / "run.json");
  for (const char* gate : kGates) {
    CAPTURE(gate);
    const auto* v = find_verdict(rec, gate);
    REQUIRE(v != nullptr);
    CHECK(v->at("passed").as_bool());
    CHECK(has(std::string(v->at("detail").as_string()), "+ 1000 %"));
    CHECK(has(std::string(v->at("detail").as_string()), "the scenario's text differs from the baseline's"));
    CHECK(has(again.out, gate));  // in the console summary
  }

  // A baseline that recovered in 1 ms every time: this run is far worse.
  json::value fast = before;
  for (auto& it : fast.at("iterations").as_array()) {
    it.as_object()["recovery_time_ns"] = 1'000'000;
    for (auto& e : it.at("episodes").as_array()) {
      const std::int64_t start = e.at("start_ns").as_int64();
      e.as_object()["end_ns"] = start + 800'000;
      e.as_object()["ttr_ns"] = 800'000;
    }
  }
  fast.at("statistics").as_object()["mttr_ns"] = 800'000;
  fast.at("statistics").at("ttr").as_object()["mean_ns"] = 800'000;
  write_file(dir / "fast.json", json::serialize(fast));
  // (--baseline takes one file: the scenario after it is still the scenario.)
  Result worse = faultline(dir, {"run", "--baseline", "fast.json", "flaky.toml", "--iterations", "2", "--out", "worse"});
  INFO("third run:\n" << worse.out << worse.err);
  CHECK(worse.code == 1);
  CHECK(has(worse.out, "FAILED"));
  CHECK(worse.err.find("warning") == std::string::npos);  // same scenario text
  const json::value judged = read_json(dir / "worse" / "run.json");
  CHECK(judged.at("outcome").as_string() == "failed");
  const auto* max = find_verdict(judged, "regression.recovery_time_max");
  REQUIRE(max != nullptr);
  CHECK_FALSE(max->at("passed").as_bool());
  CHECK(max->at("limit").as_string() == "1.200 ms");
  CHECK(max->at("margin").as_string().starts_with("-"));
  const auto* mttr = find_verdict(judged, "regression.mttr");
  REQUIRE(mttr != nullptr);
  CHECK_FALSE(mttr->at("passed").as_bool());
  CHECK(mttr->at("limit").as_string() == "0.960 ms");
  // The rto threshold itself still passed: only the gate failed the run.
  CHECK(find_verdict(judged, "rto")->at("passed").as_bool());
}

TEST_CASE("baseline: one that is unreadable, of another scenario or without iterations is a usage error; nothing starts") {
  TempDir dir;
  write_file(dir / "flaky.toml", flaky_scenario("down:200ms", "", "rto = \"5s\""));
  auto refused = [&](std::vector<std::string> extra, const std::string& message) {
    std::vector<std::string> args{"run", "flaky.toml", "--out", "never"};
    args.insert(args.end(), extra.begin(), extra.end());
    Result r = faultline(dir, args);
    INFO(r.out << r.err);
    CHECK(r.code == 2);
    CHECK(has(r.err, message));
    CHECK_FALSE(fs::exists(dir / "never"));  // nothing was started
  };
  refused({"--baseline", "missing.json"}, "--baseline: missing.json: cannot be read");
  write_file(dir / "garbage.json", "{");
  refused({"--baseline", "garbage.json"}, "--baseline: garbage.json: not valid JSON");

  // A real record of another scenario, and one where nothing was measured.
  const fs::path v1 = source_root() / "tests" / "fixtures" / "run-record-v1.json";
  refused({"--baseline", v1.string()}, "is a run of scenario 'redis-pause', not of 'flaky'");
  json::value none = read_json(v1);
  none.as_object()["scenario"].as_object()["name"] = "flaky";
  none.as_object()["iterations"] = json::array{};
  write_file(dir / "none.json", json::serialize(none));
  refused({"--baseline", "none.json"}, "none.json has no measured iteration to compare with (outcome: failed)");

  refused({"--baseline", "none.json", "--max-regression", "a lot"}, "expected a percentage such as 20%");
  refused({"--max-regression", "20%"}, "--max-regression requires --baseline");
}
