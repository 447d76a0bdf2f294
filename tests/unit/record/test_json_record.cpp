#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "record/json_read.hpp"
#include "record/json_record.hpp"
#include "report_fixtures.hpp"
#include "reports/console.hpp"

using namespace faultline;
namespace json = boost::json;

namespace {
RunRecord sample_record() {
  RunRecord r;
  r.run_id = "20261122-000000-abcdef";
  r.scenario_name = "demo";
  r.seed = 42;
  r.outcome = Outcome::failed;
  r.exit_code = 1;
  r.scenario.iterations = 2;
  r.scenario.give_up_after = 5s;
  r.ports["redis"] = 40001;
  ProbeSeries p;
  p.name = "http";
  p.interval = 10ms;
  p.samples = {{0ms, 1ms, true, ""}, {10ms, 12ms, false, "connection refused"}};
  r.probes = {p};
  IterationMetrics a;
  a.index = 1;
  a.impact = true;
  a.recovered = true;
  a.ttd = 3ms;
  a.ttr = 120ms;
  a.recovery_time = 123ms;
  a.uncertainty = 10ms;
  a.episodes = {Episode{10ms, 130ms, false, {"http"}, 1, {}, {}, {}}};
  IterationMetrics b;
  b.index = 2;
  b.impact = true;
  b.recovered = false;
  b.ttd = 4ms;
  b.episodes = {Episode{20ms, std::nullopt, false, {"http"}, 1, {}, {}, {}}};
  r.iterations = {a, b};
  r.verdicts = {Verdict{"rto", "run", false, "> 5000.000 ms", "2000.000 ms", "", "not recovered in iteration 2", false}};
  return r;
}
}  // namespace

TEST_CASE("json_record: the record keeps exact nanoseconds, nulls for what was not measured") {
  const json::value v = json::parse(render_json(sample_record()));
  CHECK(v.at("schema_version").as_int64() == 3);
  CHECK(v.at("outcome").as_string() == "failed");
  CHECK(v.at("exit_code").as_int64() == 1);
  CHECK(v.at("ports").at("redis").as_int64() == 40001);
  const auto& its = v.at("iterations").as_array();
  REQUIRE(its.size() == 2);
  CHECK(its[0].at("recovery_time_ns").as_int64() == 123'000'000);
  CHECK(its[0].at("episodes").at(0).at("ttr_ns").as_int64() == 120'000'000);
  CHECK(its[1].at("recovery_time_ns").is_null());
  CHECK(its[1].at("episodes").at(0).at("end_ns").is_null());
  CHECK(v.at("probes").at(0).at("sample_count").as_int64() == 2);
  CHECK_FALSE(v.at("probes").at(0).as_object().contains("runs"));
  const auto& samples = v.at("probes").at(0).at("samples").as_array();
  REQUIRE(samples.size() == 2);
  CHECK(samples[1].at(0).as_int64() == 10'000'000);
  CHECK(samples[1].at(2).as_bool() == false);
  CHECK(samples[1].at(3).as_string() == "connection refused");
  CHECK(v.at("verdicts").at(0).at("measured").as_string() == "> 5000.000 ms");
}

TEST_CASE("json_record: a probe with more than kMaxFullSamples samples is written as runs, transitions exact") {
  const RunRecord r = fixtures::long_drill();
  const ProbeSeries& fast = r.probes.at(0);
  REQUIRE(fast.samples.size() > kMaxFullSamples);
  const json::value v = json::parse(render_json(r));
  const auto& p0 = v.at("probes").at(0).as_object();
  CHECK_FALSE(p0.contains("samples"));
  CHECK(p0.at("sample_count").as_int64() == static_cast<std::int64_t>(fast.samples.size()));
  const auto& runs = p0.at("runs").as_array();
  // ok, refused (6000..6280), reset (6280..6300), ok, refused (6310..6320), ok, refused (6400..6500), ok.
  REQUIRE(runs.size() == 8);
  std::int64_t total = 0;
  for (const auto& run : runs) total += run.at("count").as_int64();
  CHECK(total == static_cast<std::int64_t>(fast.samples.size()));
  // Each run starts where the outcome changed: exactly the sample that changed it.
  auto first_start = [&](std::size_t i) { return runs[i].at("first").at(0).as_int64(); };
  auto last_start = [&](std::size_t i) { return runs[i].at("last").at(0).as_int64(); };
  CHECK(first_start(1) == 6'000'000'000);
  CHECK(runs[1].at("ok").as_bool() == false);
  CHECK(runs[1].at("detail").as_string() == "connection refused");
  CHECK(runs[1].at("count").as_int64() == 280);
  CHECK(last_start(1) == 6'279'000'000);
  CHECK(first_start(2) == 6'280'000'000);
  CHECK(runs[2].at("detail").as_string() == "connection reset");
  CHECK(first_start(3) == 6'300'000'000);
  CHECK(runs[3].at("ok").as_bool() == true);
  CHECK(runs[3].at("count").as_int64() == 10);
  CHECK(first_start(6) == 6'400'000'000);
  CHECK(first_start(7) == 6'500'000'000);
  // A failing sample takes 4/5 of the interval: exact in first and last, and in the summary.
  CHECK(runs[1].at("first").at(1).as_int64() == 6'000'800'000);
  CHECK(runs[1].at("latency").at("min_ns").as_int64() == 800'000);
  CHECK(runs[1].at("latency").at("max_ns").as_int64() == 800'000);
  const auto& lat0 = runs[0].at("latency");
  CHECK(lat0.at("min_ns").as_int64() <= lat0.at("p50_ns").as_int64());
  CHECK(lat0.at("p50_ns").as_int64() <= lat0.at("max_ns").as_int64());
  // The 10 ms probe has few enough samples to keep every one.
  const auto& p1 = v.at("probes").at(1).as_object();
  CHECK(p1.at("samples").as_array().size() == r.probes.at(1).samples.size());
  CHECK_FALSE(p1.contains("runs"));
}

TEST_CASE("json_record: render_json, written one probe at a time, is exactly pretty_json(to_json(r))") {
  for (const auto& [name, record] : fixtures::all()) {
    const auto& fixture = name;  // clang 14 cannot capture a structured binding in doctest's message lambda
    CAPTURE(fixture);
    CHECK(render_json(record) == pretty_json(to_json(record)));
  }
  RunRecord none = fixtures::inconclusive();
  none.probes.clear();
  CHECK(render_json(none) == pretty_json(to_json(none)));
  CHECK(render_json(none).find("\"probes\": []\n}\n") != std::string::npos);
}

TEST_CASE("json_record: pretty_json is valid JSON that keeps flat arrays on one line") {
  json::value v = json::object{{"a", json::array{1, 2, 3}}, {"b", json::object{{"c", "d"}}}, {"e", json::array{}}};
  const std::string text = pretty_json(v);
  CHECK(json::parse(text) == v);
  CHECK(text.find("[1,2,3]") != std::string::npos);
  CHECK(text.find("\n  \"b\": {\n    \"c\": \"d\"\n  }") != std::string::npos);
}

TEST_CASE("console: the summary shows figures, '> deadline' for no recovery, and failing verdicts") {
  const std::string text = render_console_summary(sample_record(), false);
  CHECK(text.find("demo: FAILED") != std::string::npos);
  CHECK(text.find("123.000 ms") != std::string::npos);
  CHECK(text.find("> 5000.000 ms") != std::string::npos);
  CHECK(text.find("+/- 10.000 ms") != std::string::npos);
  CHECK(text.find("FAIL  rto") != std::string::npos);
  CHECK(text.find("not recovered in iteration 2") != std::string::npos);
  CHECK(text.find("\033[") == std::string::npos);  // no colour when not asked
  CHECK(render_console_summary(sample_record(), true).find("\033[31m") != std::string::npos);
}

TEST_CASE("json_record: each link with its counters and fault windows") {
  RunRecord r = sample_record();
  LinkStats l;
  l.name = "repl";
  l.to = "127.0.0.1:40001";
  l.port = 40002;
  l.connections = 3;
  l.bytes_upstream = 1200;
  l.bytes_downstream = 98765;
  l.discarded_downstream = 17;
  l.resets = 1;
  l.faults = {LinkFaultWindow{"split", "net.partition", 1, 2s, 5s, 2}, LinkFaultWindow{"slow", "net.latency", 2, 7s, std::nullopt, 0}};
  r.links = {l};
  const json::value v = json::parse(render_json(r));
  const auto& link = v.at("links").at(0);
  CHECK(link.at("name").as_string() == "repl");
  CHECK(link.at("to").as_string() == "127.0.0.1:40001");
  CHECK(link.at("port").as_int64() == 40002);
  CHECK(link.at("connections").as_int64() == 3);
  CHECK(link.at("bytes_upstream").as_int64() == 1200);
  CHECK(link.at("bytes_downstream").as_int64() == 98765);
  CHECK(link.at("discarded_upstream").as_int64() == 0);
  CHECK(link.at("discarded_downstream").as_int64() == 17);
  CHECK(link.at("resets").as_int64() == 1);
  const auto& w = link.at("faults").as_array();
  REQUIRE(w.size() == 2);
  CHECK(w[0].at("fault").as_string() == "split");
  CHECK(w[0].at("kind").as_string() == "net.partition");
  CHECK(w[0].at("iteration").as_int64() == 1);
  CHECK(w[0].at("start_ns").as_int64() == 2'000'000'000);
  CHECK(w[0].at("end_ns").as_int64() == 5'000'000'000);
  CHECK(w[0].at("connections").as_int64() == 2);
  CHECK(w[1].at("end_ns").is_null());
  CHECK(link.at("corrupted_upstream").as_int64() == 0);
  CHECK(link.at("corrupted_downstream").as_int64() == 0);
  CHECK(json::parse(render_json(sample_record())).at("links").as_array().empty());
}

TEST_CASE("json_record: bytes corrupted on a link are written, read back, and absent ones (older records) read as 0") {
  RunRecord r = sample_record();
  LinkStats l;
  l.name = "repl";
  l.to = "127.0.0.1:40001";
  l.bytes_downstream = 5000;
  l.corrupted_upstream = 3;
  l.corrupted_downstream = 41;
  r.links = {l};
  const std::string text = render_json(r);
  const json::value v = json::parse(text);
  CHECK(v.at("links").at(0).at("corrupted_upstream").as_int64() == 3);
  CHECK(v.at("links").at(0).at("corrupted_downstream").as_int64() == 41);
  const RunRecord back = read_run_record(text, "run.json");
  CHECK(back.links.at(0).corrupted_upstream == 3);
  CHECK(back.links.at(0).corrupted_downstream == 41);
  CHECK(render_json(back) == text);
  json::value old = v;
  old.at("links").at(0).as_object().erase("corrupted_upstream");
  old.at("links").at(0).as_object().erase("corrupted_downstream");
  const RunRecord old_back = read_run_record(json::serialize(old), "run.json");
  CHECK(old_back.links.at(0).corrupted_upstream == 0);
  CHECK(old_back.links.at(0).corrupted_downstream == 0);
}

TEST_CASE("json_record: a data fault's damage and an integrity check are written, read back, and absent in older records") {
  RunRecord r = sample_record();
  FaultEvent f;
  f.iteration = 1;
  f.fault = "cut-aof";
  f.kind = "file.corrupt";
  f.target = "redis";
  DataDamage d;
  d.path = "appendonlydir/a.aof";
  d.mode = "truncate";
  d.files = 1;
  d.bytes_cut = 13;
  d.offsets = {"a.aof@4087"};
  d.permanent = true;
  f.damage = d;
  r.faults.push_back(f);
  StepOutcome st;
  st.iteration = 1;
  st.phase = "verify";
  st.name = "rows intact";
  st.integrity = true;
  r.steps.push_back(st);
  const std::string text = render_json(r);
  const json::value v = json::parse(text);
  const auto& fj = v.at("faults").as_array().back();
  CHECK(fj.at("damage").at("bytes_cut").as_int64() == 13);
  CHECK(fj.at("damage").at("mode").as_string() == "truncate");
  CHECK(fj.at("damage").at("permanent").as_bool());
  CHECK(v.at("steps").as_array().back().at("integrity").as_bool());
  const RunRecord back = read_run_record(text, "run.json");
  REQUIRE(back.faults.back().damage);
  CHECK(*back.faults.back().damage == d);
  CHECK(back.steps.back().integrity);
  CHECK(render_json(back) == text);
  // Only set fields are written: other faults have no damage, other steps no integrity.
  for (std::size_t i = 0; i + 1 < v.at("faults").as_array().size(); ++i)
    CHECK_FALSE(v.at("faults").as_array()[i].as_object().contains("damage"));
  json::value old = v;
  old.at("faults").as_array().back().as_object().erase("damage");
  old.at("steps").as_array().back().as_object().erase("integrity");
  const RunRecord old_back = read_run_record(json::serialize(old), "run.json");
  CHECK_FALSE(old_back.faults.back().damage);
  CHECK_FALSE(old_back.steps.back().integrity);
  // A damage with a negative count or a stray key is refused.
  json::value bad = v;
  bad.at("faults").as_array().back().at("damage").as_object()["bytes_cut"] = -1;
  CHECK_THROWS_AS(read_run_record(json::serialize(bad), "run.json"), RecordError);
  bad = v;
  bad.at("faults").as_array().back().at("damage").as_object()["extra"] = 1;
  CHECK_THROWS_AS(read_run_record(json::serialize(bad), "run.json"), RecordError);
}
