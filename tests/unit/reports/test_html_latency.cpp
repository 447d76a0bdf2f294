// html_latency: the latency chart, drawn directly (test_html.cpp checks it
// within the page): a line per probe, failed samples, the legend, and a
// band per run for a probe kept as runs.
#include <doctest/doctest.h>

#include "report_fixtures.hpp"
#include "reports/html_latency.hpp"

using namespace faultline;
using fixtures::count;
using namespace faultline::html;

TEST_CASE("html_latency: a line per probe, the failed samples circled, a legend entry per probe") {
  const RunRecord r = fixtures::passing();
  const IterationMetrics& m = r.iterations[0];
  const std::string svg = latency_svg(r, drawn_probes(r), iteration_scale(m), &m, "Iteration 1 probe latency");
  CHECK(svg.rfind("<svg class=\"latency-chart\" viewBox=\"0 0 1100 212.0\"", 0) == 0);
  CHECK(svg.substr(svg.size() - 6) == "</svg>");
  CHECK(count(svg, "<polyline class=\"latency\"") == r.probes.size());
  CHECK(count(svg, "<g class=\"latency-fail\">") >= 1);
  CHECK(count(svg, "<g class=\"legend\">") == r.probes.size() + 1);  // and the failed-sample key
  CHECK(count(svg, "<line class=\"inject-line\"") == 1);
  CHECK(count(svg, "<line class=\"recovery-line\"") == 1);
  CHECK(count(svg, "<rect class=\"fault-shade\"") == 1);
  CHECK(count(svg, "<g class=\"latency-run\"") == 0);  // every sample is kept
}

TEST_CASE("html_latency: a probe kept as runs gets a band per long run and the run key") {
  const RunRecord r = fixtures::long_drill();
  REQUIRE_FALSE(r.iterations.empty());
  const IterationMetrics& m = r.iterations[0];
  const std::string svg = latency_svg(r, drawn_probes(r), iteration_scale(m), &m, "t");
  CHECK(count(svg, "<g class=\"latency-run\"") >= 1);
  CHECK(count(svg, "<g class=\"latency-run-key\">") == 1);
}
