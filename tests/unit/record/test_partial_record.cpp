// The partial record a run leaves while it goes on (record/partial_record.hpp):
// never "passed", nothing measured or judged, the iterations done per
// strategy, and its "partial" object read back exactly; records without it
// (every concluded one, every older one) read as before.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "record/json_read.hpp"
#include "record/json_record.hpp"
#include "record/partial_record.hpp"
#include "report_fixtures.hpp"

using namespace faultline;
namespace json = boost::json;

TEST_CASE("partial record: interrupted, not judged, the iterations done per strategy") {
  const RunRecord live = fixtures::strategies();  // order: restart, rollback, restart, rollback
  const RunRecord p = make_partial_record(live, 3);
  CHECK(p.outcome == Outcome::interrupted);
  CHECK(p.exit_code != 0);
  CHECK(p.verdicts.empty());
  CHECK(p.iterations.empty());
  CHECK(p.probes.empty());
  CHECK_FALSE(p.comparison);
  CHECK(p.iteration_strategies == live.iteration_strategies);
  REQUIRE(p.partial);
  CHECK(p.partial->iterations_done == 3);
  CHECK(p.partial->per_strategy == std::map<std::string, int>{{"restart", 2}, {"rollback", 1}});
  CHECK(p.error.starts_with("partial: the harness did not conclude"));
  CHECK(p.error.find("figures only for the 3 iteration(s) done (per strategy: restart 2, rollback 1)") !=
        std::string::npos);
  // Before any iteration ended, every declared strategy is named with 0.
  const RunRecord none = make_partial_record(live, 0);
  CHECK(none.partial->per_strategy == std::map<std::string, int>{{"restart", 0}, {"rollback", 0}});
  // Without strategies: no per-strategy counts.
  const RunRecord plain = make_partial_record(fixtures::passing(), 1);
  CHECK(plain.partial->per_strategy.empty());
  CHECK(plain.error.find("figures only for the 1 iteration(s) done;") != std::string::npos);
}

TEST_CASE("partial record: round-trips exactly through JSON") {
  for (const RunRecord& live : {fixtures::strategies(), fixtures::passing()}) {
    const RunRecord p = make_partial_record(live, 2);
    const std::string text = render_json(p);
    const json::value doc = json::parse(text);
    REQUIRE(doc.as_object().contains("partial"));
    CHECK(doc.at("partial").at("iterations_done").as_int64() == 2);
    CHECK(doc.at("outcome").as_string() == "interrupted");
    const RunRecord back = read_run_record(text, "run.json");
    REQUIRE(back.partial);
    CHECK(*back.partial == *p.partial);
    CHECK(back.error == p.error);
    CHECK(render_json(back) == text);
  }
}

TEST_CASE("partial record: a concluded record has no \"partial\" and reads back without one") {
  const std::string text = render_json(fixtures::strategies());
  CHECK_FALSE(json::parse(text).as_object().contains("partial"));
  CHECK_FALSE(read_run_record(text, "run.json").partial);
}

TEST_CASE("partial record: a malformed \"partial\" is refused with its key path") {
  json::value doc = json::parse(render_json(make_partial_record(fixtures::strategies(), 1)));
  auto refused = [&](const char* why) {
    try {
      read_run_record(json::serialize(doc), "run.json");
      FAIL("accepted");
    } catch (const RecordError& e) {
      CHECK_MESSAGE(std::string(e.what()).find(why) != std::string::npos, e.what());
    }
  };
  doc.at("partial").as_object()["iterations_done"] = -1;
  refused("partial.iterations_done");
  doc.at("partial").as_object()["iterations_done"] = 1;
  doc.at("partial").as_object()["at"] = 5;
  refused("partial.at");
  doc.at("partial").as_object().erase("at");
  doc.at("partial").at("per_strategy").as_object()["restart"] = "one";
  refused("partial.per_strategy.restart");
}
