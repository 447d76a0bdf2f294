// The Markdown summary (see markdown.hpp). Every string that comes from the
// record goes through markdown_escape, so a probe name or an error message
// can neither break a table nor inject HTML into a pull-request comment.
#include "reports/markdown.hpp"

#include <fmt/format.h>

#include "measure/blind_spots.hpp"
#include "reports/link_lines.hpp"
#include "reports/report_text.hpp"
#include "reports/strategy_table.hpp"

namespace faultline {

std::string markdown_escape(std::string_view text) {
  std::string out;
  const std::string clean = valid_utf8(text);
  out.reserve(clean.size());
  for (char c : clean) {
    switch (c) {
      case '\\': case '`': case '*': case '_': case '[': case ']': case '|': case '~':
      case '<': case '>': case '&': case '#': case '$':
        out += '\\';
        out += c;
        break;
      case '\n': case '\r': case '\t': out += ' '; break;
      default:
        // Other control characters would be shown as garbage; drop them.
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7F) out += c;
    }
  }
  return out;
}

namespace {

std::string md(std::string_view s) { return markdown_escape(s); }

/// A code span: no escapes are processed inside one, so backticks and line
/// breaks are the only characters to keep out.
std::string code(std::string_view s) {
  std::string out = "`";
  for (char c : valid_utf8(s)) out += c == '`' ? '\'' : c == '\n' || c == '\r' ? ' ' : c;
  return out + "`";
}

std::string header(const RunRecord& r) {
  std::string out = fmt::format("## faultline: {}: {}\n\n", md(r.scenario_name), outcome_word(r.outcome));
  out += fmt::format("**{}**: {} (exit {}).\n\n", outcome_word(r.outcome), outcome_meaning(r), r.exit_code);
  if (!r.error.empty()) out += fmt::format("**Error:** {}\n\n", md(r.error));
  out += fmt::format("Run {}, seed {}, {} of {} iteration(s) run, {:.3f} s", code(r.run_id), r.seed,
                     iterations_run(r), iterations_planned(r), static_cast<double>(r.duration.count()) / 1e9);
  if (!r.faultline_version.empty()) out += fmt::format(", faultline {}", md(r.faultline_version));
  if (!r.host.empty()) out += fmt::format(" on {}", md(r.host));
  if (!r.started_at.empty()) out += fmt::format(", started {}", md(r.started_at));
  out += ".\n";
  return out;
}

/// A section's heading and its table's header and alignment rows.
std::string table_head(const char* title, const char* header, const char* align) {
  return fmt::format("\n### {}\n\n{}\n{}\n", title, header, align);
}

std::string iterations_table(const RunRecord& r) {
  if (r.iterations.empty()) return "\nNo iteration ran, so nothing was measured.\n";
  std::string out = table_head("Iterations", "| Iteration | Impact | TTD | TTR | Recovery time | Relapses | Uncertainty |",
                               "| ---: | :--- | ---: | ---: | ---: | ---: | ---: |");
  for (const auto& m : r.iterations) {
    const std::string ttr = !m.impact ? "-" : m.recovered ? ms_or_dash(m.ttr) : "not recovered";
    out += fmt::format("| {} | {} | {} | {} | {} | {} | ± {} |\n", m.index, impact_text(m), ms_or_dash(m.ttd),
                       ttr, md(recovery_text(r, m)), (m.blind.count() > 0 ? "≥ " : "") + std::to_string(m.relapses),
                       format_ms(m.uncertainty));
  }
  for (const auto& m : r.iterations)  // counts across a blind spot are lower bounds
    if (m.blind.count() > 0)
      out += fmt::format("\nIteration {}: {}.\n", m.index,
                         md(lower_bound_note(static_cast<int>(m.episodes.size()), "episode(s)", m.blind, m.blind_start)));
  out += fmt::format(
      "\nEvery figure is ± one probe interval at least (a transition lies between two samples; wider brackets are "
      "listed below); recovery time is measured from the injection, and \"{}\" means not recovered by the deadline "
      "(give_up_after).\n",
      md("> " + format_ms(r.scenario.give_up_after)));
  return out;
}

std::string stats_line(const char* name, const Stats& s, const char* unit_of_n) {
  return fmt::format("- **{}** {} (p50 {}, p95 {}, max {}, n = {} {})\n", name, format_ms(s.mean), format_ms(s.p50),
                     format_ms(s.p95), format_ms(s.max), s.count, unit_of_n);
}

std::string statistics(const RunRecord& r) {
  if (r.iterations.empty()) return "";
  const RunStatistics& s = r.statistics;
  std::string out = "\n### Statistics\n\n";
  if (s.ttr.count > 0) {
    out += stats_line("MTTR", s.ttr, "episode(s)");
    if (s.unrecovered_episodes) out += fmt::format("  - {} episode(s) not recovered\n", s.unrecovered_episodes);
  } else {
    out += fmt::format("- **MTTR** none: no recovered episode{}\n",
                       s.unrecovered_episodes ? fmt::format(" ({} not recovered)", s.unrecovered_episodes) : "");
  }
  if (s.recovery_time.count > 0) out += stats_line("Recovery time", s.recovery_time, "recovered iteration(s)");
  if (s.ttd.count > 0) out += stats_line("TTD", s.ttd, "iteration(s) with impact");
  out += fmt::format("- **Recurrence** {} relapse(s), rate {:.2f}\n", s.recurrence, s.recurrence_rate);
  if (const auto c = combined_availability(s.availability))
    out += fmt::format("- **Availability** {} (from injection to the end of observation)\n", md(availability_text(*c)));
  if (!s.availability.empty()) {
    out += "\n| Probe | OK samples | Samples | Ticks | Availability (time) | Between | Unknown time | OK ticks |\n"
           "| :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
    for (const auto& a : s.availability)
      out += fmt::format("| {} | {} | {} | {} | {:.2f} % | {:.2f} - {:.2f} % | {} | {:.2f} % |\n",
                         a.probe == "combined" ? "**combined**" : md(a.probe), a.ok, a.total, a.ticks, a.percent(),
                         a.percent_low(), a.percent_high(), format_ms(a.unknown), a.tick_percent());
  }
  return out;
}

std::string latency(const RunRecord& r) {
  if (!any_latency(r)) return "";
  std::string out =
      "\n<details><summary>Probe latency before, during and after the fault</summary>\n\n"
      "| Iteration | Probe | Before | During | After |\n| ---: | :--- | ---: | ---: | ---: |\n";
  for (const auto& m : r.iterations)
    for (const auto& l : m.latency)
      out += fmt::format("| {} | {} | {} | {} | {} |\n", m.index, md(l.probe), latency_text(l.before),
                         latency_text(l.during), latency_text(l.after));
  return out + "\np50 / p99 of the ok samples' latency (n = their count)." + md(latency_precision_note(r)) +
         "\n\n</details>\n";
}

/// The runbook and data loss, as bullet lists.
std::string runbook_and_data_loss(const RunRecord& r) {
  std::string out;
  auto section = [&](const char* title, const std::vector<std::string>& lines) {
    if (lines.empty()) return;
    out += fmt::format("\n### {}\n\n", title);
    for (const auto& l : lines) out += "- " + md(l) + "\n";
  };
  section("Runbook", runbook_lines(r));
  section("Data loss", data_loss_lines(r));
  section("Data integrity", integrity_lines(r));
  section("Data damaged by faults", fault_damage_lines(r));
  section("Data corrupted on links", link_damage_lines(r));
  section("HTTP links", http_link_lines(r));
  return out;
}

/// Every injection and every episode, as bullet lists.
std::string injections_and_episodes(const RunRecord& r) {
  std::string out;
  auto section = [&](const char* title, const std::vector<std::string>& lines) {
    if (lines.empty()) return;
    out += fmt::format("\n### {}\n\n", title);
    for (const auto& l : lines) out += "- " + md(l) + "\n";
  };
  section("Injections", injection_lines(r));
  section("Episodes", episode_lines(r));
  return out;
}

std::string warnings(const RunRecord& r) {
  const auto lines = harness_warnings(r);
  if (lines.empty()) return "";
  std::string out = "\n> **Warning: the harness was starved.** The figures say so:\n>\n";
  for (const auto& l : lines) out += "> - " + md(l) + "\n";
  return out;
}

std::string verdicts(const RunRecord& r) {
  if (r.verdicts.empty()) return "\nNo threshold was judged.\n";
  std::string out = table_head("Verdicts", "| Threshold | Measured | Limit | Margin | Result | Detail |",
                               "| :--- | ---: | ---: | ---: | :---: | :--- |");
  for (const auto& v : r.verdicts)
    out += fmt::format("| {} | {} | {} | {} | {} | {} |\n", md(verdict_name(v)), md(v.measured), md(v.limit),
                       v.margin.empty() ? "-" : md(v.margin), v.passed || v.inconclusive || v.not_run ? verdict_result(v) : "**FAIL**", md(v.detail));
  return out;
}

std::string left_behind(const RunRecord& r) {
  if (r.left_behind.empty()) return "";
  std::string out = "\n### Left behind\n\nThese faults could not be reverted and need attention:\n\n";
  for (const auto& l : r.left_behind) out += "- " + md(l) + "\n";
  return out;
}

std::string fault_events(const RunRecord& r) {
  if (r.faults.empty()) return "";
  std::string out = fmt::format(
      "\n<details><summary>Fault events ({})</summary>\n\n"
      "| Iteration | Fault | Kind | Target | Injected at | Reverted at | Result |\n"
      "| ---: | :--- | :--- | :--- | ---: | ---: | :--- |\n",
      r.faults.size());
  for (const auto& f : r.faults)
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", f.iteration, md(f.fault), md(f.kind), md(target_text(f)),
                       ms_or_dash(f.inject_end), ms_or_dash(f.revert_end), f.ok ? std::string("ok") : "**failed**" + (f.error.empty() ? "" : ": " + md(f.error)));
  out += "\nTimes are since the start of the run.\n\n</details>\n";
  return out;
}

}  // namespace

std::string render_markdown(const RunRecord& r) {
  return header(r) + warnings(r) + iterations_table(r) + injections_and_episodes(r) + statistics(r) + latency(r) + runbook_and_data_loss(r) + strategy_table_markdown(r) + verdicts(r) + left_behind(r) + fault_events(r);
}

}  // namespace faultline
