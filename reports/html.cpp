// The self-contained HTML drill report: the page (see html.hpp for what it
// shows and the classes it promises). The page holds the header with the
// headline figures, the verdicts, the runbook and data loss, a figure per
// iteration with its timeline (html_timeline.cpp) and latency chart
// (html_latency.cpp), the metrics and the events; the style sheet is inline
// and nothing is fetched.
//
// The window of an iteration's charts starts at most a third of the
// post-injection span before the injection (steady state for context,
// without crowding the outage) and ends where observation of the iteration
// ended (html_svg.cpp).
#include "reports/html.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "reports/html_latency.hpp"
#include "reports/html_strategies.hpp"
#include "reports/html_svg.hpp"
#include "reports/html_timeline.hpp"
#include "reports/link_lines.hpp"
#include "reports/report_text.hpp"

namespace faultline {

namespace {

using html::esc;

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
.warning { border: 1px solid #e8590c; background: rgba(232, 89, 12, .08); padding: 0 1em; }
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
tr.inconclusive td.result, tr.not-run td.result { color: #8a5a00; font-weight: 700; }
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
  out += fmt::format("<p class=\"meaning\">{} (exit {})</p>", esc(outcome_meaning(r)), r.exit_code);
  if (!r.error.empty()) out += fmt::format("<p class=\"error\">{}</p>", esc(r.error));
  if (const auto warnings = harness_warnings(r); !warnings.empty()) {
    out += "<div class=\"warning\" id=\"harness-warnings\"><p><strong>Warning: the harness was starved.</strong> "
           "The figures say so:</p><ul>";
    for (const auto& w : warnings) out += fmt::format("<li>{}</li>", esc(w));
    out += "</ul></div>";
  }

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
    out += figure_card("availability", fmt::format("{:.2f} %", a->percent()), availability_text(*a));
  out += figure_card("iterations", fmt::format("{} / {}", iterations_run(r), iterations_planned(r)), "run / planned");
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
  if (!r.iterations.empty()) meta("uncertainty", "+/- " + format_ms(u) + " (one probe interval) at least; wider brackets under Metrics");
  out += "</dl>";
  if (!r.left_behind.empty()) {
    out += "<p class=\"error\">Left behind (could not be reverted):</p><ul>";
    for (const auto& l : r.left_behind) out += fmt::format("<li class=\"error\">{}</li>", esc(l));
    out += "</ul>";
  }
  return out + "</header>";
}

/// A table of class `cls`: `head` the header cells, then a row `row(x)` for
/// each of `items`.
template <class T, class Row>
std::string table(const char* cls, const char* head, const std::vector<T>& items, Row row) {
  std::string out = fmt::format("<table class=\"{}\"><thead><tr>{}</tr></thead><tbody>", cls, head);
  for (const auto& x : items) out += row(x);
  return out + "</tbody></table>";
}

/// A `table` under its own heading; nothing when there are no items.
template <class T, class Row>
std::string titled_table(const char* title, const char* cls, const char* head, const std::vector<T>& items, Row row) {
  if (items.empty()) return "";
  return fmt::format("<h3>{}</h3>", title) + table(cls, head, items, row);
}

std::string verdict_row(const Verdict& v) {
  return fmt::format(
      "<tr class=\"verdict {}\" data-threshold=\"{}\"><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
      "<td class=\"num\">{}</td><td class=\"result\">{}</td><td>{}</td></tr>",
      v.passed ? "pass" : v.inconclusive ? "inconclusive" : v.not_run ? "not-run" : "fail", esc(v.threshold),
      esc(verdict_name(v)), esc(v.measured), esc(v.limit), esc(v.margin.empty() ? "-" : v.margin), verdict_result(v),
      esc(v.detail));
}

std::string verdict_table(const RunRecord& r) {
  std::string out = "<section id=\"verdicts\"><h2>Verdicts</h2>";
  if (r.verdicts.empty()) return out + "<p>No threshold was judged.</p></section>";
  return out +
         table("verdicts",
               "<th>threshold</th><th class=\"num\">measured</th><th class=\"num\">limit</th>"
               "<th class=\"num\">margin</th><th>result</th><th>detail</th>",
               r.verdicts, verdict_row) +
         "</section>";
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
  list("data-integrity", "Data integrity", integrity_lines(r));
  list("fault-damage", "Data damaged by faults", fault_damage_lines(r));
  list("link-damage", "Data corrupted on links", link_damage_lines(r));
  list("http-links", "HTTP links", http_link_lines(r));
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
  if (!any_latency(r)) return "";
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
               "lasts from the injection to t_revert for faults with a duration, else to t_recover." +
               esc(latency_precision_note(r)) + "</p>";
}

std::string iteration_row(const RunRecord& r, const IterationMetrics& m) {
  const auto a = combined_availability(m.availability);
  return fmt::format(
      "<tr data-iteration=\"{}\"><td class=\"num\"><a href=\"#iteration-{}\">{}</a></td><td>{}</td><td class=\"num\">{}</td>"
      "<td class=\"num\">{}</td><td class=\"num{}\">{}</td><td class=\"num\">{}</td><td class=\"num{}\">{}</td>"
      "<td class=\"num\"{}>{}</td><td class=\"num\">{}</td></tr>",
      m.index, m.index, m.index, impact_text(m), ms_or_dash(m.ttd),
      !m.impact ? "-" : m.recovered ? ms_or_dash(m.ttr) : "not recovered", m.recovered ? "" : " bad",
      esc(recovery_text(r, m)), ms_or_dash(m.recovery_after_revert), m.relapses ? " bad" : "",
      (m.blind.count() > 0 ? "&ge; " : "") + std::to_string(m.relapses),
      a && fmt::format("{:.2f}", a->percent_low()) != fmt::format("{:.2f}", a->percent_high())
          ? fmt::format(" title=\"between {:.2f} % and {:.2f} %\"", a->percent_low(), a->percent_high())
          : "",
      a ? fmt::format("{:.2f} %", a->percent()) : "-", format_ms(m.uncertainty));
}

std::string metrics_tables(const RunRecord& r) {
  std::string out = "<section id=\"metrics\"><h2>Metrics</h2>";
  if (r.iterations.empty()) return out + "<p>No iteration ran, so nothing was measured.</p></section>";
  out += table("iterations",
               "<th class=\"num\">iteration</th><th>impact</th><th class=\"num\">TTD</th>"
               "<th class=\"num\">TTR</th><th class=\"num\">recovery time</th><th class=\"num\">after revert</th>"
               "<th class=\"num\">relapses</th><th class=\"num\">availability</th><th class=\"num\">+/-</th>",
               r.iterations, [&r](const IterationMetrics& m) { return iteration_row(r, m); });
  out += fmt::format(
      "<p class=\"note\">Every figure is +/- one probe interval at least (a transition lies between two samples; wider "
      "brackets are listed below). Recovery time runs from the injection; \"&gt; {}\" means not recovered by the "
      "deadline (give_up_after).</p>",
      esc(format_ms(r.scenario.give_up_after)));
  auto list = [&](const char* title, const char* id, const std::vector<std::string>& lines) {
    if (lines.empty()) return;
    out += fmt::format("<h3>{}</h3><ul id=\"{}\">", title, id);
    for (const auto& l : lines) out += fmt::format("<li>{}</li>", esc(l));
    out += "</ul>";
  };
  list("Injections", "injections", injection_lines(r));
  list("Episodes", "episodes", episode_lines(r));

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
    out += table("availability",
                 "<th>probe</th><th class=\"num\">ok</th><th class=\"num\">samples</th><th class=\"num\">ticks</th>"
                 "<th class=\"num\">availability (time)</th><th class=\"num\">between</th>"
                 "<th class=\"num\">unknown time</th><th class=\"num\">ok ticks</th>",
                 s.availability, [](const Availability& a) {
                   return fmt::format(
                       "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                       "<td class=\"num\">{:.2f} %</td><td class=\"num\">{:.2f} - {:.2f} %</td><td class=\"num\">{}</td>"
                       "<td class=\"num\">{:.2f} %</td></tr>",
                       a.probe == "combined" ? "<strong>combined</strong>" : esc(a.probe), a.ok, a.total, a.ticks,
                       a.percent(), a.percent_low(), a.percent_high(), format_ms(a.unknown), a.tick_percent());
                 });
    out += "<p class=\"note\">Availability is the share of the observed time (injection to the end of observation) "
           "that was healthy; time no trustworthy sample covered is unknown and left out. \"Between\" is what the "
           "samples allow: every transition anywhere between the two samples around it. Beside it, the share of "
           "scheduled ticks that got an ok answer.</p>";
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
  if (!m.impact && m.undetermined)
    return fmt::format("Undetermined: no trustworthy sample showed an impact (the harness was stalled or decided "
                       "samples itself; {}).", pm);
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
  const std::vector<html::Drawn> probes = html::drawn_probes(r);
  std::string out = "<section id=\"timelines\"><h2>Timelines</h2>";
  out += kLegend;
  if (r.iterations.empty()) {
    if (r.probes.empty()) return out + "<p>No iteration ran and no probe sample was taken.</p></section>";
    html::XScale xs;
    xs.lo = Nanos{0};
    xs.zero = Nanos{0};
    xs.axis_title = "time since the start of the run";
    xs.hi = std::max(r.duration, Nanos(1'000'000));
    for (const auto& d : probes)
      if (!d.runs.empty()) xs.hi = std::max(xs.hi, d.runs.back().last.end);
    out += "<figure class=\"iteration run-overview\"><figcaption>No iteration ran. The probe samples over the whole run:"
           "</figcaption>";
    out += html::timeline_svg(r, probes, nullptr, xs, "Probe samples over the run");
    out += html::latency_svg(r, probes, xs, nullptr, "Probe latency over the run");
    return out + "</figure></section>";
  }
  for (const auto& m : r.iterations) {
    const html::XScale xs = html::iteration_scale(m);
    out += fmt::format("<figure class=\"iteration\" id=\"iteration-{}\" data-iteration=\"{}\"><h3>Iteration {}</h3>"
                       "<figcaption>{}</figcaption>",
                       m.index, m.index, m.index, esc(iteration_caption(r, m)));
    out += html::timeline_svg(r, probes, &m, xs, fmt::format("Iteration {} timeline", m.index));
    out += html::latency_svg(r, probes, xs, &m, fmt::format("Iteration {} probe latency", m.index));
    out += "</figure>";
  }
  return out + "</section>";
}

std::string fault_row(const FaultEvent& f) {
  return fmt::format(
      "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
      "<td class=\"num\">{}</td><td class=\"num\">{}</td><td{}>{}</td></tr>",
      f.iteration, esc(f.fault), esc(f.kind), esc(target_text(f)), format_ms(f.inject_start), ms_or_dash(f.inject_end),
      ms_or_dash(f.revert_start), ms_or_dash(f.revert_end), f.ok ? "" : " class=\"bad\"",
      f.ok ? "ok" : esc("failed" + (f.error.empty() ? "" : ": " + f.error)));
}

std::string step_row(const StepOutcome& s) {
  return fmt::format(
      "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td{}>{}</td>"
      "<td><pre>{}</pre></td></tr>",
      s.iteration, esc(s.phase), esc(s.name), format_ms(s.end - s.start), s.exit_code, s.ok ? "" : " class=\"bad\"",
      s.ok ? "ok" : s.timed_out ? "timed out" : "failed", esc(s.output));
}

std::string service_event_row(const ServiceEvent& e) {
  return fmt::format("<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", format_ms(e.at),
                     esc(e.service), esc(e.what), esc(e.detail));
}

std::string events_tables(const RunRecord& r) {
  std::string out = "<section id=\"events\"><h2>Events</h2>";
  if (!r.faults.empty() || !r.steps.empty() || !r.service_events.empty())
    out += "<p class=\"note\">Times are since the start of the run.</p>";
  out += titled_table("Faults", "faults",
                      "<th class=\"num\">iteration</th><th>fault</th><th>kind</th><th>target</th>"
                      "<th class=\"num\">inject start</th><th class=\"num\">injected</th>"
                      "<th class=\"num\">revert start</th><th class=\"num\">reverted</th><th>result</th>",
                      r.faults, fault_row);
  out += titled_table("Setup and verify steps", "steps",
                      "<th class=\"num\">iteration</th><th>phase</th><th>name</th><th class=\"num\">took</th>"
                      "<th class=\"num\">exit</th><th>result</th><th>output (tail)</th>",
                      r.steps, step_row);
  out += titled_table("Service events", "service-events",
                      "<th class=\"num\">at</th><th>service</th><th>event</th><th>detail</th>", r.service_events,
                      service_event_row);
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
  out += html::strategies_section(r, html::drawn_probes(r));
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
