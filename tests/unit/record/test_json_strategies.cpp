// The strategies in the run record: written only for a strategy run, read
// back exactly, "> deadline" never a number, and refused when malformed.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "record/json_read.hpp"
#include "record/json_record.hpp"
#include "record/json_strategies.hpp"
#include "report_fixtures.hpp"

using namespace faultline;
namespace json = boost::json;

TEST_CASE("json strategies: a strategy run round-trips exactly, its partial order included") {
  const RunRecord r = fixtures::strategies();
  REQUIRE(r.comparison);
  const std::string text = render_json(r);
  const RunRecord back = read_run_record(text, "s.json");
  CHECK(render_json(back) == text);
  REQUIRE(back.scenario.strategies.size() == 2);
  CHECK(back.scenario.strategies[1].description == "previous config, reload");
  CHECK(back.scenario.confidence == 90);
  CHECK(back.iteration_strategies == r.iteration_strategies);
  REQUIRE(back.comparison);
  CHECK(back.comparison->strategies.size() == 2);
  CHECK(back.comparison->strategies[0].iterations == 2);  // restart ran iterations 1 and 3
  CHECK(back.comparison->strategies[1].iterations == 1);  // rollback ran iteration 2; 4 never ran
  CHECK(back.comparison->conclusion == r.comparison->conclusion);
}

TEST_CASE("json strategies: absent from records of runs without strategies") {
  const std::string text = render_json(fixtures::passing());
  CHECK(text.find("\"strategies\"") == std::string::npos);
  const RunRecord back = read_run_record(text, "p.json");
  CHECK(back.scenario.strategies.empty());
  CHECK_FALSE(back.comparison.has_value());
}

TEST_CASE("json strategies: beyond the deadline is never a number") {
  RunRecord r = fixtures::strategies();
  r.comparison->strategies[0].recovery_max = StrategyTime{Nanos{0}, true};
  r.comparison->pairs.at(0).ci_low = Nanos::max();
  r.comparison->pairs.at(0).ci_high = -Nanos::max();
  const json::object o = strategies_json(r);
  const auto& st = o.at("comparison").at("strategies").at(0);
  CHECK(st.at("recovery_max").at("ns").is_null());
  CHECK(st.at("recovery_max").at("beyond_deadline").as_bool());
  CHECK(o.at("comparison").at("pairs").at(0).at("ci_low_ns").as_string() == "> deadline");
  CHECK(o.at("comparison").at("pairs").at(0).at("ci_high_ns").as_string() == "< -deadline");
  const RunRecord back = read_run_record(render_json(r), "s.json");
  CHECK(back.comparison->strategies[0].recovery_max->beyond_deadline);
  CHECK(back.comparison->pairs[0].ci_low == Nanos::max());
  CHECK(back.comparison->pairs[0].ci_high == -Nanos::max());
}

TEST_CASE("json strategies: a malformed part is refused with its key path") {
  const RunRecord r = fixtures::strategies();
  json::value v = to_json(r);
  v.at("strategies").at("comparison").at("strategies").at(0).as_object()["recovery_p50"] =
      json::object{{"ns", 5}, {"beyond_deadline", true}};
  CHECK_THROWS_WITH_AS(read_run_record(json::serialize(v), "bad.json"),
                       doctest::Contains("strategies.comparison.strategies[0].recovery_p50.ns"), RecordError);
  json::value w = to_json(r);
  w.at("strategies").as_object()["extra"] = 1;
  CHECK_THROWS_AS(read_run_record(json::serialize(w), "bad.json"), RecordError);
}
