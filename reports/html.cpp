// The self-contained HTML drill report (see html.hpp for what it shows and
// the classes it promises).
//
// Drawing rules, so that the timeline reads at a glance:
// - A probe lane shows the probe's state at every instant: sample i colours
//   [start_i, start_i+1) (the latest sample decides health, section 3), the
//   last one one interval. It is drawn from the probe's runs of equal outcome
//   (record.hpp), which the record keeps exactly whether it holds every
//   sample or only the runs; consecutive runs with the same ok are one rect,
//   so a 1 ms probe over a minute stays a handful of elements. Failing
//   stretches are drawn taller than ok ones, so the shape alone tells them
//   apart (colour-blind readers, grey print-outs).
// - The latency chart draws every sample when the record keeps them all;
//   for a probe kept as runs it draws each run's exact first and last
//   samples, its p50 as a dashed line across the run and its min..max as a
//   whisker at the run's middle.
// - The window starts at most a third of the post-injection span before the
//   injection (steady state for context, without crowding the outage) and
//   ends where observation of the iteration ended.
// - Labels that would overlap move to a second row, or are left to the
//   element's tooltip (<title>) when no row has room.
#include "reports/html.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>

#include "reports/report_text.hpp"

namespace faultline {

namespace {

std::string esc(std::string_view s) { return xml_escape(s); }

/// An SVG coordinate with one decimal.
std::string n1(double v) { return fmt::format("{:.1f}", v); }

double ms_of(Nanos d) { return static_cast<double>(d.count()) / 1e6; }

// ---------------------------------------------------------------------------
// Geometry

constexpr double kWidth = 1100;   ///< viewBox width of every chart
constexpr double kPlotX0 = 190;   ///< left edge of the plot (labels to its left)
constexpr double kPlotX1 = 1080;  ///< right edge of the plot
constexpr double kCharW = 6.4;    ///< average glyph width at font-size 11, for label fitting

/// Maps run times onto the plot's x range; `zero` is where "0 ms" is.
struct XScale {
  Nanos lo{0}, hi{1}, zero{0};
  std::string axis_title = "time relative to the injection (t_inject)";

  double x(Nanos t) const {
    t = std::clamp(t, lo, hi);
    return kPlotX0 + (kPlotX1 - kPlotX0) * static_cast<double>((t - lo).count()) / static_cast<double>((hi - lo).count());
  }
  bool contains(Nanos t) const { return lo <= t && t <= hi; }
  /// "+12.5 ms" relative to zero, for tooltips.
  std::string rel(Nanos t) const { return relative_ms(t - zero, 3); }
};

/// A step of 1, 2 or 5 times a power of ten giving about `target` ticks over `span`.
double nice_step(double span, int target) {
  if (!(span > 0)) return 1;
  const double raw = span / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

int decimals_for(double step) { return step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9)); }

/// Rows of labels: a label goes into the first row where it does not overlap
/// the previous label; none fits: -1 (the element keeps its tooltip).
class LabelRows {
 public:
  explicit LabelRows(int rows) : right_(static_cast<std::size_t>(rows), -1e9) {}
  int place(double left, double right) {
    for (std::size_t i = 0; i < right_.size(); ++i)
      if (left > right_[i] + 4) {
        right_[i] = right;
        return static_cast<int>(i);
      }
    return -1;
  }

 private:
  std::vector<double> right_;
};

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
std::string row_label(double y, const std::string& text, const std::string& cls = "row-label") {
  return fmt::format("<text class=\"{}\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", cls, n1(kPlotX0 - 8), n1(y),
                     esc(truncate(text, 28)));
}

// ---------------------------------------------------------------------------
// What one timeline shows

/// The fault events of an iteration, with the extent each one covers.
struct FaultSpan {
  const FaultEvent* ev;
  Nanos from, to;
  bool left_applied;  ///< never reverted: drawn to the end of the window
};

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

std::string fault_label(const FaultEvent& f) {
  std::string what = f.kind + (f.target.empty() ? "" : " " + f.target);
  return f.fault == f.kind || f.fault.empty() ? what : f.fault + ": " + what;
}

/// A probe as the charts draw it: its runs, computed once per page.
struct Drawn {
  const ProbeSeries* probe;
  std::vector<SampleRun> runs;
  bool every_sample;  ///< the record keeps every sample: the latency chart draws them
};

std::vector<Drawn> drawn_probes(const RunRecord& r) {
  std::vector<Drawn> out;
  for (const auto& p : r.probes) out.push_back({&p, runs_of(p), keeps_every_sample(p)});
  return out;
}

/// One merged stretch of equal ok in a lane: one or more whole runs.
struct Stretch {
  Nanos from, to;
  bool ok;
  std::uint64_t samples;
  std::string detail;  ///< the first non-empty detail
};

std::vector<Stretch> stretches(const Drawn& d, const XScale& xs) {
  std::vector<Stretch> out;
  const auto& runs = d.runs;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const SampleRun& r = runs[i];
    const Nanos from = r.first.start;
    const Nanos to = i + 1 < runs.size() ? runs[i + 1].first.start
                                         : r.last.start + std::max(d.probe->interval, r.last.end - r.last.start);
    if (to <= xs.lo || from >= xs.hi) continue;
    if (!out.empty() && out.back().ok == r.ok) {
      out.back().to = to;
      out.back().samples += r.count;
      if (out.back().detail.empty()) out.back().detail = r.detail;
    } else {
      out.push_back({from, to, r.ok, r.count, r.detail});
    }
  }
  return out;
}

/// A vertical marker line with a label in the strip above the rows.
std::string marker(const std::string& cls, Nanos t, const XScale& xs, double top, double bottom,
                   const std::string& label, const std::string& tooltip, LabelRows& rows, bool anchor_end) {
  const double x = xs.x(t);
  std::string out = fmt::format("<g class=\"{}\" data-ns=\"{}\"><title>{}</title>", cls, t.count(), esc(tooltip));
  out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", n1(x), n1(top), n1(x), n1(bottom));
  const double w = text_width(label);
  const double left = anchor_end ? x - 3 - w : x + 3;
  const int row = rows.place(left, left + w);
  if (row >= 0)
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\">{}</text>", n1(anchor_end ? x - 3 : x + 3),
                       n1(11 + 14 * row), anchor_end ? "end" : "start", esc(label));
  return out + "</g>";
}

/// Services' events (exited, restarting, started, ready, ...): a row per
/// service, a tick per event, labelled where there is room.
std::string service_rows(const RunRecord& r, const std::vector<std::string>& services, const XScale& xs, double top) {
  std::string out;
  for (std::size_t i = 0; i < services.size(); ++i) {
    const double row_y = top + 18.0 * static_cast<double>(i);
    out += row_label(row_y + 13, services[i], "row-label service");
    LabelRows rows(1);
    for (const auto& e : r.service_events) {
      if (e.service != services[i] || !xs.contains(e.at)) continue;
      const double x = xs.x(e.at);
      out += fmt::format("<g class=\"service-event {}\" data-service=\"{}\" data-what=\"{}\"><title>{} {} at {}{}</title>",
                         e.what == "exited" || e.what == "stopped" ? "down" : e.what == "ready" ? "up" : "other",
                         esc(e.service), esc(e.what), esc(e.service), esc(e.what), esc(xs.rel(e.at)),
                         esc(e.detail.empty() ? "" : " (" + e.detail + ")"));
      out += fmt::format("<path d=\"M{} {} l4 5 l-4 5 l-4 -5 z\"/>", n1(x), n1(row_y + 4));
      if (rows.place(x + 5, x + 5 + text_width(e.what)) == 0)
        out += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>", n1(x + 6), n1(row_y + 13), esc(e.what));
      out += "</g>";
    }
  }
  return out;
}

/// The outage row (episodes, relapse flags) and the TTD / TTR row below it.
std::string episode_rows(const IterationMetrics& m, const XScale& xs, double top) {
  std::string out;
  const double ey = top, my = top + 24;
  out += row_label(ey + 16, "outage");
  out += row_label(my + 14, "TTD / TTR");
  if (m.episodes.empty())
    out += fmt::format("<text class=\"absorbed\" x=\"{}\" y=\"{}\">fault absorbed: no failing sample</text>",
                       n1(xs.x(m.inject) + 6), n1(ey + 16));
  for (const auto& e : m.episodes) {
    const double x0 = xs.x(e.start);
    const double x1 = std::max(xs.x(e.end.value_or(xs.hi)), x0 + 2);
    std::string probes;
    for (const auto& p : e.failing_probes) probes += (probes.empty() ? "" : ", ") + p;
    const std::string tip =
        fmt::format("{} from {} {}; failing: {}", e.relapse ? "relapse" : "outage", xs.rel(e.start),
                    e.end ? fmt::format("to {} (TTR {})", xs.rel(*e.end), format_ms(*e.ttr())) : "NOT RECOVERED",
                    probes.empty() ? "-" : probes);
    out += fmt::format(
        "<rect class=\"episode{}\" data-relapse=\"{}\" data-start-ns=\"{}\" data-end-ns=\"{}\" x=\"{}\" y=\"{}\" "
        "width=\"{}\" height=\"20\"><title>{}</title></rect>",
        e.end ? "" : " open", e.relapse ? "true" : "false", e.start.count(), e.end ? std::to_string(e.end->count()) : "",
        n1(x0), n1(ey + 2), n1(x1 - x0), esc(tip));
    if (!e.end) {
      const std::string t = "not recovered";
      if (x1 - x0 > text_width(t) + 12)
        out += fmt::format("<rect class=\"open-label-bg\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\" rx=\"2\"/>"
                           "<text class=\"open-label\" x=\"{}\" y=\"{}\">{}</text>",
                           n1(x0 + 3), n1(ey + 5), n1(text_width(t) + 6), n1(x0 + 6), n1(ey + 16), t);
    }
    if (e.relapse)
      out += fmt::format(
          "<g class=\"relapse\" data-start-ns=\"{}\"><title>relapse at {}</title>"
          "<path d=\"M{} {} v-12 l9 3.5 l-9 3.5\"/><text x=\"{}\" y=\"{}\">relapse</text></g>",
          e.start.count(), esc(xs.rel(e.start)), n1(x0), n1(ey + 22), n1(x0 + 11), n1(ey + 12));
    if (e.end) {
      const std::string label = "TTR " + format_ms(*e.ttr());
      const double mid = (x0 + x1) / 2, w = text_width(label);
      const bool inside = x1 - x0 > w + 10;
      out += fmt::format(
          "<g class=\"ttr\" data-ns=\"{}\"><title>TTR {} (t_recover - t_fail)</title>"
          "<path d=\"M{} {} v8 M{} {} H{} M{} {} v8\"/>"
          "<text x=\"{}\" y=\"{}\" text-anchor=\"{}\">{}</text></g>",
          e.ttr()->count(), esc(format_ms(*e.ttr())), n1(x0), n1(my + 2), n1(x0), n1(my + 6), n1(x1), n1(x1), n1(my + 2),
          n1(inside ? mid : x1 + 4), n1(my + 17), inside ? "middle" : "start", esc(label));
    }
  }
  if (m.ttd && m.t_fail) {
    const double x0 = xs.x(m.inject), x1 = std::max(xs.x(*m.t_fail), x0 + 1);
    out += fmt::format(
        "<g class=\"ttd\" data-ns=\"{}\"><title>TTD {} (t_fail - t_inject)</title>"
        "<path d=\"M{} {} v8 M{} {} H{} M{} {} v8\"/>"
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">TTD {}</text></g>",
        m.ttd->count(), esc(format_ms(*m.ttd)), n1(x0), n1(my + 2), n1(x0), n1(my + 6), n1(x1), n1(x1), n1(my + 2),
        n1(x0 - 4), n1(my + 17), esc(format_ms(*m.ttd)));
  }
  return out;
}

/// A lane per probe, coloured sample by sample (equal outcomes merged).
std::string probe_lanes(const std::vector<Drawn>& probes, const XScale& xs, double top) {
  std::string out;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    const ProbeSeries& p = *probes[i].probe;
    const double ly = top + 24.0 * static_cast<double>(i);
    out += fmt::format("<g class=\"lane{}\" data-probe=\"{}\">", p.steady_state ? "" : " observed", esc(p.name));
    out += row_label(ly + 15, p.steady_state ? p.name : p.name + " (observed)", "row-label probe");
    out += fmt::format("<rect class=\"lane-bg\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"20\"/>", kPlotX0, n1(ly + 2),
                       kPlotX1 - kPlotX0);
    for (const auto& s : stretches(probes[i], xs)) {
      const double x0 = xs.x(s.from), x1 = std::max(xs.x(s.to), x0 + 1);
      std::string tip = fmt::format("{}: {} {} sample{} from {} to {}", p.name, s.ok ? "ok" : "FAILED", s.samples,
                                    s.samples == 1 ? "" : "s", xs.rel(s.from), xs.rel(s.to));
      if (!s.detail.empty()) tip += ": " + s.detail;
      out += fmt::format(
          "<rect class=\"seg {}\" data-samples=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}</title></rect>",
          s.ok ? "ok" : "fail", s.samples, n1(x0), n1(s.ok ? ly + 6 : ly + 2), n1(x1 - x0), s.ok ? 12 : 20, esc(tip));
    }
    out += "</g>";
  }
  return out;
}

/// Fault windows: labelled in their own rows from `top` and shaded down to
/// `bottom` (translucent, drawn over the lanes so that the window shows
/// across them).
std::string fault_windows(const std::vector<FaultSpan>& faults, const XScale& xs, double top, double bottom) {
  std::string out;
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const FaultSpan& f = faults[i];
    const double x0 = xs.x(f.from), x1 = std::max(xs.x(f.to), x0 + 3);
    const double row_y = top + 20.0 * static_cast<double>(i);
    std::string tip = fmt::format("{}: injected at {}", fault_label(*f.ev), xs.rel(f.from));
    if (f.ev->revert_end) tip += fmt::format(", reverted at {}", xs.rel(*f.ev->revert_end));
    if (!f.ev->ok) tip += fmt::format(" - FAILED: {}", f.ev->error);
    out += fmt::format("<g class=\"fault-window{}\" data-fault=\"{}\" data-kind=\"{}\"><title>{}</title>",
                       f.ev->ok ? "" : " fault-failed", esc(f.ev->fault), esc(f.ev->kind), esc(tip));
    out += fmt::format("<rect class=\"fault-shade\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>", n1(x0), n1(row_y),
                       n1(x1 - x0), n1(bottom - row_y));
    out += fmt::format("<rect class=\"fault-bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"16\"/>", n1(x0), n1(row_y + 2),
                       n1(x1 - x0));
    std::string label = fault_label(*f.ev) + (f.left_applied ? " (NOT REVERTED)" : "");
    out += fmt::format("<text class=\"fault-label\" x=\"{}\" y=\"{}\">{}</text></g>", n1(x1 + 4), n1(row_y + 14),
                       esc(label));
  }
  if (!faults.empty()) out += row_label(top + 14, faults.size() > 1 ? "faults" : "fault");
  return out;
}

/// The inject, revert, recovery and deadline markers, spanning [top, bottom],
/// labelled in the two label rows above `top`.
std::string iteration_markers(const IterationMetrics& m, const XScale& xs, double top, double bottom) {
  std::string out;
  LabelRows rows(2);
  out += marker("inject-marker", m.inject, xs, top, bottom, "inject",
                fmt::format("t_inject (inject returned) at {}", xs.rel(m.inject)), rows, true);
  if (m.revert && xs.contains(*m.revert))
    out += marker("revert-marker", *m.revert, xs, top, bottom, "revert",
                  fmt::format("t_revert at {}", xs.rel(*m.revert)), rows, false);
  if (m.t_recover)
    out += marker("recovery-marker", *m.t_recover, xs, top, bottom,
                  "recovered " + relative_ms(*m.t_recover - m.inject, 1),
                  fmt::format("t_recover at {}: recovery time {} +/- {}", xs.rel(*m.t_recover),
                              ms_or_dash(m.recovery_time), format_ms(m.uncertainty)),
                  rows, false);
  if (!m.recovered && xs.contains(m.deadline))
    out += marker("deadline-marker", m.deadline, xs, top, bottom, "deadline: not recovered",
                  fmt::format("deadline (t_inject + give_up_after) at {}", xs.rel(m.deadline)), rows, true);
  return out;
}

/// The timeline of one iteration, or of the whole run when `m` is null
/// (probe lanes only).
std::string timeline_svg(const RunRecord& r, const std::vector<Drawn>& probes, const IterationMetrics* m,
                         const XScale& xs, const std::string& title) {
  const auto faults = m ? fault_spans(r, m->index, xs) : std::vector<FaultSpan>{};
  std::vector<std::string> services;
  for (const auto& e : r.service_events)
    if (xs.contains(e.at) && std::find(services.begin(), services.end(), e.service) == services.end())
      services.push_back(e.service);

  // Rows, top to bottom: marker labels, faults, services, outages and
  // TTD/TTR (iterations only), probe lanes, the time axis.
  const double strip = 30;
  const double fault_top = strip;
  const double service_top = fault_top + 20.0 * static_cast<double>(faults.size());
  const double episode_top = service_top + 18.0 * static_cast<double>(services.size());
  const double lanes_top = episode_top + (m ? 24 + 20 : 0);
  const double lanes_bottom = lanes_top + std::max(10.0, 24.0 * static_cast<double>(r.probes.size()));
  const double height = lanes_bottom + 36;

  std::string out = fmt::format(
      "<svg class=\"timeline\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">"
      "<title>{}</title>",
      kWidth, n1(height), esc(title), esc(title));
  out += fmt::format("<rect class=\"plot-bg\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>", kPlotX0, n1(strip),
                     kPlotX1 - kPlotX0, n1(lanes_bottom - strip));
  out += time_axis(xs, strip, lanes_bottom);
  out += service_rows(r, services, xs, service_top);
  if (m) out += episode_rows(*m, xs, episode_top);
  out += probe_lanes(probes, xs, lanes_top);
  out += fault_windows(faults, xs, fault_top, lanes_bottom);
  if (m) out += iteration_markers(*m, xs, strip - 2, lanes_bottom);
  return out + "</svg>";
}

// ---------------------------------------------------------------------------
// The latency chart

constexpr const char* kPalette[] = {"#1c7ed6", "#7048e8", "#f76707", "#0c8599", "#c2255c", "#5c940d", "#495057", "#ae3ec9"};

/// Whether any sample of the run starts inside the window.
bool overlaps(const SampleRun& run, const XScale& xs) { return run.last.start >= xs.lo && run.first.start <= xs.hi; }

std::string latency_svg(const RunRecord& r, const std::vector<Drawn>& probes, const XScale& xs,
                        const IterationMetrics* m, const std::string& title) {
  const double top = 26, plot_h = 150, bottom = top + plot_h;
  double max_ms = 0;
  bool any_runs = false;
  for (const auto& d : probes) {
    if (d.every_sample) {
      for (const auto& s : d.probe->samples)
        if (xs.contains(s.start)) max_ms = std::max(max_ms, ms_of(s.latency()));
    } else {
      any_runs = true;
      for (const auto& run : d.runs)
        if (overlaps(run, xs)) max_ms = std::max(max_ms, ms_of(run.latency_max));
    }
  }
  const double ystep = nice_step(max_ms > 0 ? max_ms : 1, 4);
  const double ymax = std::max(ystep, std::ceil(max_ms / ystep) * ystep);
  auto yof = [&](double v) { return bottom - plot_h * std::clamp(v, 0.0, ymax) / ymax; };

  std::string out = fmt::format(
      "<svg class=\"latency-chart\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">"
      "<title>{}</title>",
      kWidth, n1(bottom + 36), esc(title), esc(title));
  out += fmt::format("<rect class=\"plot-bg\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>", kPlotX0, n1(top),
                     kPlotX1 - kPlotX0, n1(plot_h));
  if (m)
    for (const auto& f : fault_spans(r, m->index, xs)) {
      const double x0 = xs.x(f.from), x1 = std::max(xs.x(f.to), x0 + 3);
      out += fmt::format("<rect class=\"fault-shade\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>", n1(x0), n1(top),
                         n1(x1 - x0), n1(plot_h));
    }
  out += time_axis(xs, top, bottom);
  const int ydec = decimals_for(ystep);
  for (double v = 0; v <= ymax + ystep * 1e-9; v += ystep) {
    out += fmt::format("<line class=\"grid\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", kPlotX0, n1(yof(v)), kPlotX1,
                       n1(yof(v)));
    out += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{:.{}f} ms</text>", n1(kPlotX0 - 6),
                       n1(yof(v) + 4), v, ydec);
  }
  out += fmt::format("<text class=\"row-label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">latency</text>", n1(kPlotX0 - 60),
                     n1(top + plot_h / 2));
  if (m && m->t_recover)
    out += fmt::format("<line class=\"recovery-line\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", n1(xs.x(*m->t_recover)),
                       n1(top), n1(xs.x(*m->t_recover)), n1(bottom));
  if (m)
    out += fmt::format("<line class=\"inject-line\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", n1(xs.x(m->inject)),
                       n1(top), n1(xs.x(m->inject)), n1(bottom));

  double legend_x = kPlotX0;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    const ProbeSeries& p = *probes[i].probe;
    const char* colour = kPalette[i % std::size(kPalette)];
    // At most two points (lowest and highest latency) per pixel column keep
    // the file small and every spike visible.
    std::string points;
    std::string fails;
    std::string bands;
    int column = -1;
    double lo = 0, hi = 0;
    int last_fail_column = -1;
    auto flush = [&] {
      if (column < 0) return;
      const double x = kPlotX0 + column;
      points += fmt::format("{},{} ", n1(x), n1(yof(lo)));
      if (hi != lo) points += fmt::format("{},{} ", n1(x), n1(yof(hi)));
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
        fails += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"2.5\"/>", n1(x), n1(yof(v)));
        last_fail_column = col;
      }
    };
    if (probes[i].every_sample) {
      for (const auto& s : p.samples) point(s.start, s.latency(), s.ok);
    } else {
      for (const auto& run : probes[i].runs) {
        if (!overlaps(run, xs)) continue;
        if (run.count > 2) {
          // The samples between the exact first and last: their median as a
          // line across the run, their range as a whisker at its middle.
          const double x0 = xs.x(run.first.start), x1 = std::max(xs.x(run.last.start), x0 + 1);
          const double xm = (x0 + x1) / 2, y50 = yof(ms_of(run.latency_p50));
          const double ylo = yof(ms_of(run.latency_min)), yhi = yof(ms_of(run.latency_max));
          bands += fmt::format(
              "<g class=\"latency-run\" data-samples=\"{}\" style=\"stroke:{}\"><title>{}: {} {} samples from {} to {}: "
              "latency min {}, p50 {}, max {}</title><line class=\"p50\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>"
              "<path class=\"range\" d=\"M{} {} V{} M{} {} h6 M{} {} h6\"/></g>",
              run.count, colour, esc(p.name), run.ok ? "ok" : "FAILED", run.count, xs.rel(run.first.start),
              xs.rel(run.last.start), format_ms(run.latency_min), format_ms(run.latency_p50), format_ms(run.latency_max),
              n1(x0), n1(y50), n1(x1), n1(y50), n1(xm), n1(ylo), n1(yhi), n1(xm - 3), n1(ylo), n1(xm - 3), n1(yhi));
        }
        point(run.first.start, run.first.end - run.first.start, run.ok);
        if (run.count > 1) point(run.last.start, run.last.end - run.last.start, run.ok);
      }
    }
    flush();
    if (!points.empty()) points.pop_back();
    out += fmt::format("<g class=\"latency-probe\" data-probe=\"{}\"><title>{} latency (end - start of each sample)</title>",
                       esc(p.name), esc(p.name));
    out += bands;
    out += fmt::format("<polyline class=\"latency\" data-probe=\"{}\" style=\"stroke:{}\" points=\"{}\"/>", esc(p.name),
                       colour, points);
    if (!fails.empty()) out += "<g class=\"latency-fail\">" + fails + "</g>";
    out += "</g>";
    const std::string name = truncate(p.name, 28);
    out += fmt::format(
        "<g class=\"legend\"><line x1=\"{}\" y1=\"12\" x2=\"{}\" y2=\"12\" style=\"stroke:{}\"/>"
        "<text x=\"{}\" y=\"16\">{}</text></g>",
        n1(legend_x), n1(legend_x + 18), colour, n1(legend_x + 22), esc(name));
    legend_x += 40 + text_width(name);
  }
  out += fmt::format("<g class=\"legend\"><circle class=\"latency-fail-key\" cx=\"{}\" cy=\"12\" r=\"2.5\"/>"
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
  return out + "</svg>";
}

/// The window of an iteration's charts (see the drawing rules above).
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

// ---------------------------------------------------------------------------
// The page

constexpr const char* kStyle = R"css(
:root { --ok: #2b8a3e; --fail: #e03131; --fault: #f59f00; --recover: #1971c2; --ink: #212529; --muted: #868e96; --line: #dee2e6; }
* { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Roboto, sans-serif; color: var(--ink); margin: 0 auto; max-width: 1180px; padding: 24px; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 4px; }
header.run { border-left: 8px solid var(--muted); padding: 12px 16px; background: #f8f9fa; }
header.run.pass { border-color: var(--ok); }
header.run.fail { border-color: var(--fail); }
header.run.other { border-color: var(--fault); }
.badge { display: inline-block; font-weight: 700; padding: 2px 10px; border-radius: 4px; color: #fff; background: var(--muted); vertical-align: middle; font-size: 16px; }
.badge.pass { background: var(--ok); } .badge.fail { background: var(--fail); } .badge.other { background: #e8590c; }
.meaning { margin: 4px 0 10px; font-size: 15px; }
.error { color: var(--fail); font-weight: 600; }
.figures { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.figure { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; min-width: 150px; }
.figure .label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.figure .value { font-size: 20px; font-weight: 650; font-variant-numeric: tabular-nums; }
.figure .sub { font-size: 12px; color: #495057; }
.figure.bad .value { color: var(--fail); }
dl.meta { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 2px 12px; margin: 8px 0 0; font-size: 12px; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f1f3f5; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.fail td.result { color: var(--fail); font-weight: 700; } tr.pass td.result { color: var(--ok); font-weight: 700; }
td.bad { color: var(--fail); font-weight: 600; }
.note { color: #495057; font-size: 12px; }
.legend-row { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 12px; margin: 6px 0; }
.key { display: inline-block; width: 18px; height: 10px; vertical-align: middle; margin-right: 5px; border-radius: 1px; }
.key.ok { background: var(--ok); height: 7px; } .key.fail { background: var(--fail); height: 12px; }
.key.fault { background: rgba(245, 159, 0, .35); border: 1px solid var(--fault); }
.key.episode { background: rgba(224, 49, 49, .15); border: 1px solid var(--fail); }
.key.relapse { background: rgba(232, 89, 12, .25); border: 1px solid #e8590c; }
.key.recover { width: 3px; background: var(--recover); } .key.inject { width: 2px; background: var(--ink); }
figure.iteration { margin: 8px 0 24px; break-inside: avoid; }
figure.iteration figcaption { font-size: 13px; margin-bottom: 4px; }
svg { display: block; width: 100%; height: auto; font: 11px system-ui, "DejaVu Sans", sans-serif; }
svg .plot-bg { fill: #fcfcfd; stroke: var(--line); }
svg .fault-label, svg .service-event text, svg .ttd text, svg .ttr text, svg .relapse text, svg .absorbed,
svg g[class$="-marker"] text { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
svg .grid { stroke: #e9ecef; stroke-width: 1; } svg .grid.origin { stroke: #adb5bd; }
svg .tick { fill: #495057; font-size: 10px; } svg .axis-title { fill: var(--muted); font-size: 10px; }
svg .row-label { fill: var(--ink); } svg .row-label.probe { font-weight: 600; } svg .row-label.service { fill: #495057; }
svg .lane-bg { fill: #f1f3f5; }
svg .seg.ok { fill: var(--ok); } svg .seg.fail { fill: var(--fail); }
svg .lane.observed .seg { opacity: .55; }
svg .fault-shade { fill: rgba(245, 159, 0, .22); mix-blend-mode: multiply; }
svg .fault-bar { fill: rgba(245, 159, 0, .55); stroke: var(--fault); }
svg .fault-failed .fault-bar { fill: rgba(224, 49, 49, .5); stroke: var(--fail); }
svg .fault-label { fill: #5c3c00; font-weight: 600; }
svg .service-event path { fill: #868e96; } svg .service-event.down path { fill: var(--fail); } svg .service-event.up path { fill: var(--ok); }
svg .service-event text { fill: #495057; font-size: 10px; }
svg .episode { fill: rgba(224, 49, 49, .15); stroke: var(--fail); stroke-width: 1; }
svg .episode[data-relapse="true"] { fill: rgba(232, 89, 12, .25); stroke: #e8590c; }
svg .episode.open { fill: url(#hatch-open); }
svg .open-label { fill: #c92a2a; font-weight: 700; } svg .open-label-bg { fill: #fff; stroke: #e03131; stroke-width: .8; }
svg .absorbed { fill: var(--ok); font-weight: 600; }
svg .relapse path { fill: #e8590c; stroke: #e8590c; } svg .relapse text { fill: #d9480f; font-weight: 700; }
svg .ttd path, svg .ttr path { fill: none; stroke: var(--ink); stroke-width: 1.2; }
svg .ttd text, svg .ttr text { fill: var(--ink); font-weight: 600; }
svg .inject-marker line { stroke: var(--ink); stroke-width: 1.5; }
svg .revert-marker line { stroke: #495057; stroke-width: 1.2; stroke-dasharray: 4 3; }
svg .recovery-marker line { stroke: var(--recover); stroke-width: 2.5; }
svg .recovery-marker text { fill: var(--recover); font-weight: 700; }
svg .deadline-marker line { stroke: var(--fail); stroke-width: 2; stroke-dasharray: 6 3; }
svg .deadline-marker text { fill: var(--fail); font-weight: 700; }
svg .inject-marker text, svg .revert-marker text { fill: var(--ink); font-weight: 600; }
svg .latency { fill: none; stroke-width: 1.3; stroke-linejoin: round; }
svg .latency-fail circle, svg .latency-fail-key { fill: #fff; stroke: var(--fail); stroke-width: 1.3; }
svg .latency-run { fill: none; stroke-width: 1; } svg .latency-run .p50 { stroke-dasharray: 5 3; }
svg .latency-run-key { fill: none; stroke: #495057; stroke-width: 1; } svg .latency-run-key line { stroke-dasharray: 5 3; }
svg .legend line { stroke-width: 2; } svg .legend text { fill: var(--ink); }
svg .recovery-line { stroke: var(--recover); stroke-width: 1.5; stroke-dasharray: 3 3; }
svg .inject-line { stroke: var(--ink); stroke-width: 1; stroke-dasharray: 3 3; }
pre { white-space: pre-wrap; font-size: 12px; background: #f8f9fa; padding: 6px; margin: 0; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
/* Printed: landscape, so that a timeline keeps the width it is drawn for. */
@page { size: A4 landscape; margin: 10mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 9.5pt; }
  h2 { break-after: avoid; margin-top: 14px; }
  h3 { break-after: avoid; }
  header.run, table, figure.iteration { break-inside: avoid; }
  th, td { padding: 2px 6px; }
  td.num, th.num { white-space: normal; }
  .figure { border-color: #999; }
  a { color: inherit; text-decoration: none; }
}
)css";

std::string figure_card(const std::string& label, const std::string& value, const std::string& sub, bool bad = false) {
  return fmt::format("<div class=\"figure{}\"><div class=\"label\">{}</div><div class=\"value\">{}</div>"
                     "<div class=\"sub\">{}</div></div>",
                     bad ? " bad" : "", esc(label), esc(value), esc(sub));
}

std::string outcome_class(Outcome o) {
  return o == Outcome::passed ? "pass" : o == Outcome::failed ? "fail" : "other";
}

std::string header(const RunRecord& r) {
  const std::string cls = outcome_class(r.outcome);
  std::string out = fmt::format("<header class=\"run {}\"><h1>{} <span class=\"badge {}\" id=\"outcome\">{}</span></h1>",
                                cls, esc(r.scenario_name), cls, esc(outcome_word(r.outcome)));
  out += fmt::format("<p class=\"meaning\">{} (exit {})</p>", esc(outcome_meaning(r.outcome)), r.exit_code);
  if (!r.error.empty()) out += fmt::format("<p class=\"error\">{}</p>", esc(r.error));

  out += "<div class=\"figures\">";
  const Nanos u = max_uncertainty(r);
  const std::string pm = "+/- " + format_ms(u);
  // Recovery time: the worst iteration, or "> deadline" when one did not recover.
  const IterationMetrics* worst = nullptr;
  bool unrecovered = false;
  for (const auto& m : r.iterations) {
    if (!m.recovered || !m.recovery_time) unrecovered = true;
    else if (!worst || *m.recovery_time > *worst->recovery_time) worst = &m;
  }
  if (r.iterations.empty())
    out += figure_card("recovery time", "-", "no iteration ran");
  else if (unrecovered)
    out += figure_card("recovery time", "> " + format_ms(r.scenario.give_up_after), "not recovered by the deadline", true);
  else
    out += figure_card("recovery time (worst)", format_ms(*worst->recovery_time),
                       fmt::format("iteration {}, {}", worst->index, pm));
  const RunStatistics& s = r.statistics;
  if (s.ttr.count > 0)
    out += figure_card("MTTR", format_ms(s.ttr.mean),
                       fmt::format("p50 {}, p95 {}, max {}, n={}", format_ms(s.ttr.p50), format_ms(s.ttr.p95),
                                   format_ms(s.ttr.max), s.ttr.count),
                       s.unrecovered_episodes > 0);
  else
    out += figure_card("MTTR", "-", s.unrecovered_episodes ? fmt::format("{} episode(s) not recovered", s.unrecovered_episodes)
                                                           : "no episode", s.unrecovered_episodes > 0);
  if (s.ttd.count > 0)
    out += figure_card("TTD (mean)", format_ms(s.ttd.mean), fmt::format("max {}, {}", format_ms(s.ttd.max), pm));
  if (!r.iterations.empty())
    out += figure_card("relapses", std::to_string(s.recurrence),
                       fmt::format("recurrence rate {:.2f}", s.recurrence_rate), s.recurrence > 0);
  if (const auto a = combined_availability(s.availability))
    out += figure_card("availability", fmt::format("{:.2f} %", a->percent()), fmt::format("{} of {} samples ok", a->ok, a->total));
  out += figure_card("iterations", fmt::format("{} / {}", r.iterations.size(), r.scenario.iterations), "run / planned");
  out += "</div>";

  out += "<dl class=\"meta\">";
  auto meta = [&](const char* k, const std::string& v) {
    if (!v.empty()) out += fmt::format("<dt>{}</dt><dd>{}</dd>", k, esc(v));
  };
  meta("run id", r.run_id);
  meta("seed", std::to_string(r.seed));
  meta("started", r.started_at);
  meta("duration", fmt::format("{:.3f} s", static_cast<double>(r.duration.count()) / 1e9));
  meta("scenario", r.scenario_file);
  meta("digest", r.scenario_digest);
  meta("host", r.host);
  meta("kernel", r.kernel);
  meta("faultline", r.faultline_version);
  if (!r.iterations.empty()) meta("uncertainty", "+/- " + format_ms(u) + " (one probe interval)");
  out += "</dl>";
  if (!r.left_behind.empty()) {
    out += "<p class=\"error\">Left behind (could not be reverted):</p><ul>";
    for (const auto& l : r.left_behind) out += fmt::format("<li class=\"error\">{}</li>", esc(l));
    out += "</ul>";
  }
  return out + "</header>";
}

std::string verdict_table(const RunRecord& r) {
  std::string out = "<section id=\"verdicts\"><h2>Verdicts</h2>";
  if (r.verdicts.empty()) return out + "<p>No threshold was judged.</p></section>";
  out += "<table class=\"verdicts\"><thead><tr><th>threshold</th><th class=\"num\">measured</th><th class=\"num\">limit</th>"
         "<th class=\"num\">margin</th><th>result</th><th>detail</th></tr></thead><tbody>";
  for (const auto& v : r.verdicts)
    out += fmt::format(
        "<tr class=\"verdict {}\" data-threshold=\"{}\"><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"result\">{}</td><td>{}</td></tr>",
        v.passed ? "pass" : "fail", esc(v.threshold), esc(verdict_name(v)), esc(v.measured), esc(v.limit),
        esc(v.margin.empty() ? "-" : v.margin), v.passed ? "PASS" : "FAIL", esc(v.detail));
  return out + "</tbody></table></section>";
}

/// The runbook steps and the data loss, as lists; nothing without either.
std::string runbook_section(const RunRecord& r) {
  std::string out;
  auto list = [&](const char* id, const char* title, const std::vector<std::string>& lines) {
    if (lines.empty()) return;
    out += fmt::format("<section id=\"{}\"><h2>{}</h2><ul>", id, title);
    for (const auto& l : lines) out += "<li>" + esc(l) + "</li>";
    out += "</ul></section>\n";
  };
  list("runbook", "Runbook", runbook_lines(r));
  list("data-loss", "Data loss", data_loss_lines(r));
  return out;
}

std::string stats_row(const char* name, const Stats& s) {
  if (s.count == 0) return fmt::format("<tr><td>{}</td><td class=\"num\" colspan=\"6\">none</td></tr>", name);
  return fmt::format(
      "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
      "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
      name, format_ms(s.mean), format_ms(s.p50), format_ms(s.p95), format_ms(s.max), format_ms(s.stddev), s.count);
}

/// Each probe's latency before, during and after the fault, per iteration.
std::string latency_table(const RunRecord& r) {
  bool any = false;
  for (const auto& m : r.iterations) any |= !m.latency.empty();
  if (!any) return "";
  std::string out =
      "<h3>Probe latency</h3><table class=\"latency-phases\"><thead><tr><th class=\"num\">iteration</th><th>probe</th>"
      "<th class=\"num\">before the fault</th><th class=\"num\">during the fault</th><th class=\"num\">after the fault</th>"
      "</tr></thead><tbody>";
  for (const auto& m : r.iterations)
    for (const auto& l : m.latency)
      out += fmt::format(
          "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
          m.index, esc(l.probe), latency_text(l.before), latency_text(l.during), latency_text(l.after));
  return out + "</tbody></table><p class=\"note\">p50 / p99 of the ok samples' latency, and their count. The fault "
               "lasts from the injection to t_revert for faults with a duration, else to t_recover.</p>";
}

std::string metrics_tables(const RunRecord& r) {
  std::string out = "<section id=\"metrics\"><h2>Metrics</h2>";
  if (r.iterations.empty()) return out + "<p>No iteration ran, so nothing was measured.</p></section>";
  out += "<table class=\"iterations\"><thead><tr><th class=\"num\">iteration</th><th>impact</th><th class=\"num\">TTD</th>"
         "<th class=\"num\">TTR</th><th class=\"num\">recovery time</th><th class=\"num\">after revert</th>"
         "<th class=\"num\">relapses</th><th class=\"num\">availability</th><th class=\"num\">+/-</th></tr></thead><tbody>";
  for (const auto& m : r.iterations) {
    const auto a = combined_availability(m.availability);
    out += fmt::format(
        "<tr data-iteration=\"{}\"><td class=\"num\"><a href=\"#iteration-{}\">{}</a></td><td>{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num{}\">{}</td><td class=\"num\">{}</td><td class=\"num{}\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
        m.index, m.index, m.index, impact_text(m), ms_or_dash(m.ttd),
        !m.impact ? "-" : m.recovered ? ms_or_dash(m.ttr) : "not recovered", m.recovered ? "" : " bad",
        esc(recovery_text(r, m)), ms_or_dash(m.recovery_after_revert), m.relapses ? " bad" : "", m.relapses,
        a ? fmt::format("{:.2f} %", a->percent()) : "-", format_ms(m.uncertainty));
  }
  out += "</tbody></table>";
  out += fmt::format(
      "<p class=\"note\">Every figure is +/- one probe interval (a transition lies between two samples). Recovery time "
      "runs from the injection; \"&gt; {}\" means not recovered by the deadline (give_up_after).</p>",
      esc(format_ms(r.scenario.give_up_after)));

  const RunStatistics& s = r.statistics;
  out += "<h3>Across iterations</h3><table class=\"statistics\"><thead><tr><th></th><th class=\"num\">mean</th>"
         "<th class=\"num\">p50</th><th class=\"num\">p95</th><th class=\"num\">max</th><th class=\"num\">stddev</th>"
         "<th class=\"num\">n</th></tr></thead><tbody>";
  out += stats_row("TTD", s.ttd);
  out += stats_row("TTR (MTTR = mean)", s.ttr);
  out += stats_row("recovery time", s.recovery_time);
  out += "</tbody></table>";
  out += fmt::format("<p>{} episode(s), {} not recovered; {} relapse(s), recurrence rate {:.2f}.</p>", s.episodes,
                     s.unrecovered_episodes, s.recurrence, s.recurrence_rate);
  if (!s.availability.empty()) {
    out += "<table class=\"availability\"><thead><tr><th>probe</th><th class=\"num\">ok</th><th class=\"num\">samples</th>"
           "<th class=\"num\">availability</th></tr></thead><tbody>";
    for (const auto& a : s.availability)
      out += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.2f} %</td></tr>",
                         a.probe == "combined" ? "<strong>combined</strong>" : esc(a.probe), a.ok, a.total, a.percent());
    out += "</tbody></table><p class=\"note\">Availability counts samples from the injection to the end of observation.</p>";
  }
  out += latency_table(r);
  return out + "</section>";
}

constexpr const char* kLegend =
    "<div class=\"legend-row\"><span><i class=\"key ok\"></i>ok sample</span><span><i class=\"key fail\"></i>failing sample</span>"
    "<span><i class=\"key fault\"></i>fault window</span><span><i class=\"key episode\"></i>outage (episode)</span>"
    "<span><i class=\"key relapse\"></i>relapse</span><span><i class=\"key inject\"></i>injection (0 ms)</span>"
    "<span><i class=\"key recover\"></i>recovered (t_recover)</span></div>";

/// Shared SVG definitions (the hatch of an outage that never recovered).
constexpr const char* kDefs =
    "<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\" xmlns=\"http://www.w3.org/2000/svg\">"
    "<defs><pattern id=\"hatch-open\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
    "<rect width=\"8\" height=\"8\" fill=\"rgba(224,49,49,0.12)\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" "
    "stroke=\"#e03131\" stroke-width=\"3\"/></pattern></defs></svg>";

std::string iteration_caption(const RunRecord& r, const IterationMetrics& m) {
  const std::string pm = "+/- " + format_ms(m.uncertainty);
  if (!m.impact) return fmt::format("Fault absorbed: no failing sample ({}).", pm);
  std::string out = fmt::format("Impact after {} (TTD), ", ms_or_dash(m.ttd));
  if (m.recovered)
    out += fmt::format("recovered {} after the injection (TTR {}), {}", recovery_text(r, m), ms_or_dash(m.ttr), pm);
  else
    out += fmt::format("NOT recovered by the deadline: recovery time {}", recovery_text(r, m));
  if (m.relapses) out += fmt::format("; {} relapse(s)", m.relapses);
  return out + ".";
}

std::string timelines(const RunRecord& r) {
  const std::vector<Drawn> probes = drawn_probes(r);
  std::string out = "<section id=\"timelines\"><h2>Timelines</h2>";
  out += kLegend;
  if (r.iterations.empty()) {
    if (r.probes.empty()) return out + "<p>No iteration ran and no probe sample was taken.</p></section>";
    XScale xs;
    xs.lo = Nanos{0};
    xs.zero = Nanos{0};
    xs.axis_title = "time since the start of the run";
    xs.hi = std::max(r.duration, Nanos(1'000'000));
    for (const auto& d : probes)
      if (!d.runs.empty()) xs.hi = std::max(xs.hi, d.runs.back().last.end);
    out += "<figure class=\"iteration run-overview\"><figcaption>No iteration ran. The probe samples over the whole run:"
           "</figcaption>";
    out += timeline_svg(r, probes, nullptr, xs, "Probe samples over the run");
    out += latency_svg(r, probes, xs, nullptr, "Probe latency over the run");
    return out + "</figure></section>";
  }
  for (const auto& m : r.iterations) {
    const XScale xs = iteration_scale(m);
    out += fmt::format("<figure class=\"iteration\" id=\"iteration-{}\" data-iteration=\"{}\"><h3>Iteration {}</h3>"
                       "<figcaption>{}</figcaption>",
                       m.index, m.index, m.index, esc(iteration_caption(r, m)));
    out += timeline_svg(r, probes, &m, xs, fmt::format("Iteration {} timeline", m.index));
    out += latency_svg(r, probes, xs, &m, fmt::format("Iteration {} probe latency", m.index));
    out += "</figure>";
  }
  return out + "</section>";
}

std::string events_tables(const RunRecord& r) {
  std::string out = "<section id=\"events\"><h2>Events</h2>";
  if (!r.faults.empty() || !r.steps.empty() || !r.service_events.empty())
    out += "<p class=\"note\">Times are since the start of the run.</p>";
  if (!r.faults.empty()) {
    out += "<h3>Faults</h3><table class=\"faults\"><thead><tr><th class=\"num\">iteration</th><th>fault</th><th>kind</th>"
           "<th>target</th><th class=\"num\">inject start</th><th class=\"num\">injected</th><th class=\"num\">revert start</th>"
           "<th class=\"num\">reverted</th><th>result</th></tr></thead><tbody>";
    for (const auto& f : r.faults)
      out += fmt::format(
          "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
          "<td class=\"num\">{}</td><td class=\"num\">{}</td><td{}>{}</td></tr>",
          f.iteration, esc(f.fault), esc(f.kind), esc(f.target), format_ms(f.inject_start), ms_or_dash(f.inject_end),
          ms_or_dash(f.revert_start), ms_or_dash(f.revert_end), f.ok ? "" : " class=\"bad\"",
          f.ok ? "ok" : esc("failed" + (f.error.empty() ? "" : ": " + f.error)));
    out += "</tbody></table>";
  }
  if (!r.steps.empty()) {
    out += "<h3>Setup and verify steps</h3><table class=\"steps\"><thead><tr><th class=\"num\">iteration</th><th>phase</th>"
           "<th>name</th><th class=\"num\">took</th><th class=\"num\">exit</th><th>result</th><th>output (tail)</th></tr></thead><tbody>";
    for (const auto& s : r.steps)
      out += fmt::format(
          "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td{}>{}</td>"
          "<td><pre>{}</pre></td></tr>",
          s.iteration, esc(s.phase), esc(s.name), format_ms(s.end - s.start), s.exit_code, s.ok ? "" : " class=\"bad\"",
          s.ok ? "ok" : s.timed_out ? "timed out" : "failed", esc(s.output));
    out += "</tbody></table>";
  }
  if (!r.service_events.empty()) {
    out += "<h3>Service events</h3><table class=\"service-events\"><thead><tr><th class=\"num\">at</th><th>service</th><th>event</th>"
           "<th>detail</th></tr></thead><tbody>";
    for (const auto& e : r.service_events)
      out += fmt::format("<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", format_ms(e.at),
                         esc(e.service), esc(e.what), esc(e.detail));
    out += "</tbody></table>";
  }
  if (!r.ports.empty()) {
    out += "<h3>Ports</h3><p>";
    bool first = true;
    for (const auto& [name, port] : r.ports) {
      out += fmt::format("{}{} = {}", first ? "" : ", ", esc(name), port);
      first = false;
    }
    out += "</p>";
  }
  return out + "</section>";
}

}  // namespace

std::string render_html(const RunRecord& r) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      // Nothing may be fetched: no script, no image, no font, no request of any kind.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n";
  out += fmt::format("<meta name=\"generator\" content=\"faultline {}\">\n", esc(r.faultline_version));
  out += fmt::format("<title>faultline: {}: {}</title>\n<style>{}</style>\n</head>\n<body>\n", esc(r.scenario_name),
                     esc(outcome_word(r.outcome)), kStyle);
  out += kDefs;
  out += header(r);
  out += "\n<main>\n";
  out += verdict_table(r);
  out += "\n";
  out += runbook_section(r);
  out += timelines(r);
  out += "\n";
  out += metrics_tables(r);
  out += "\n";
  out += events_tables(r);
  out += "\n</main>\n";
  out += fmt::format("<footer>Rendered by faultline from the run record (schema_version {}); every figure is a pure "
                     "function of that record. Run {}.</footer>\n</body>\n</html>\n",
                     r.schema_version, esc(r.run_id));
  return out;
}

}  // namespace faultline
