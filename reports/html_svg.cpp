// The SVG geometry the HTML report's charts share (see html_svg.hpp).
#include "reports/html_svg.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "reports/report_text.hpp"

namespace faultline::html {

std::string esc(std::string_view s) { return xml_escape(s); }

std::string n1(double v) { return fmt::format("{:.1f}", v); }

double ms_of(Nanos d) { return static_cast<double>(d.count()) / 1e6; }

double XScale::x(Nanos t) const {
  t = std::clamp(t, lo, hi);
  return kPlotX0 + (kPlotX1 - kPlotX0) * static_cast<double>((t - lo).count()) / static_cast<double>((hi - lo).count());
}

std::string XScale::rel(Nanos t) const { return relative_ms(t - zero, 3); }

/// The window: the injection and a third of what follows it before it, to the
/// end of observation (or of the last episode), at least 1 ms wide.
XScale iteration_scale(const IterationMetrics& m) {
  XScale xs;
  xs.zero = m.inject;
  Nanos hi = std::max({m.observed_until, m.inject, m.t_recover.value_or(m.inject)});
  for (const auto& e : m.episodes) hi = std::max(hi, e.end.value_or(e.start));
  const Nanos after = hi - m.inject;
  Nanos lo = std::max(m.start, m.inject - after / 3);
  lo = std::min(lo, m.inject_start);
  if (hi - lo < Nanos(1'000'000)) hi = lo + Nanos(1'000'000);
  xs.lo = lo;
  xs.hi = hi;
  return xs;
}

/// A step of 1, 2 or 5 times a power of ten giving about `target` ticks over `span`.
double nice_step(double span, int target) {
  if (!(span > 0)) return 1;
  const double raw = span / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

int decimals_for(double step) { return step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9)); }

int LabelRows::place(double left, double right) {
  for (std::size_t i = 0; i < right_.size(); ++i)
    if (left > right_[i] + 4) {
      right_[i] = right;
      return static_cast<int>(i);
    }
  return -1;
}

double text_width(std::string_view s) { return static_cast<double>(s.size()) * kCharW; }

std::string truncate(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t cut = max - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
  return s.substr(0, cut) + "\u2026";
}

/// The vertical grid and the time axis under a plot spanning [top, bottom].
std::string time_axis(const XScale& xs, double top, double bottom) {
  const double lo = ms_of(xs.lo - xs.zero), hi = ms_of(xs.hi - xs.zero);
  const double step = nice_step(hi - lo, 10);
  const int dec = decimals_for(step);
  std::string out = "<g class=\"axis\">";
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    const Nanos t = xs.zero + Nanos(static_cast<std::int64_t>(std::llround(v * 1e6)));
    const double x = xs.x(t);
    const bool origin = std::abs(v) < step * 1e-6;
    out += fmt::format("<line class=\"grid{}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", origin ? " origin" : "", n1(x),
                       n1(top), n1(x), n1(bottom + 4));
    const std::string label = origin ? "0 ms" : relative_ms(Nanos(static_cast<std::int64_t>(std::llround(v * 1e6))), dec);
    out += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", n1(x), n1(bottom + 16),
                       esc(label));
  }
  out += fmt::format("<text class=\"axis-title\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text></g>", n1(kPlotX1),
                     n1(bottom + 30), esc(xs.axis_title));
  return out;
}

/// A label in the left column.
std::string row_label(double y, const std::string& text, const std::string& cls) {
  return fmt::format("<text class=\"{}\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", cls, n1(kPlotX0 - 8), n1(y),
                     esc(truncate(text, 28)));
}

std::vector<FaultSpan> fault_spans(const RunRecord& r, int iteration, const XScale& xs) {
  std::vector<FaultSpan> out;
  for (const auto& f : r.faults) {
    if (f.iteration != iteration) continue;
    Nanos to = f.revert_end ? *f.revert_end : f.inject_end ? *f.inject_end : f.inject_start;
    const bool left = !f.ok && f.revert_start && !f.revert_end;
    if (left) to = xs.hi;
    out.push_back({&f, f.inject_start, std::max(to, f.inject_start), left});
  }
  return out;
}

std::vector<Drawn> drawn_probes(const RunRecord& r) {
  std::vector<Drawn> out;
  for (const auto& p : r.probes) out.push_back({&p, runs_of(p), keeps_every_sample(p)});
  return out;
}

}  // namespace faultline::html
