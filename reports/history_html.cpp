// The history page (see history_html.hpp).
#include "reports/history_html.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <iterator>

#include "reports/html_svg.hpp"

namespace faultline {

namespace {

using html::esc;
using html::n1;

constexpr double kTop = 40, kBottom = 300, kHeight = 360;

const char* const kStyle =
    "body{font-family:system-ui,sans-serif;margin:24px;color:#1d2430;background:#fff}"
    "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #d0d5dd;padding:3px 8px;text-align:left}"
    "svg text{font-size:11px;fill:#1d2430}.grid{stroke:#e4e7ec}.band{fill:#7aa7e0;opacity:.25}"
    ".recovery{fill:#1971c2}.mttr{fill:#2b8a3e}.failed{fill:#e03131;stroke:#7a1410;stroke-width:1.5}"
    ".none{fill:#fff;stroke:#98a2b3}.label-line{stroke:#667085;stroke-dasharray:4 3}";

/// The chart's value scale: the largest bounded figure, rounded up to a step.
struct YScale {
  double top_ms = 1, step = 1;
  double y(double ms) const { return kBottom - (std::min(ms, top_ms) / top_ms) * (kBottom - kTop); }
};

YScale scale_of(const std::vector<RunRow>& rows) {
  double most = 0;
  for (const auto& r : rows) {
    if (r.recovery_max) most = std::max(most, html::ms_of(*r.recovery_max));
    if (r.mttr) most = std::max({most, html::ms_of(*r.mttr), html::ms_of(r.ttr_p95)});
  }
  YScale s;
  s.step = html::nice_step(std::max(most, 1.0), 5);
  s.top_ms = std::max(s.step, std::ceil(most / s.step) * s.step);
  if (s.top_ms <= most) s.top_ms += s.step;
  return s;
}

std::string axes(const YScale& s, std::size_t n) {
  std::string out;
  const int decimals = html::decimals_for(s.step);
  for (double v = 0; v <= s.top_ms + s.step / 2; v += s.step)
    out += fmt::format("<line class=\"grid\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/><text x=\"{}\" y=\"{}\" "
                       "text-anchor=\"end\">{:.{}f} ms</text>\n",
                       n1(html::kPlotX0), n1(html::kPlotX1), n1(s.y(v)), n1(s.y(v)), n1(html::kPlotX0 - 6),
                       n1(s.y(v) + 4), v, decimals);
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">runs, oldest first ({})</text>\n",
                     n1((html::kPlotX0 + html::kPlotX1) / 2), n1(kHeight - 8), n);
  return out;
}

/// An inconclusive run is neither passed nor failed: marked apart.
const char* const kInconclusiveStyle = ".inconclusive{fill:#f59f00;stroke:#8a5a00;stroke-width:1.5}";

bool inconclusive(const RunRow& r) { return r.outcome == "inconclusive"; }

/// A point of one series, linked to its record when there is one, appended to `out`.
void point(std::string& out, const RunRow& r, double x, double y, const char* series, const std::string& value) {
  const bool bad = r.outcome != "passed";
  const auto o = std::back_inserter(out);
  if (!r.record_path.empty()) fmt::format_to(o, "<a href=\"file://{}\">", esc(r.record_path));
  fmt::format_to(o, "<circle class=\"point {}{}\" cx=\"{}\" cy=\"{}\" r=\"{}\"><title>{} {} ({}, {}): {} {}</title></circle>",
                 series, !bad ? "" : inconclusive(r) ? " inconclusive" : " failed", n1(x), n1(y), bad ? 5.5 : 4,
                 esc(r.run_id), esc(r.label), esc(r.started_at), esc(r.outcome), series, esc(value));
  out += r.record_path.empty() ? "\n" : "</a>\n";
}

/// Hands `out` to `sink` once it holds a chunk.
void flush_full(std::string& out, const TextSink& sink) {
  if (out.size() < kTextChunk) return;
  sink(out);
  out.clear();
}

/// The chart, appended to `out` (handed to `sink` as it fills).
void chart(std::string& out, const TextSink& sink, const std::vector<RunRow>& rows) {
  const YScale s = scale_of(rows);
  const double step = (html::kPlotX1 - html::kPlotX0) / static_cast<double>(std::max<std::size_t>(rows.size(), 1));
  const auto x_of = [&](std::size_t i) { return html::kPlotX0 + (static_cast<double>(i) + 0.5) * step; };
  const auto o = std::back_inserter(out);
  fmt::format_to(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" width=\"{}\" "
                                "height=\"{}\" role=\"img\" aria-label=\"recovery time and MTTR over runs\">\n",
                                n1(html::kWidth), n1(kHeight), n1(html::kWidth), n1(kHeight));
  out += axes(s, rows.size());
  std::string previous_label = "\x01";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    flush_full(out, sink);
    const RunRow& r = rows[i];
    const double x = x_of(i);
    if (r.label != previous_label) {
      fmt::format_to(o, "<line class=\"label-line\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/><text class=\"label\" "
                         "x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
                         n1(x - step / 2), n1(kTop - 12), n1(kBottom), n1(kTop - 16),
                         esc(r.label.empty() ? "(no label)" : r.label));
      previous_label = r.label;
    }
    if (r.mttr && r.episodes > 0)
      fmt::format_to(o, "<rect class=\"band\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>TTR p50 {} .. p95 "
                         "{}</title></rect>\n",
                         n1(x - step * 0.3), n1(s.y(html::ms_of(r.ttr_p95))), n1(step * 0.6),
                         n1(std::max(1.0, s.y(html::ms_of(r.ttr_p50)) - s.y(html::ms_of(r.ttr_p95)))),
                         format_ms(r.ttr_p50), format_ms(r.ttr_p95));
    if (r.iterations == 0) {
      point(out, r, x, kBottom, "recovery none", "nothing measured");
      continue;
    }
    point(out, r, x, r.recovery_max ? s.y(html::ms_of(*r.recovery_max)) : kTop, "recovery",
          row_figure(r, r.recovery_max));
    if (!r.recovery_max)
      fmt::format_to(o, "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">&gt; deadline</text>\n", n1(x), n1(kTop - 2));
    point(out, r, x, r.mttr ? s.y(html::ms_of(*r.mttr)) : kTop, "mttr", row_figure(r, r.mttr));
  }
  fmt::format_to(o, "<text x=\"{}\" y=\"{}\"><tspan class=\"recovery\">&#9679;</tspan> recovery time (worst "
                    "iteration)  <tspan class=\"mttr\">&#9679;</tspan> MTTR  <tspan class=\"failed\">&#9679;</tspan> "
                    "run not passed{}; band: TTR p50..p95</text>\n",
                 n1(html::kPlotX0), n1(14),
                 std::any_of(rows.begin(), rows.end(), inconclusive)
                     ? " (<tspan class=\"inconclusive\">&#9679;</tspan> inconclusive: neither passed nor failed)"
                     : "");
  out += "</svg>\n";
}

}  // namespace

std::string render_history_html(const std::vector<RunRow>& rows, const std::vector<Finding>& findings, bool checked) {
  std::string page;
  page.reserve(2048 + rows.size() * 1100);
  render_history_html_to([&](std::string_view piece) { page.append(piece); }, rows, findings, checked);
  return page;
}

void render_history_html_to(const TextSink& sink, const std::vector<RunRow>& rows, const std::vector<Finding>& findings,
                            bool checked) {
  std::string out = fmt::format("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>faultline "
                                "history: {} run(s)</title>\n<style>{}{}</style>\n</head>\n<body>\n<h1>faultline history"
                                "</h1>\n",
                                rows.size(), kStyle,
                                std::any_of(rows.begin(), rows.end(), inconclusive) ? kInconclusiveStyle : "");
  out.reserve(kTextChunk + 8192);
  chart(out, sink, rows);
  if (checked) {
    out += findings.empty() ? "<p>No regression, recurrence or flaky scenario found.</p>\n" : "<h2>Findings</h2>\n<ul>\n";
    for (const auto& f : findings) out += fmt::format("<li><b>{}</b>: {}</li>\n", esc(f.kind), esc(f.text));
    if (!findings.empty()) out += "</ul>\n";
  }
  out += "<h2>Runs</h2>\n<table>\n<tr><th>when</th><th>label</th><th>scenario</th><th>outcome</th><th>recovery max</th>"
         "<th>MTTR</th><th>relapses</th><th>data lost</th><th>run</th></tr>\n";
  for (const auto& r : rows) {
    flush_full(out, sink);
    fmt::format_to(std::back_inserter(out), "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                       "<td>{}</td></tr>\n",
                       esc(r.started_at), esc(r.label), esc(r.scenario), esc(r.outcome), esc(row_figure(r, r.recovery_max)),
                       esc(row_figure(r, r.mttr)), r.relapses, r.data_lost, esc(r.run_id));
  }
  out += "</table>\n</body>\n</html>\n";
  sink(out);
}

}  // namespace faultline
