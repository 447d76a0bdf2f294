// html_strategies: the comparison in the HTML report: a box plot row per
// strategy on one axis, a dot per iteration, "> deadline" never a number,
// the representative (median) iteration's timeline per strategy, and
// nothing for a run without strategies.
#include <doctest/doctest.h>

#include "report_fixtures.hpp"
#include "reports/html.hpp"
#include "reports/html_strategies.hpp"

using namespace faultline;
using fixtures::count;
using namespace faultline::html;

TEST_CASE("html_strategies: a box plot row per strategy, a dot per iteration, the medians") {
  const RunRecord r = fixtures::strategies();
  const std::string svg = strategy_boxes_svg(r);
  INFO(svg);
  CHECK(svg.rfind("<svg class=\"strategy-boxes\" viewBox=\"0 0 1100 ", 0) == 0);
  CHECK(svg.substr(svg.size() - 6) == "</svg>");
  CHECK(count(svg, "<g class=\"strategy-box\"") == 2);
  CHECK(svg.find("data-strategy=\"restart\"") != std::string::npos);
  CHECK(svg.find("data-strategy=\"rollback\"") != std::string::npos);
  // The fixture ran three iterations: restart twice, rollback once.
  CHECK(count(svg, "<circle class=\"iteration-dot\"") == r.iterations.size());
  CHECK(count(svg, "<line class=\"median\"") == 2);
  CHECK(svg.find("&gt; deadline") == std::string::npos);
}

TEST_CASE(
    "html_strategies: a never-recovered iteration is '> deadline' at the edge, never a number") {
  RunRecord r = fixtures::strategies();
  for (auto& m : r.iterations)
    if (r.iteration_strategies[static_cast<std::size_t>(m.index) - 1] == "rollback")
      m.recovered = false;
  const std::string svg = strategy_boxes_svg(r);
  INFO(svg);
  CHECK(svg.find("&gt; deadline</text>") != std::string::npos);
  CHECK(svg.find(": &gt; deadline</title>") != std::string::npos);
  // rollback's only iteration never recovered: its median is no number, no median bar.
  CHECK(count(svg, "<line class=\"median\"") == 1);
}

TEST_CASE(
    "html_strategies: the representative iteration is the strategy's median; its timeline is "
    "drawn") {
  const RunRecord r = fixtures::strategies();
  const IterationMetrics* m = representative_iteration(r, "rollback");
  REQUIRE(m);
  CHECK(m->index == 2);  // rollback's only iteration
  const IterationMetrics* restart = representative_iteration(r, "restart");
  REQUIRE(restart);
  CHECK((restart->index == 1 || restart->index == 3));
  CHECK(representative_iteration(r, "no-such-strategy") == nullptr);
  const std::string section = strategies_section(r, drawn_probes(r));
  INFO(section);
  CHECK(section.rfind("<section id=\"strategies\"><h2>Strategies</h2>", 0) == 0);
  CHECK(section.find(esc(r.comparison->conclusion)) != std::string::npos);
  CHECK(count(section, "<figure class=\"strategy-timeline\"") == 2);
  CHECK(count(section, "<svg class=\"timeline\"") == 2);
  CHECK(section.find("data-strategy=\"rollback\" data-iteration=\"2\"") != std::string::npos);
  CHECK(section.find("<table class=\"strategy-pairs\">") != std::string::npos);
  CHECK(section.find("Each time &plusmn;") != std::string::npos);
  // In the page, before the per-iteration timelines.
  const std::string page = render_html(r);
  CHECK(page.find(section) != std::string::npos);
  CHECK(page.find("<section id=\"strategies\">") < page.find("<section id=\"timelines\">"));
}

TEST_CASE("html_strategies: a run without strategies has no section") {
  const RunRecord r = fixtures::passing();
  CHECK(strategies_section(r, drawn_probes(r)).empty());
  CHECK(strategy_boxes_svg(r).empty());
  CHECK(render_html(r).find("id=\"strategies\"") == std::string::npos);
}
