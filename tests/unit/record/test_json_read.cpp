// read_run_record: the exact inverse of to_json, strict about what it
// accepts, and clear about what is wrong; and the JSON Schema in
// src/record/schema/ accepts every record faultline writes (checked with
// python3-jsonschema) and refuses broken ones.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <cstring>

#include "record/json_read.hpp"
#include "record/json_record.hpp"
#include "record/partial_record.hpp"
#include "report_fixtures.hpp"

using namespace faultline;
namespace json = boost::json;

namespace {

/// The message read_run_record throws for `text`, or "" when it reads.
std::string read_error(const std::string& text) {
  try {
    (void)read_run_record(text, "run.json");
  } catch (const RecordError& e) {
    return e.what();
  }
  return "";
}

/// The record of `r` as JSON, edited by `edit`, as text.
template <class F>
std::string edited(const RunRecord& r, F edit) {
  json::value v = to_json(r);
  edit(v);
  return json::serialize(v);
}

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("json_read: every fixture round-trips exactly (to_json -> read -> to_json)") {
  for (const auto& [name, record] : fixtures::all()) {
    const auto& fixture = name;  // clang 14 cannot capture a structured binding in doctest's message lambda
    CAPTURE(fixture);
    const std::string text = render_json(record);
    const RunRecord back = read_run_record(text, name);
    CHECK(render_json(back) == text);
    CHECK(to_json(back) == to_json(record));
    // The typed fields a report uses came back, not only the text.
    CHECK(back.outcome == record.outcome);
    CHECK(back.scenario.give_up_after == record.scenario.give_up_after);
    CHECK(back.scenario.thresholds.rto == record.scenario.thresholds.rto);
    REQUIRE(back.iterations.size() == record.iterations.size());
    for (std::size_t i = 0; i < back.iterations.size(); ++i) {
      CHECK(back.iterations[i].recovery_time == record.iterations[i].recovery_time);
      CHECK(back.iterations[i].episodes.size() == record.iterations[i].episodes.size());
    }
    REQUIRE(back.probes.size() == record.probes.size());
    for (std::size_t i = 0; i < back.probes.size(); ++i) {
      CHECK(sample_count(back.probes[i]) == sample_count(record.probes[i]));
      CHECK(runs_of(back.probes[i]) == runs_of(record.probes[i]));
    }
  }
}

TEST_CASE("json_read: a probe written as runs comes back as runs, and writes back identically") {
  const RunRecord r = fixtures::long_drill();
  const std::string text = render_json(r);
  const RunRecord back = read_run_record(text, "run.json");
  CHECK(back.schema_version == 3);
  const ProbeSeries& fast = back.probes.at(0);
  CHECK(fast.samples.empty());
  CHECK(fast.runs == compress_samples(r.probes[0].samples));
  CHECK_FALSE(keeps_every_sample(fast));
  CHECK(back.probes.at(1).samples.size() == r.probes[1].samples.size());
  CHECK(back.probes.at(1).runs.empty());
  CHECK(render_json(back) == text);
  // Read again from what it wrote: still the same (a fixed point).
  CHECK(render_json(read_run_record(render_json(back))) == text);
}

TEST_CASE("json_read: stalls, scheduled ticks, lateness and real-time priority round-trip, and older records without them still load") {
  RunRecord r = fixtures::failing();
  REQUIRE_FALSE(r.probes.empty());
  r.probes[0].scheduled = 1234;
  r.probes[0].realtime = true;
  r.probes[0].lateness_p50 = Nanos(15'000);
  r.probes[0].lateness_p99 = Nanos(900'000);
  r.probes[0].lateness_max = Nanos(5'050'000'000);
  r.stalls = {HarnessStall{Nanos(1'000'000'000), Nanos(6'050'000'000), ""},
              HarnessStall{Nanos(7'000'000'000), Nanos(7'020'000'000), r.probes[0].name},
              // a span of 40 stalls (record/stall_spans.hpp)
              HarnessStall{Nanos(8'000'000'000), Nanos(9'000'000'000), r.probes[0].name, 40, Nanos(120'000'000),
                           Nanos(9'000'000)}};
  const std::string text = render_json(r);
  const RunRecord back = read_run_record(text, "run.json");
  CHECK(back.stalls == r.stalls);
  CHECK(back.stalls[2].count == 40);
  CHECK(back.stalls[2].stalled_time() == Nanos(120'000'000));
  CHECK(back.stalls[0].count == 1);  // one stall: no count written, read as one
  CHECK(contains(read_error(edited(r, [](json::value& v) { v.at("stalls").at(2).as_object()["stalled_ns"] = 2'000'000'000; })),
                 "stalls[2].stalled_ns: longer than the span"));
  CHECK(back.probes[0].scheduled == 1234);
  CHECK(back.probes[0].realtime);
  CHECK(back.probes[0].lateness_p50 == Nanos(15'000));
  CHECK(back.probes[0].lateness_p99 == Nanos(900'000));
  CHECK(back.probes[0].lateness_max == Nanos(5'050'000'000));
  CHECK(render_json(back) == text);

  // A record written before these fields existed: none of them, and it loads with zeros.
  const std::string old = edited(r, [](json::value& v) {
    v.as_object().erase("stalls");
    for (auto& p : v.at("probes").as_array()) {
      p.as_object().erase("scheduled");
      p.as_object().erase("realtime");
      p.as_object().erase("lateness");
    }
  });
  const RunRecord old_back = read_run_record(old, "run.json");
  CHECK(old_back.stalls.empty());
  CHECK(old_back.probes[0].scheduled == 0);
  CHECK_FALSE(old_back.probes[0].realtime);
  CHECK(old_back.probes[0].lateness_max == Nanos(0));

  // Broken ones are named.
  CHECK(contains(read_error(edited(r, [](json::value& v) { v.at("stalls").at(0).as_object()["end_ns"] = 0; })),
                 "stalls[0].end_ns: before start_ns"));
  CHECK(contains(read_error(edited(r, [](json::value& v) {
                   v.at("probes").at(0).at("lateness").as_object()["p50_ns"] = 1'000'000'000'000;
                 })),
                 "expected p50_ns <= p99_ns <= max_ns"));
  CHECK(contains(read_error(edited(r, [](json::value& v) { v.at("stalls").at(0).as_object()["pid"] = 1; })), "pid"));
}

TEST_CASE("json_read: availability's uncertain time round-trips; records without it load; more than observed is refused") {
  RunRecord r = fixtures::failing();
  r.statistics.availability = {Availability{"combined", 90, 100, 100, Nanos(9'000'000), Nanos(1'000'000), Nanos(0),
                                            Nanos(400'000), Nanos(300'000)}};
  const std::string text = render_json(r);
  const RunRecord back = read_run_record(text, "run.json");
  REQUIRE(back.statistics.availability.size() == 1);
  CHECK(back.statistics.availability[0].up_uncertain == Nanos(400'000));
  CHECK(back.statistics.availability[0].down_uncertain == Nanos(300'000));
  CHECK(back.statistics.availability[0].percent_low() == doctest::Approx(86.0));
  CHECK(back.statistics.availability[0].percent_high() == doctest::Approx(93.0));
  CHECK(render_json(back) == text);
  const RunRecord old = read_run_record(edited(r, [](json::value& v) {
    auto& a = v.at("statistics").at("availability").at(0).as_object();
    for (const char* k : {"up_uncertain_ns", "down_uncertain_ns", "percent_low", "percent_high"}) a.erase(k);
  }), "run.json");
  CHECK(old.statistics.availability[0].up_uncertain == Nanos(0));
  CHECK(old.statistics.availability[0].percent_low() == doctest::Approx(90.0));
  CHECK(contains(read_error(edited(r, [](json::value& v) {
                   v.at("statistics").at("availability").at(0).as_object()["up_uncertain_ns"] = 10'000'000;
                 })),
                 "more uncertain time than time observed"));
}

TEST_CASE("json_read: a record of schema_version 1 (every sample in full) is still read") {
  // tests/fixtures/run-record-v1.json is what faultline 0.1.0 wrote (schema_version
  // 1) for fixtures::failing(): the same drill, in the older form.
  const auto path = fixtures::source_root() / "tests/fixtures/run-record-v1.json";
  const RunRecord v1 = read_run_record_file(path);
  CHECK(v1.schema_version == 1);
  CHECK(v1.outcome == Outcome::failed);
  CHECK(v1.scenario_name == "redis-pause");
  REQUIRE(v1.probes.size() == 2);
  CHECK(v1.probes[0].name == "redis-ping");
  CHECK(v1.probes[0].samples.size() == 104);
  CHECK(v1.probes[0].runs.empty());
  REQUIRE(v1.iterations.size() == 2);
  CHECK(v1.iterations[0].relapses == 1);
  CHECK_FALSE(v1.iterations[1].recovered);
  // Written again, it is a record of the current version.
  const json::value again = json::parse(render_json(v1));
  CHECK(again.at("schema_version").as_int64() == kRecordSchemaVersion);
  CHECK(again.at("probes").at(0).at("sample_count").as_int64() == 104);
  // A v1 record is held to v1's shape: a v2 probe in it is refused, naming the field.
  const std::string text = fixtures::read_text(path);
  json::value v = json::parse(text);
  v.at("probes").at(0).as_object().erase("sample_fields");
  CHECK(read_error(json::serialize(v)) == "run.json: probes[0].sample_fields: missing");
}

TEST_CASE("json_read: doubles and extreme integers come back bit for bit") {
  RunRecord r = fixtures::passing();
  r.scenario.thresholds.min_availability = 99.9;
  r.statistics.recurrence_rate = 1.0 / 3.0;
  r.seed = 18'446'744'073'709'551'615ull;  // the largest seed
  r.origin_monotonic_ns = -5;
  r.iterations[0].recovery_after_revert = Nanos(-12'345);
  // Values Boost.JSON 1.81's own parser gets one ulp wrong.
  const double awkward[] = {42.156028368794324, 12.517994858611825, 0.1 + 0.2, 5e-324, 1.7976931348623157e308};
  for (double d : awkward) {
    CAPTURE(d);
    r.statistics.recurrence_rate = d;
    const RunRecord back = read_run_record(render_json(r));
    CHECK(std::memcmp(&back.statistics.recurrence_rate, &d, sizeof d) == 0);
  }
  const RunRecord back = read_run_record(render_json(r));
  CHECK(back.scenario.thresholds.min_availability == 99.9);
  CHECK(back.seed == r.seed);
  CHECK(back.origin_monotonic_ns == -5);
  CHECK(back.iterations[0].recovery_after_revert == Nanos(-12'345));
  CHECK(render_json(back) == render_json(r));
}

TEST_CASE("json_read: optional thresholds stay absent and nulls stay null") {
  RunRecord r = fixtures::failing();
  r.scenario.thresholds = Thresholds{};
  r.scenario.thresholds.mttr = 1s;
  const RunRecord back = read_run_record(render_json(r));
  CHECK_FALSE(back.scenario.thresholds.rto.has_value());
  CHECK(back.scenario.thresholds.mttr == Nanos(1s));
  CHECK_FALSE(back.scenario.thresholds.min_availability.has_value());
  const auto& it2 = back.iterations.at(1);
  CHECK_FALSE(it2.recovered);
  CHECK_FALSE(it2.recovery_time.has_value());
  CHECK_FALSE(it2.episodes.back().end.has_value());
}

TEST_CASE("json_read: an unknown schema_version is refused with the version this build reads") {
  const RunRecord r = fixtures::passing();
  const std::string text = edited(r, [](json::value& v) { v.as_object()["schema_version"] = 7; });
  try {
    (void)read_run_record(text, "run.json");
    FAIL("schema_version 7 was accepted");
  } catch (const SchemaVersionError& e) {
    CHECK(std::string(e.what()) ==
          "run.json has schema_version 7; this faultline reads schema_version 1 to 3 (a newer faultline wrote it)");
    CHECK(e.found() == 7);
  }
  try {
    (void)read_run_record(edited(r, [](json::value& v) { v.as_object()["schema_version"] = 0; }), "run.json");
    FAIL("schema_version 0 was accepted");
  } catch (const SchemaVersionError& e) {
    CHECK(std::string(e.what()) == "run.json has schema_version 0; this faultline reads schema_version 1 to 3");
    CHECK(e.found() == 0);
  }
  CHECK(contains(read_error(edited(r, [](json::value& v) { v.as_object().erase("schema_version"); })),
                 "run.json: schema_version: missing"));
  CHECK(contains(read_error(edited(r, [](json::value& v) { v.as_object()["schema_version"] = "1"; })),
                 "schema_version: expected an integer, found a string"));
}

TEST_CASE("json_read: a malformed record names the field") {
  const RunRecord r = fixtures::failing();
  CHECK(read_error(edited(r, [](json::value& v) { v.at("iterations").at(0).as_object().erase("ttd_ns"); })) ==
        "run.json: iterations[0].ttd_ns: missing");
  CHECK(read_error(edited(r, [](json::value& v) { v.at("probes").at(0).at("samples").at(1).as_array()[2] = "yes"; })) ==
        "run.json: probes[0].samples[1][2]: expected true or false, found a string");
  CHECK(read_error(edited(r, [](json::value& v) {
          v.at("iterations").at(1).at("episodes").at(0).as_object()["end_ns"] = "soon";
        })) == "run.json: iterations[1].episodes[0].end_ns: expected an integer (ns) or null, found a string");
  CHECK(read_error(edited(r, [](json::value& v) { v.at("iterations").at(0).as_object()["ttd_ns"] = 1.5; })) ==
        "run.json: iterations[0].ttd_ns: expected an integer (ns) or null, found a fractional number");
  CHECK(read_error(edited(r, [](json::value& v) {
          v.at("iterations").at(1).at("latency").at(0).at("during").as_object().erase("p99_ns");
        })) == "run.json: iterations[1].latency[0].during.p99_ns: missing");
  CHECK(read_error(edited(r, [](json::value& v) { v.at("environment").as_object()["hostname"] = "x"; })) ==
        "run.json: environment.hostname: unknown field (this faultline does not write it)");
  CHECK(read_error(edited(r, [](json::value& v) { v.as_object()["outcome"] = "won"; })) ==
        "run.json: outcome: unknown outcome \"won\" (expected passed, failed, usage_error, inconclusive, "
        "harness_error or interrupted)");
  CHECK(read_error(edited(r, [](json::value& v) { v.at("ports").as_object()["redis"] = 70000; })) ==
        "run.json: ports.redis: 70000 is out of range (at most 65535)");
  CHECK(read_error(edited(r, [](json::value& v) { v.at("probes").at(0).as_object()["kind"] = "grpc"; })) ==
        "run.json: probes[0].kind: unknown probe kind \"grpc\" (expected tcp, http or exec)");
  CHECK(read_error(edited(r, [](json::value& v) { v.at("probes").at(0).at("samples").as_array()[0] = json::array{1, 2}; })) ==
        "run.json: probes[0].samples[0]: expected [start_ns, end_ns, ok, detail] or [start_ns, end_ns, ok, detail, true], found 2 element(s)");
  CHECK(read_error(edited(r, [](json::value& v) { v.at("statistics").as_object()["episodes"] = -1; })) ==
        "run.json: statistics.episodes: expected a non-negative integer, found -1");
  CHECK(read_error(edited(r, [](json::value& v) { v.at("probes").at(0).as_object()["sample_count"] = 3; })) ==
        "run.json: probes[0].sample_count: 3 but the samples hold 104");
  CHECK(read_error(edited(r, [](json::value& v) { v.at("probes").at(0).as_object()["runs"] = json::array{}; })) ==
        "run.json: probes[0]: has both samples and runs");
  CHECK(read_error(edited(r, [](json::value& v) { v.at("probes").at(0).as_object().erase("samples"); })) ==
        "run.json: probes[0]: has neither samples nor runs");
}

TEST_CASE("json_read: malformed runs name the run and the rule") {
  const RunRecord r = fixtures::long_drill();
  auto run = [](json::value& v, std::size_t i) -> json::object& { return v.at("probes").at(0).at("runs").at(i).as_object(); };
  CHECK(read_error(edited(r, [&](json::value& v) { run(v, 1)["count"] = 0; })) ==
        "run.json: probes[0].runs[1].count: a run has at least one sample");
  CHECK(read_error(edited(r, [&](json::value& v) { run(v, 1)["count"] = 279; })) ==
        "run.json: probes[0].sample_count: 12000 but the runs hold 11999");
  CHECK(read_error(edited(r, [&](json::value& v) { run(v, 2)["detail"] = "connection refused"; })) ==
        "run.json: probes[0].runs[2]: same ok and detail as the run before it (runs are maximal)");
  CHECK(read_error(edited(r, [&](json::value& v) { run(v, 2)["first"] = json::array{6'000'000'000}; })) ==
        "run.json: probes[0].runs[2].first: expected [start_ns, end_ns], found 1 element(s)");
  CHECK(read_error(edited(r, [&](json::value& v) { run(v, 2)["first"] = json::array{1'000'000'000, 1'000'800'000}; })) ==
        "run.json: probes[0].runs[2]: starts before the last sample of the run before it");
  CHECK(read_error(edited(r, [&](json::value& v) { run(v, 1).at("latency").as_object()["min_ns"] = 900'000; })) ==
        "run.json: probes[0].runs[1].latency: expected min_ns <= p50_ns <= max_ns");
  CHECK(read_error(edited(r, [&](json::value& v) { run(v, 1).at("latency").as_object()["mean_ns"] = 1; })) ==
        "run.json: probes[0].runs[1].latency.mean_ns: unknown field (this faultline does not write it)");
  CHECK(read_error(edited(r, [&](json::value& v) { v.at("probes").at(0).as_object()["runs"] = json::array{}; })) ==
        "run.json: probes[0].runs: empty (a probe without samples has \"samples\": [])");
  CHECK(read_error(edited(r, [](json::value& v) { v.at("scenario").at("thresholds").as_object()["rto"] = 1; })) ==
        "run.json: scenario.thresholds.rto: unknown field (this faultline does not write it)");
  CHECK(read_error(edited(r, [](json::value& v) {
          v.at("iterations").at(0).at("episodes").at(0).as_object()["ttr_ns"] = nullptr;
        })) == "run.json: iterations[0].episodes[0].ttr_ns: null although end_ns is set");
}

TEST_CASE("json_read: text that is not a record is refused with its position") {
  CHECK(contains(read_error("{\"schema_version\": 1,\n  \"run_id\": }"), "run.json: not valid JSON"));
  CHECK(contains(read_error("{\"schema_version\": 1,\n  \"run_id\": }"), "line 2"));
  CHECK(contains(read_error(render_json(fixtures::passing()) + "x"), "not valid JSON"));
  CHECK(read_error("[1, 2]") == "run.json: top level: expected an object (a faultline run record), found an array");
  CHECK(read_error("") != "");
}

TEST_CASE("json_read: read_run_record_file names a file it cannot read") {
  fixtures::TempDir dir;
  try {
    (void)read_run_record_file(dir / "missing.json");
    FAIL("a missing file was read");
  } catch (const RecordError& e) {
    CHECK(contains(e.what(), (dir / "missing.json").string()));
    CHECK(contains(e.what(), "cannot be read"));
  }
  CHECK_THROWS_AS((void)read_run_record_file(dir.path), RecordError);  // a directory
  fixtures::write_text(dir / "run.json", render_json(fixtures::interrupted()));
  CHECK(read_run_record_file(dir / "run.json").outcome == Outcome::interrupted);
}

TEST_CASE("json_read: the JSON Schema accepts every record faultline writes and refuses broken ones") {
  if (!fixtures::have_program("python3") ||
      fixtures::run_command("python3 -c 'import jsonschema'").status != 0) {
    if (fixtures::tool_tests_skipped()) return;
    FAIL("python3-jsonschema is missing: bash tests/install-deps.sh --tests");
  }
  const auto schema = fixtures::source_root() / "src/record/schema/run-record.schema.json";
  REQUIRE(std::filesystem::exists(schema));
  fixtures::TempDir dir;
  std::vector<std::string> good;
  for (const auto& [name, record] : fixtures::all()) {
    good.push_back((dir / (name + ".json")).string());
    fixtures::write_text(good.back(), render_json(record));
  }
  {  // with a stall and a probe's lateness filled in
    RunRecord stalled = fixtures::failing();
    stalled.stalls = {HarnessStall{Nanos(1'000'000'000), Nanos(6'050'000'000), ""},
                      HarnessStall{Nanos(7'000'000'000), Nanos(8'000'000'000), "", 30, Nanos(90'000'000), Nanos(5'000'000)}};
    stalled.probes.at(0).scheduled = 10;
    stalled.probes.at(0).lateness_max = Nanos(5'000'000);
    good.push_back((dir / "stalled.json").string());
    fixtures::write_text(good.back(), render_json(stalled));
  }
  // A strategy run (issue 17), partial, with its comparison.
  good.push_back((dir / "strategies.json").string());
  fixtures::write_text(good.back(), render_json(fixtures::strategies()));
  // The partial record of a strategy run that did not conclude.
  good.push_back((dir / "partial.json").string());
  fixtures::write_text(good.back(), render_json(make_partial_record(fixtures::strategies(), 3)));
  // Broken records the schema must refuse (each alone).
  const RunRecord r = fixtures::failing();
  const std::vector<std::pair<std::string, std::string>> bad{
      {"unknown-field", edited(r, [](json::value& v) { v.as_object()["extra"] = 1; })},
      {"string-ns", edited(r, [](json::value& v) { v.at("iterations").at(0).as_object()["ttd_ns"] = "4 ms"; })},
      {"short-sample", edited(r, [](json::value& v) { v.at("probes").at(0).at("samples").as_array()[0] = json::array{1, 2, true}; })},
      {"bad-outcome", edited(r, [](json::value& v) { v.as_object()["outcome"] = "won"; })},
      {"missing-verdict-field", edited(r, [](json::value& v) { v.at("verdicts").at(0).as_object().erase("margin"); })},
      {"version-1", edited(r, [](json::value& v) { v.as_object()["schema_version"] = 1; })},
      {"samples-and-runs", edited(r, [](json::value& v) { v.at("probes").at(0).as_object()["runs"] = json::array{}; })},
      {"run-of-none", edited(fixtures::long_drill(), [](json::value& v) {
         v.at("probes").at(0).at("runs").at(0).as_object()["count"] = 0;
       })},
      {"stall-without-probe", edited(r, [](json::value& v) {
         v.as_object()["stalls"] = json::array{json::object{{"start_ns", 1}, {"end_ns", 2}}};
       })},
      {"run-without-latency", edited(fixtures::long_drill(), [](json::value& v) {
         v.at("probes").at(0).at("runs").at(0).as_object().erase("latency");
       })},
  };
  std::vector<std::string> bad_files;
  for (const auto& [name, text] : bad) {
    bad_files.push_back((dir / (name + ".json")).string());
    fixtures::write_text(bad_files.back(), text);
  }
  // Prints "ok NAME" or "invalid NAME: REASON" per file.
  const std::string script = R"PY(
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
for f in sys.argv[2:]:
    errors = sorted(v.iter_errors(json.load(open(f))), key=lambda e: list(e.path))
    print(("invalid %s: %s" % (f, errors[0].message)) if errors else ("ok %s" % f))
)PY";
  fixtures::write_text(dir / "validate.py", script);
  std::string cmd = "python3 " + fixtures::sh_quote((dir / "validate.py").string()) + " " + fixtures::sh_quote(schema.string());
  for (const auto& f : good) cmd += " " + fixtures::sh_quote(f);
  for (const auto& f : bad_files) cmd += " " + fixtures::sh_quote(f);
  const auto res = fixtures::run_command(cmd);
  INFO(res.output);
  REQUIRE(res.status == 0);
  for (const auto& f : good) CHECK(contains(res.output, "ok " + f + "\n"));
  for (const auto& f : bad_files) CHECK(contains(res.output, "invalid " + f + ":"));

  // The schema of version 1 is kept for the records faultline still reads:
  // it accepts the v1 fixture, and the v2 schema refuses it.
  const auto v1_schema = fixtures::source_root() / "src/record/schema/run-record-v1.schema.json";
  const auto v1_record = fixtures::source_root() / "tests/fixtures/run-record-v1.json";
  const std::string run_v1 = "python3 " + fixtures::sh_quote((dir / "validate.py").string()) + " ";
  const auto v1_ok = fixtures::run_command(run_v1 + fixtures::sh_quote(v1_schema.string()) + " " +
                                           fixtures::sh_quote(v1_record.string()));
  INFO(v1_ok.output);
  CHECK(contains(v1_ok.output, "ok " + v1_record.string() + "\n"));
  const auto v1_by_v2 = fixtures::run_command(run_v1 + fixtures::sh_quote(schema.string()) + " " +
                                              fixtures::sh_quote(v1_record.string()));
  CHECK(contains(v1_by_v2.output, "invalid " + v1_record.string() + ":"));
}

TEST_CASE("json_read: a dynamic target's fault event keeps what was chosen; events without it are unchanged") {
  RunRecord r = fixtures::failing();
  REQUIRE_FALSE(r.faults.empty());
  r.faults[0].target = "etcd2";
  r.faults[0].selected = "leader";
  const std::string text = render_json(r);
  CHECK(contains(text, "\"selected\": \"leader\""));
  const RunRecord back = read_run_record(text, "run.json");
  CHECK(back.faults[0].selected == "leader");
  CHECK(target_text(back.faults[0]) == "etcd2 (selected: leader)");
  CHECK(render_json(back) == text);
  r.faults[0].selected.clear();
  CHECK_FALSE(contains(render_json(r), "\"selected\""));
  r.faults[0].selected = "selected";
  CHECK(target_text(r.faults[0]) == "etcd2 (selected)");
}

TEST_CASE("json_read: an HTTP link's counts round-trip; a plain link has none") {
  RunRecord r = fixtures::all().begin()->second;
  LinkStats plain;
  plain.name = "db";
  LinkStats web;
  web.name = "web";
  web.http = LinkHttpStats{120, 60, 31, 2, 1, 3};
  r.links = {plain, web};
  const std::string text = render_json(r);
  const RunRecord back = read_run_record(text, "run.json");
  REQUIRE(back.links.size() == 2);
  CHECK_FALSE(back.links[0].http);
  REQUIRE(back.links[1].http);
  CHECK(back.links[1].http->aborted == 31);
  CHECK(back.links[1].http->malformed == 3);
  CHECK(render_json(back) == text);
  CHECK(contains(read_error(edited(r, [](json::value& v) { v.at("links").at(1).at("http").as_object()["bogus"] = 1; })),
                 "bogus"));
}
