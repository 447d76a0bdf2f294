// html_timeline: one iteration's timeline and the whole-run one, drawn
// directly (test_html.cpp checks them within the page).
#include <doctest/doctest.h>

#include "report_fixtures.hpp"
#include "reports/html_timeline.hpp"

using namespace faultline;
using fixtures::count;
using namespace faultline::html;

TEST_CASE("html_timeline: an iteration's rows: faults, services, the outage, TTD / TTR, lanes and markers") {
  const RunRecord r = fixtures::passing();
  const IterationMetrics& m = r.iterations[0];
  const std::string svg = timeline_svg(r, drawn_probes(r), &m, iteration_scale(m), "Iteration 1 timeline");
  CHECK(svg.rfind("<svg class=\"timeline\" viewBox=\"0 0 1100 ", 0) == 0);
  CHECK(svg.find("<title>Iteration 1 timeline</title>") != std::string::npos);
  CHECK(svg.substr(svg.size() - 6) == "</svg>");
  CHECK(count(svg, "<g class=\"fault-window\"") == 1);
  CHECK(count(svg, "<rect class=\"episode\"") == 1);
  CHECK(count(svg, "<g class=\"ttd\"") == 1);
  CHECK(count(svg, "<g class=\"ttr\"") == 1);
  CHECK(count(svg, "<g class=\"inject-marker\"") == 1);
  CHECK(count(svg, "<g class=\"recovery-marker\"") == 1);
  CHECK(count(svg, "<g class=\"lane") == r.probes.size());
  CHECK(count(svg, "<g class=\"service-event ") >= 2);
}

TEST_CASE("html_timeline: the whole run without an iteration has lanes but no outage row or markers") {
  const RunRecord r = fixtures::passing();
  XScale xs;
  xs.hi = r.duration;
  const std::string svg = timeline_svg(r, drawn_probes(r), nullptr, xs, "Probe samples over the run");
  CHECK(count(svg, "<g class=\"lane") == r.probes.size());
  CHECK(count(svg, "<rect class=\"episode") == 0);
  CHECK(count(svg, "<g class=\"inject-marker\"") == 0);
  CHECK(count(svg, "<g class=\"fault-window\"") == 0);
}

TEST_CASE("html_timeline: the TTD label stays right of the row labels, even for an injection at the plot's edge") {
  const RunRecord r = fixtures::passing();
  const IterationMetrics& m = r.iterations[0];
  XScale xs = iteration_scale(m);
  xs.lo = m.inject;  // the injection at the very left edge of the plot
  const std::string svg = timeline_svg(r, drawn_probes(r), &m, xs, "Iteration 1 timeline");
  const auto g = svg.find("<g class=\"ttd\"");
  REQUIRE(g != std::string::npos);
  const auto t = svg.find("<text x=\"", g);
  REQUIRE(t != std::string::npos);
  const double x = std::stod(svg.substr(t + 9));
  const auto end = svg.find("</text>", t);
  const auto label = svg.substr(svg.find('>', t) + 1, end - svg.find('>', t) - 1);
  INFO(label, " ends at ", x);
  CHECK(x - text_width(label) >= kPlotX0);
}
