// The HTML report's timeline (see html_timeline.hpp for its rows).
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
// - Labels that would overlap move to a second row, or are left to the
//   element's tooltip (<title>) when no row has room.
#include "reports/html_timeline.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "reports/report_text.hpp"

namespace faultline::html {

namespace {

std::string fault_label(const FaultEvent& f) {
  std::string what = f.kind + (f.target.empty() ? "" : " " + target_text(f));
  return f.fault == f.kind || f.fault.empty() ? what : f.fault + ": " + what;
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
    out += fmt::format("<text class=\"absorbed\" x=\"{}\" y=\"{}\">{}</text>", n1(xs.x(m.inject) + 6), n1(ey + 16),
                       m.undetermined ? "undetermined: no trustworthy sample showed an impact"
                                      : "fault absorbed: no failing sample");
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
    // Ends left of the injection, but never reaches into the label column
    // (an injection near the plot's left edge would overprint "TTD / TTR").
    const double text_end = std::max(x0 - 4, kPlotX0 + 4 + text_width("TTD " + format_ms(*m.ttd)));
    out += fmt::format(
        "<g class=\"ttd\" data-ns=\"{}\"><title>TTD {} (t_fail - t_inject)</title>"
        "<path d=\"M{} {} v8 M{} {} H{} M{} {} v8\"/>"
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">TTD {}</text></g>",
        m.ttd->count(), esc(format_ms(*m.ttd)), n1(x0), n1(my + 2), n1(x0), n1(my + 6), n1(x1), n1(x1), n1(my + 2),
        n1(text_end), n1(my + 17), esc(format_ms(*m.ttd)));
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

}  // namespace

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

}  // namespace faultline::html
