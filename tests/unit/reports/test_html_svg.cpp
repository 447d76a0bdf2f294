// html_svg: the time scale, tick steps, label rows, truncation, the time
// axis and the window of an iteration's charts.
#include <doctest/doctest.h>

#include "report_fixtures.hpp"
#include "reports/html_svg.hpp"

using namespace faultline;
using namespace faultline::html;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("html_svg: the time scale maps the window onto the plot and clamps outside it") {
  XScale xs;
  xs.lo = 0ms;
  xs.hi = 100ms;
  xs.zero = 20ms;
  CHECK(xs.x(0ms) == kPlotX0);
  CHECK(xs.x(100ms) == kPlotX1);
  CHECK(xs.x(50ms) == doctest::Approx((kPlotX0 + kPlotX1) / 2));
  CHECK(xs.x(200ms) == kPlotX1);
  CHECK(xs.contains(100ms));
  CHECK_FALSE(xs.contains(101ms));
  CHECK(xs.rel(32500us) == "+12.500 ms");
  CHECK(n1(1.25) == "1.2");
  CHECK(ms_of(1500us) == 1.5);
}

TEST_CASE("html_svg: ticks of 1, 2 or 5 times a power of ten, and the decimals they need") {
  CHECK(nice_step(100, 10) == 10);
  CHECK(nice_step(30, 10) == 2);
  CHECK(nice_step(0.6, 10) == doctest::Approx(0.05));
  CHECK(nice_step(0, 10) == 1);
  CHECK(decimals_for(10) == 0);
  CHECK(decimals_for(0.5) == 1);
  CHECK(decimals_for(0.05) == 2);
}

TEST_CASE("html_svg: labels take the first row with room; truncation keeps UTF-8 whole") {
  LabelRows rows(2);
  CHECK(rows.place(0, 50) == 0);
  CHECK(rows.place(40, 90) == 1);
  CHECK(rows.place(60, 100) == 0);
  CHECK(rows.place(70, 80) == -1);
  CHECK(html::truncate("short", 28) == "short");
  CHECK(html::truncate("abcdef", 4) == "abc\u2026");
  CHECK(html::truncate("ab\u00e9", 3) == "ab\u2026");  // not inside the two bytes of the e-acute
  CHECK(text_width("abc") == doctest::Approx(3 * kCharW));
}

TEST_CASE("html_svg: the time axis marks 0 ms and escapes its title; row labels are escaped") {
  XScale xs;
  xs.lo = -10ms;
  xs.hi = 90ms;
  xs.zero = 0ms;
  xs.axis_title = "a < b";
  const std::string axis = time_axis(xs, 30, 100);
  CHECK(contains(axis, "<line class=\"grid origin\""));
  CHECK(contains(axis, ">0 ms</text>"));
  CHECK(contains(axis, ">a &lt; b</text></g>"));
  CHECK(contains(row_label(10, "x&y"), ">x&amp;y</text>"));
}

TEST_CASE("html_svg: an iteration's window, its faults and its probes as drawn") {
  const RunRecord r = fixtures::passing();
  const IterationMetrics& m = r.iterations[0];
  const XScale xs = iteration_scale(m);
  CHECK(xs.zero == m.inject);
  CHECK(xs.lo <= m.inject_start);
  CHECK(xs.hi >= m.observed_until);
  const auto spans = fault_spans(r, m.index, xs);
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].from == r.faults[0].inject_start);
  CHECK_FALSE(spans[0].left_applied);
  const auto probes = drawn_probes(r);
  REQUIRE(probes.size() == r.probes.size());
  CHECK(probes[0].every_sample);
  CHECK(probes[0].runs.size() >= 3);  // ok, failing, ok, failing, ok
}
