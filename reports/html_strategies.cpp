// The strategies' comparison in the HTML report (html_strategies.hpp): a
// table, the pairs, box plots of recovery time side by side on one axis, and
// a representative iteration's timeline per strategy.
//
// The box plots read each strategy's iterations from the record
// (RunRecord::iteration_strategies gives each iteration's strategy), so they
// show exactly the recovery times the comparison was drawn from; quartiles
// are nearest-rank, as every percentile of the report is. An iteration that
// never recovered is beyond every number: it is drawn past the axis's end,
// labelled "> deadline", and a quartile that falls on it is drawn there too.
#include "reports/html_strategies.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>

#include "reports/html_timeline.hpp"
#include "reports/report_text.hpp"
#include "reports/strategy_table.hpp"

namespace faultline::html {

namespace {

constexpr std::int64_t kBeyond = std::numeric_limits<std::int64_t>::max();

/// One iteration of a strategy: its index and recovery time (kBeyond when
/// it never recovered).
struct Point {
  int iteration;
  std::int64_t ns;
};

/// The measured iterations of strategy `name`, in run order.
std::vector<Point> points_of(const RunRecord& r, const std::string& name) {
  std::vector<Point> out;
  for (const auto& m : r.iterations) {
    if (m.index < 1 || static_cast<std::size_t>(m.index) > r.iteration_strategies.size()) continue;
    if (r.iteration_strategies[static_cast<std::size_t>(m.index) - 1] != name) continue;
    out.push_back({m.index, m.recovered ? m.recovery_time.value_or(Nanos{0}).count() : kBeyond});
  }
  return out;
}

/// Nearest-rank percentile of sorted values (0 < q <= 1).
std::int64_t rank_of(const std::vector<std::int64_t>& sorted, double q) {
  auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  k = std::clamp<std::size_t>(k, 1, sorted.size());
  return sorted[k - 1];
}

/// Strategies in the tables' order: ranked first, by rank.
std::vector<const StrategyStats*> in_rank_order(const StrategyComparison& c) {
  std::vector<const StrategyStats*> out;
  for (const auto& s : c.strategies) out.push_back(&s);
  std::stable_sort(out.begin(), out.end(), [](const StrategyStats* a, const StrategyStats* b) {
    return (a->rank ? a->rank : 1 << 30) < (b->rank ? b->rank : 1 << 30);
  });
  return out;
}

/// The x of a recovery time, past the axis's end when beyond the deadline.
double x_of(const XScale& xs, std::int64_t ns) {
  return ns == kBeyond ? kPlotX1 + 6 : xs.x(Nanos{ns});
}

/// One strategy's row of the box plot, its centre at `y`.
std::string box_row(const StrategyStats& s, const std::vector<Point>& pts, const XScale& xs,
                    double y) {
  std::string out = fmt::format("<g class=\"strategy-box\" data-strategy=\"{}\" data-rank=\"{}\">",
                                esc(s.name), s.rank);
  out +=
      row_label(y + 4, s.rank ? fmt::format("{}. {}", s.rank, s.name) : s.name + " (not ranked)");
  if (pts.empty()) return out + "</g>";
  std::vector<std::int64_t> v;
  for (const auto& p : pts) v.push_back(p.ns);
  std::sort(v.begin(), v.end());
  const double lo = x_of(xs, v.front()), hi = x_of(xs, v.back());
  const double q1 = x_of(xs, rank_of(v, 0.25)), q3 = x_of(xs, rank_of(v, 0.75));
  const std::int64_t med = rank_of(v, 0.5);
  out += fmt::format(
      "<line class=\"whisker\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#495057\"/>",
      n1(lo), n1(y), n1(hi), n1(y));
  out += fmt::format(
      "<rect class=\"box\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"16\" "
      "fill=\"rgba(25,113,194,.15)\" "
      "stroke=\"#1971c2\"/>",
      n1(q1), n1(y - 8), n1(std::max(q3 - q1, 1.0)));
  if (med != kBeyond)
    out += fmt::format(
        "<line class=\"median\" data-ns=\"{}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" "
        "stroke=\"#1971c2\" "
        "stroke-width=\"2.5\"><title>median {}</title></line>",
        med, n1(xs.x(Nanos{med})), n1(y - 10), n1(xs.x(Nanos{med})), n1(y + 10),
        esc(format_ms(Nanos{med})));
  for (const auto& p : pts)
    out += fmt::format(
        "<circle class=\"iteration-dot\" data-iteration=\"{}\" cx=\"{}\" cy=\"{}\" r=\"3\" "
        "fill=\"{}\">"
        "<title>iteration {}: {}</title></circle>",
        p.iteration, n1(x_of(xs, p.ns)), n1(y), p.ns == kBeyond ? "#e03131" : "#212529",
        p.iteration, esc(p.ns == kBeyond ? std::string("> deadline") : format_ms(Nanos{p.ns})));
  if (v.back() == kBeyond)
    out += fmt::format(
        "<text class=\"beyond\" x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#e03131\">&gt; "
        "deadline</text>",
        n1(kPlotX1), n1(y - 11));
  return out + "</g>";
}

std::string stats_table(const RunRecord& r, const StrategyComparison& c) {
  std::string out =
      "<table class=\"strategies\"><tr><th class=\"num\">Rank</th><th>Strategy</th><th "
      "class=\"num\">Iterations</th>"
      "<th class=\"num\">Each time &plusmn;</th><th class=\"num\">Recovery p50</th><th "
      "class=\"num\">p95</th>"
      "<th class=\"num\">max</th><th class=\"num\">TTR p50</th><th class=\"num\">Time to mitigate "
      "p50</th><th class=\"num\">p95</th>"
      "<th class=\"num\">Secondary outages</th><th class=\"num\">Failed steps</th><th "
      "class=\"num\">Failed verifications</th>"
      "<th class=\"num\">Data lost</th><th class=\"num\">Availability</th></tr>";
  for (const StrategyStats* s : in_rank_order(c)) {
    const auto planned =
        std::count(r.iteration_strategies.begin(), r.iteration_strategies.end(), s->name);
    out += fmt::format(
        "<tr data-strategy=\"{}\"><td class=\"num\">{}</td><td>{}</td><td "
        "class=\"num\">{}/{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td "
        "class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.0f}%</td><td "
        "class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num{}\">{}</td><td class=\"num\">{}</td></tr>",
        esc(s->name), s->rank ? std::to_string(s->rank) : "not ranked: " + esc(s->ineligible_why),
        esc(s->name), s->iterations, planned, esc(format_ms(strategy_uncertainty(r, s->name))),
        esc(strategy_time_text(s->recovery_p50)), esc(strategy_time_text(s->recovery_p95)),
        esc(strategy_time_text(s->recovery_max)), esc(ms_or_dash(s->ttr_p50)),
        esc(ms_or_dash(s->mitigate_p50)), esc(ms_or_dash(strategy_mitigate_p95(r, s->name))),
        s->secondary_outage_rate * 100, s->failed_steps, s->failed_verifications,
        s->data_lost ? " bad" : "", s->data_lost,
        s->availability ? fmt::format("{:.2f}%", *s->availability) : "-");
  }
  out += "</table>";
  if (c.pairs.empty()) return out;
  out +=
      "<table class=\"strategy-pairs\"><tr><th>Pair</th><th class=\"num\">Difference of "
      "medians</th>"
      "<th class=\"num\">Interval</th><th>Verdict</th></tr>";
  for (const auto& p : c.pairs)
    out += fmt::format(
        "<tr><td>{} - {}</td><td class=\"num\">{}</td><td class=\"num\">[{}, "
        "{}]</td><td>{}{}</td></tr>",
        esc(p.a), esc(p.b),
        esc(p.difference ? format_ms(*p.difference) : std::string("> deadline")),
        esc(strategy_bound_text(p.ci_low)), esc(strategy_bound_text(p.ci_high)), esc(p.verdict),
        p.iterations_needed
            ? fmt::format(" (about {} iterations each would tell)", p.iterations_needed)
            : "");
  return out + "</table>";
}

}  // namespace

const IterationMetrics* representative_iteration(const RunRecord& r, const std::string& name) {
  const std::vector<Point> pts = points_of(r, name);
  if (pts.empty()) return nullptr;
  std::vector<std::int64_t> v;
  for (const auto& p : pts) v.push_back(p.ns);
  std::sort(v.begin(), v.end());
  const std::int64_t med = rank_of(v, 0.5);
  for (const auto& p : pts)
    if (p.ns == med)
      for (const auto& m : r.iterations)
        if (m.index == p.iteration) return &m;
  return nullptr;
}

std::string strategy_boxes_svg(const RunRecord& r) {
  if (!r.comparison) return "";
  const auto order = in_rank_order(*r.comparison);
  XScale xs;
  xs.axis_title = "recovery time (t_recover - t_inject) of each iteration";
  std::int64_t top = 1'000'000;  // at least 1 ms wide
  for (const StrategyStats* s : order)
    for (const auto& p : points_of(r, s->name))
      if (p.ns != kBeyond) top = std::max(top, p.ns);
  xs.hi = Nanos{top + top / 20};
  const double row = 34, first = 30;
  const double bottom = first + row * static_cast<double>(order.size());
  std::string out = fmt::format(
      "<svg class=\"strategy-boxes\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"Recovery time "
      "per strategy\" "
      "xmlns=\"http://www.w3.org/2000/svg\"><title>Recovery time per strategy</title>",
      kWidth, n1(bottom + 36));
  out += fmt::format("<rect class=\"plot-bg\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                     kPlotX0, n1(first - 10), kPlotX1 - kPlotX0, n1(bottom - first + 10));
  out += time_axis(xs, first - 10, bottom);
  for (std::size_t i = 0; i < order.size(); ++i)
    out += box_row(*order[i], points_of(r, order[i]->name), xs,
                   first + row * (static_cast<double>(i) + 0.5) - 6);
  return out + "</svg>";
}

std::string strategies_section(const RunRecord& r, const std::vector<Drawn>& probes) {
  if (!r.comparison) return "";
  const StrategyComparison& c = *r.comparison;
  std::string out = fmt::format(
      "<section id=\"strategies\"><h2>Strategies</h2><p class=\"meaning\">{}</p><p "
      "class=\"note\">Median recovery times "
      "compared at {:g}% confidence (bootstrap of {} resamples, seeded); intervals are widened by "
      "the resolution of "
      "both figures.</p>",
      esc(c.conclusion), c.confidence, c.bootstrap_resamples);
  out += stats_table(r, c);
  out +=
      "<figure class=\"strategy-boxes\"><figcaption>Recovery time of every iteration, per "
      "strategy: whiskers from "
      "the fastest to the slowest, the box from the first to the third quartile, the median as a "
      "bar.</figcaption>";
  out += strategy_boxes_svg(r) + "</figure>";
  // One under the other, each the page's width: side by side, a timeline's
  // labels would be too small to read.
  out += "<div class=\"strategy-timelines\">";
  for (const StrategyStats* s : in_rank_order(c)) {
    const IterationMetrics* m = representative_iteration(r, s->name);
    if (!m) continue;
    out += fmt::format(
        "<figure class=\"strategy-timeline\" data-strategy=\"{}\" data-iteration=\"{}\"><h3>{}</h3>"
        "<figcaption>Its median iteration by recovery time, <a href=\"#iteration-{}\">iteration "
        "{}</a>."
        "</figcaption>",
        esc(s->name), m->index, esc(s->name), m->index, m->index);
    out += timeline_svg(r, probes, m, iteration_scale(*m),
                        fmt::format("Strategy {}: iteration {}", s->name, m->index));
    out += "</figure>";
  }
  return out + "</div></section>";
}

}  // namespace faultline::html
