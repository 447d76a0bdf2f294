// JUnit XML: the shape CI readers rely on (one testsuite per scenario, one
// testcase per verdict and per iteration's recovery, failures with measured
// value, limit and margin), and validity against tests/fixtures/junit.xsd
// checked with xmllint, for every kind of run.
#include <doctest/doctest.h>

#include "report_fixtures.hpp"
#include "reports/junit.hpp"

using namespace faultline;
using fixtures::count;

namespace {


bool contains(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

/// The <testcase> element named `name`, up to its end.
std::string testcase(const std::string& xml, const std::string& name) {
  const auto start = xml.find("<testcase name=\"" + name + "\"");
  if (start == std::string::npos) return "";
  const auto self_closed = xml.find("/>", start);
  const auto open_end = xml.find('>', start);
  if (self_closed != std::string::npos && self_closed + 1 == open_end) return xml.substr(start, open_end + 1 - start);
  const auto end = xml.find("</testcase>", start);
  return xml.substr(start, end + 11 - start);
}

/// xmllint's verdict on `xml` against the fixture XSD: exit status and output.
fixtures::CommandResult xsd_check(const std::string& xml, const fixtures::TempDir& dir, const std::string& name) {
  const auto file = dir / (name + ".xml");
  fixtures::write_text(file, xml);
  const auto xsd = fixtures::source_root() / "tests/fixtures/junit.xsd";
  return fixtures::run_command("xmllint --noout --schema " + fixtures::sh_quote(xsd.string()) + " " +
                               fixtures::sh_quote(file.string()));
}

bool have_xmllint() {
  if (fixtures::have_program("xmllint")) return true;
  if (!fixtures::tool_tests_skipped()) FAIL("xmllint is missing (Debian libxml2-utils): bash tests/install-deps.sh --tests");
  return false;
}

}  // namespace

TEST_CASE("junit: every kind of run is valid against the JUnit XSD (xmllint --schema)") {
  if (!have_xmllint()) return;
  fixtures::TempDir dir;
  std::vector<RunRecord> runs;
  for (const auto& [name, record] : fixtures::all()) {
    const auto& fixture = name;  // clang 14 cannot capture a structured binding in doctest's message lambda
    CAPTURE(fixture);
    const auto res = xsd_check(render_junit(record), dir, name);
    INFO(res.output);
    CHECK(res.status == 0);
    CHECK(contains(res.output, "validates"));
    runs.push_back(record);
  }
  const auto res = xsd_check(render_junit(runs), dir, "all");
  INFO(res.output);
  CHECK(res.status == 0);
}

TEST_CASE("junit: the XSD check can fail (a testcase without a name, elements out of order)") {
  if (!have_xmllint()) return;
  fixtures::TempDir dir;
  const std::string head = "<?xml version=\"1.0\"?>\n<testsuites><testsuite name=\"s\" tests=\"1\">";
  CHECK(xsd_check(head + "<testcase classname=\"c\"/></testsuite></testsuites>", dir, "no-name").status != 0);
  CHECK(xsd_check(head + "<testcase name=\"t\"><failure message=\"m\"/><skipped/></testcase></testsuite></testsuites>", dir,
                  "order")
            .status != 0);
  CHECK(xsd_check(head + "<testcase name=\"t\" time=\"-1\"/></testsuite></testsuites>", dir, "negative-time").status != 0);
  CHECK(xsd_check(head + "<testcase name=\"t\" time=\"0.5\"/></testsuite></testsuites>", dir, "fine").status == 0);
}

TEST_CASE("junit: one testsuite per scenario, one testcase per verdict and per iteration's recovery") {
  const RunRecord r = fixtures::passing();
  const std::string xml = render_junit(r);
  CHECK(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites ", 0) == 0);
  CHECK(count(xml, "<testsuite ") == 1);
  CHECK(contains(xml, "<testsuite name=\"redis-kill-restart\" tests=\"8\" failures=\"0\" errors=\"0\" skipped=\"0\""));
  CHECK(contains(xml, "timestamp=\"2026-11-22T12:01:02Z\" hostname=\"drill-host\""));
  CHECK(count(xml, "<testcase ") == r.verdicts.size() + 3);
  for (const char* name : {"rto", "ttd", "mttr", "max_recurrence", "min_availability", "iteration 1 recovery",
                           "iteration 2 recovery", "iteration 3 recovery"})
    CHECK_MESSAGE(!testcase(xml, name).empty(), name);
  CHECK(contains(xml, "classname=\"faultline.redis-kill-restart\""));
  CHECK(contains(xml, "<property name=\"seed\" value=\"42\"/>"));
  CHECK(contains(xml, "<property name=\"run_id\" value=\"20261122-120102-3fa2c1\"/>"));
  CHECK(contains(xml, "<property name=\"outcome\" value=\"passed\"/>"));
  CHECK(count(xml, "<failure") == 0);
  // A passing recovery says what was measured, with its uncertainty and margin.
  const std::string it1 = testcase(xml, "iteration 1 recovery");
  CHECK(contains(it1, "recovery time 209.600 ms +/- 50.000 ms"));
  CHECK(contains(it1, "limit 2000.000 ms (rto), margin +1790.400 ms"));
  CHECK(contains(testcase(xml, "iteration 3 recovery"), "fault absorbed"));
  // The console summary goes with the suite.
  CHECK(contains(xml, "<system-out>\nredis-kill-restart: PASSED (exit 0)"));
}

TEST_CASE("junit: failures carry the measured value, the limit and the margin") {
  const std::string xml = render_junit(fixtures::failing());
  CHECK(contains(xml, "tests=\"6\" failures=\"5\" errors=\"0\" skipped=\"0\""));
  const std::string rto = testcase(xml, "rto");
  CHECK(contains(rto, "<failure message=\"measured &gt; 1000.000 ms, limit 500.000 ms, margin none\" type=\"rto\">"));
  CHECK(contains(rto, "not recovered within 1000.000 ms in iteration 2"));
  CHECK(contains(testcase(xml, "max_recurrence"), "message=\"measured 1, limit 0, margin -1\""));
  CHECK(contains(testcase(xml, "mttr"), "message=\"measured &gt; 1000.000 ms, limit 1000.000 ms, margin none\""));
  CHECK(contains(testcase(xml, "verify no-acked-write-lost"),
                 "<failure message=\"measured 0/1 iterations passed, limit all iterations, margin none\" type=\"verify\">"
                 "iteration 2: exit 1: 3 keys missing"));
  // Iteration 1 recovered (with a relapse, which the recovery testcase reports but does not fail on).
  const std::string it1 = testcase(xml, "iteration 1 recovery");
  CHECK_FALSE(contains(it1, "<failure"));
  CHECK(contains(it1, "relapses 1"));
  CHECK(contains(it1, "iteration 1 episode 2 RELAPSE"));
  // Iteration 2 did not recover: "> deadline", never a number.
  const std::string it2 = testcase(xml, "iteration 2 recovery");
  CHECK(contains(it2, "<failure message=\"recovery time &gt; 1000.000 ms (not recovered by the deadline), limit 500.000 ms "
                      "(rto), margin none\" type=\"not_recovered\">"));
  CHECK(contains(it2, "iteration 2 episode 1: outage from 3550.000 ms"));
  CHECK(contains(it2, ", not recovered"));
}

TEST_CASE("junit: an iteration over the rto fails with a negative margin; without rto the deadline is the limit") {
  RunRecord r = fixtures::passing();
  r.scenario.thresholds.rto = 100ms;
  std::string it1 = testcase(render_junit(r), "iteration 1 recovery");
  CHECK(contains(it1, "<failure message=\"recovery time 209.600 ms, limit 100.000 ms (rto), margin -109.600 ms\" type=\"rto\">"));

  RunRecord f = fixtures::failing();
  f.scenario.thresholds.rto.reset();
  CHECK(contains(testcase(render_junit(f), "iteration 2 recovery"),
                 "limit 1000.000 ms (give_up_after), margin none"));
}

TEST_CASE("junit: inconclusive, interrupted and harness-error runs are errors; iterations not run are skipped") {
  const std::string inc = render_junit(fixtures::inconclusive());
  CHECK(contains(inc, "tests=\"4\" failures=\"0\" errors=\"1\" skipped=\"3\""));
  CHECK(contains(testcase(inc, "run"), "<error message=\"the clone did not start or steady state was not "
                                       "met (exit 3): steady state not met within 2s: redis-ping failing (connection "
                                       "refused)\" type=\"inconclusive\">"));
  CHECK(contains(testcase(inc, "iteration 3 recovery"), "<skipped message=\"not run: the run ended INCONCLUSIVE"));

  const std::string intr = render_junit(fixtures::interrupted());
  CHECK(contains(intr, "tests=\"5\" failures=\"0\" errors=\"1\" skipped=\"2\""));
  CHECK(contains(testcase(intr, "run"), "type=\"interrupted\""));
  CHECK(contains(testcase(intr, "iteration 1 recovery"), "recovery time 199.600 ms"));
  CHECK(contains(testcase(intr, "iteration 2 recovery"), "<skipped"));

  // A verify that never ran is skipped, not failed.
  const std::string unrun = render_junit(fixtures::interrupted_before_verify());
  CHECK(contains(unrun, "tests=\"6\" failures=\"0\" errors=\"1\" skipped=\"3\""));
  CHECK(contains(testcase(unrun, "verify data intact"),
                 "<skipped message=\"not run: never ran (no iteration reached verify)\""));

  const std::string harness = render_junit(fixtures::harness_error());
  CHECK(contains(testcase(harness, "run"),
                 "left behind (could not be reverted): pause-redis: SIGSTOP process group 4242 (SIGCONT: No such process)"));
  CHECK(contains(testcase(harness, "run"), "type=\"harness_error\""));
}

TEST_CASE("junit: several runs are one document with a testsuite each and summed counts") {
  const std::string xml = render_junit(std::vector<RunRecord>{fixtures::passing(), fixtures::failing()});
  CHECK(count(xml, "<testsuite ") == 2);
  CHECK(contains(xml, "<testsuites name=\"faultline\" tests=\"14\" failures=\"5\" errors=\"0\" skipped=\"0\" time=\"11.400\">"));
  CHECK(contains(xml, "id=\"0\""));
  CHECK(contains(xml, "id=\"1\""));
}

TEST_CASE("junit: names, details and output are escaped and made valid XML") {
  RunRecord r = fixtures::failing();
  r.scenario_name = "a<b>&\"c'";
  r.verdicts[0].detail = std::string("bell\x07 and bad utf-8 \xC3(");
  r.started_at = "yesterday";  // not an xs:dateTime: left out
  const std::string xml = render_junit(r);
  CHECK(contains(xml, "<testsuite name=\"a&lt;b&gt;&amp;&quot;c&#39;\""));
  CHECK(contains(xml, "bell\xEF\xBF\xBD and bad utf-8 \xEF\xBF\xBD("));
  CHECK_FALSE(contains(xml, "timestamp="));
  if (!have_xmllint()) return;
  fixtures::TempDir dir;
  const auto res = xsd_check(xml, dir, "escaped");
  INFO(res.output);
  CHECK(res.status == 0);
}
