// The HTML report's latency chart (see html_latency.hpp).
//
// Drawing rules: every sample is drawn when the record keeps them all; for a
// probe kept as runs the chart draws each run's exact first and last
// samples, its p50 as a dashed line across the run and its min..max as a
// whisker at the run's middle. At most two points (the lowest and highest
// latency) are kept per pixel column, which keeps the file small and every
// spike visible.
#include "reports/html_latency.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "reports/report_text.hpp"

namespace faultline::html {

namespace {

constexpr const char* kPalette[] = {"#1c7ed6", "#7048e8", "#f76707", "#0c8599", "#c2255c", "#5c940d", "#495057", "#ae3ec9"};

/// Whether any sample of the run starts inside the window.
bool overlaps(const SampleRun& run, const XScale& xs) { return run.last.start >= xs.lo && run.first.start <= xs.hi; }

/// The latency axis: 0 ms at the bottom of the plot, `max` at its top.
struct YScale {
  double top, plot_h, bottom;
  double step, max;

  double y(double ms) const { return bottom - plot_h * std::clamp(ms, 0.0, max) / max; }
};

/// A scale with room for the highest latency drawn in the window.
YScale y_scale(const std::vector<Drawn>& probes, const XScale& xs, double top, double plot_h) {
  double max_ms = 0;
  for (const auto& d : probes) {
    if (d.every_sample) {
      for (const auto& s : d.probe->samples)
        if (xs.contains(s.start)) max_ms = std::max(max_ms, ms_of(s.latency()));
    } else {
      for (const auto& run : d.runs)
        if (overlaps(run, xs)) max_ms = std::max(max_ms, ms_of(run.latency_max));
    }
  }
  const double ystep = nice_step(max_ms > 0 ? max_ms : 1, 4);
  const double ymax = std::max(ystep, std::ceil(max_ms / ystep) * ystep);
  return {top, plot_h, top + plot_h, ystep, ymax};
}

/// The plot's background, the fault shades, both axes and the injection and
/// recovery lines.
std::string frame(const RunRecord& r, const XScale& xs, const YScale& ys, const IterationMetrics* m) {
  const double top = ys.top, plot_h = ys.plot_h, bottom = ys.bottom;
  std::string out = fmt::format("<rect class=\"plot-bg\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>", kPlotX0,
                                n1(top), kPlotX1 - kPlotX0, n1(plot_h));
  if (m)
    for (const auto& f : fault_spans(r, m->index, xs)) {
      const double x0 = xs.x(f.from), x1 = std::max(xs.x(f.to), x0 + 3);
      out += fmt::format("<rect class=\"fault-shade\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>", n1(x0), n1(top),
                         n1(x1 - x0), n1(plot_h));
    }
  out += time_axis(xs, top, bottom);
  const int ydec = decimals_for(ys.step);
  for (double v = 0; v <= ys.max + ys.step * 1e-9; v += ys.step) {
    out += fmt::format("<line class=\"grid\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", kPlotX0, n1(ys.y(v)), kPlotX1,
                       n1(ys.y(v)));
    out += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{:.{}f} ms</text>", n1(kPlotX0 - 6),
                       n1(ys.y(v) + 4), v, ydec);
  }
  out += fmt::format("<text class=\"row-label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">latency</text>", n1(kPlotX0 - 60),
                     n1(top + plot_h / 2));
  if (m && m->t_recover)
    out += fmt::format("<line class=\"recovery-line\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", n1(xs.x(*m->t_recover)),
                       n1(top), n1(xs.x(*m->t_recover)), n1(bottom));
  if (m)
    out += fmt::format("<line class=\"inject-line\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", n1(xs.x(m->inject)),
                       n1(top), n1(xs.x(m->inject)), n1(bottom));
  return out;
}

/// A run of more than two samples: the median of the samples between its
/// exact first and last as a line across it, their range as a whisker at its
/// middle.
std::string run_band(const ProbeSeries& p, const SampleRun& run, const char* colour, const XScale& xs,
                     const YScale& ys) {
  const double x0 = xs.x(run.first.start), x1 = std::max(xs.x(run.last.start), x0 + 1);
  const double xm = (x0 + x1) / 2, y50 = ys.y(ms_of(run.latency_p50));
  const double ylo = ys.y(ms_of(run.latency_min)), yhi = ys.y(ms_of(run.latency_max));
  return fmt::format(
      "<g class=\"latency-run\" data-samples=\"{}\" style=\"stroke:{}\"><title>{}: {} {} samples from {} to {}: "
      "latency min {}, p50 {}, max {}</title><line class=\"p50\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>"
      "<path class=\"range\" d=\"M{} {} V{} M{} {} h6 M{} {} h6\"/></g>",
      run.count, colour, esc(p.name), run.ok ? "ok" : "FAILED", run.count, xs.rel(run.first.start),
      xs.rel(run.last.start), format_ms(run.latency_min), format_ms(run.latency_p50), format_ms(run.latency_max),
      n1(x0), n1(y50), n1(x1), n1(y50), n1(xm), n1(ylo), n1(yhi), n1(xm - 3), n1(ylo), n1(xm - 3), n1(yhi));
}

/// One probe's line (at most two points per pixel column), its failed
/// samples circled and, for a probe kept as runs, each run's band.
std::string probe_line(const Drawn& d, const char* colour, const XScale& xs, const YScale& ys) {
  const ProbeSeries& p = *d.probe;
  std::string points;
  std::string fails;
  std::string bands;
  int column = -1;
  double lo = 0, hi = 0;
  int last_fail_column = -1;
  auto flush = [&] {
    if (column < 0) return;
    const double x = kPlotX0 + column;
    points += fmt::format("{},{} ", n1(x), n1(ys.y(lo)));
    if (hi != lo) points += fmt::format("{},{} ", n1(x), n1(ys.y(hi)));
  };
  auto point = [&](Nanos start, Nanos latency, bool ok) {
    if (!xs.contains(start)) return;
    const double x = xs.x(start);
    const int col = static_cast<int>(x - kPlotX0);
    const double v = ms_of(latency);
    if (col != column) {
      flush();
      column = col;
      lo = hi = v;
    } else {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    if (!ok && col != last_fail_column) {
      fails += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"2.5\"/>", n1(x), n1(ys.y(v)));
      last_fail_column = col;
    }
  };
  if (d.every_sample) {
    for (const auto& s : p.samples) point(s.start, s.latency(), s.ok);
  } else {
    for (const auto& run : d.runs) {
      if (!overlaps(run, xs)) continue;
      if (run.count > 2) bands += run_band(p, run, colour, xs, ys);
      point(run.first.start, run.first.end - run.first.start, run.ok);
      if (run.count > 1) point(run.last.start, run.last.end - run.last.start, run.ok);
    }
  }
  flush();
  if (!points.empty()) points.pop_back();
  std::string out = fmt::format(
      "<g class=\"latency-probe\" data-probe=\"{}\"><title>{} latency (end - start of each sample)</title>", esc(p.name),
      esc(p.name));
  out += bands;
  out += fmt::format("<polyline class=\"latency\" data-probe=\"{}\" style=\"stroke:{}\" points=\"{}\"/>", esc(p.name),
                     colour, points);
  if (!fails.empty()) out += "<g class=\"latency-fail\">" + fails + "</g>";
  return out + "</g>";
}

/// The keys after the probes' names: a failed sample and, when a probe is
/// kept as runs, a run's band.
std::string legend_keys(double legend_x, bool any_runs) {
  std::string out = fmt::format("<g class=\"legend\"><circle class=\"latency-fail-key\" cx=\"{}\" cy=\"12\" r=\"2.5\"/>"
                                "<text x=\"{}\" y=\"16\">failed sample</text></g>",
                                n1(legend_x + 4), n1(legend_x + 12));
  if (any_runs) {
    legend_x += 100;
    out += fmt::format("<g class=\"legend\"><g class=\"latency-run-key\"><line x1=\"{}\" y1=\"12\" x2=\"{}\" y2=\"12\"/>"
                       "<path d=\"M{} 6 V18 M{} 6 h6 M{} 18 h6\"/></g>"
                       "<text x=\"{}\" y=\"16\">run of equal outcome: p50, min..max</text></g>",
                       n1(legend_x), n1(legend_x + 18), n1(legend_x + 9), n1(legend_x + 6), n1(legend_x + 6),
                       n1(legend_x + 22));
  }
  return out;
}

}  // namespace

std::string latency_svg(const RunRecord& r, const std::vector<Drawn>& probes, const XScale& xs,
                        const IterationMetrics* m, const std::string& title) {
  const YScale ys = y_scale(probes, xs, 26, 150);
  std::string out = fmt::format(
      "<svg class=\"latency-chart\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">"
      "<title>{}</title>",
      kWidth, n1(ys.bottom + 36), esc(title), esc(title));
  out += frame(r, xs, ys, m);
  double legend_x = kPlotX0;
  bool any_runs = false;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    const char* colour = kPalette[i % std::size(kPalette)];
    any_runs |= !probes[i].every_sample;
    out += probe_line(probes[i], colour, xs, ys);
    const std::string name = truncate(probes[i].probe->name, 28);
    out += fmt::format(
        "<g class=\"legend\"><line x1=\"{}\" y1=\"12\" x2=\"{}\" y2=\"12\" style=\"stroke:{}\"/>"
        "<text x=\"{}\" y=\"16\">{}</text></g>",
        n1(legend_x), n1(legend_x + 18), colour, n1(legend_x + 22), esc(name));
    legend_x += 40 + text_width(name);
  }
  return out + legend_keys(legend_x, any_runs) + "</svg>";
}

}  // namespace faultline::html
