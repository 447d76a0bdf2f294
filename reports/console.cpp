#include "reports/console.hpp"

#include <fmt/format.h>

#include "measure/blind_spots.hpp"
#include "reports/link_lines.hpp"
#include "reports/report_text.hpp"
#include "reports/strategy_table.hpp"

namespace faultline {

namespace {

std::string opt_ms(const std::optional<Nanos>& d) { return d ? format_ms(*d) : "-"; }

std::string paint(bool color, const char* code, const std::string& text) {
  return color ? fmt::format("\033[{}m{}\033[0m", code, text) : text;
}

std::string headline(const RunRecord& r, bool color, Outcome outcome, int exit_code) {
  std::string word;
  const char* code = "31";
  switch (outcome) {
    case Outcome::passed: word = "PASSED"; code = "32"; break;
    case Outcome::failed: word = "FAILED (a recovery objective was missed)"; break;
    case Outcome::usage_error: word = "USAGE ERROR"; break;
    case Outcome::inconclusive: word = "INCONCLUSIVE"; code = "33"; break;
    case Outcome::harness_error: word = "HARNESS ERROR"; break;
    case Outcome::interrupted: word = "INTERRUPTED"; code = "33"; break;
  }
  // A strategy run (issue 17) plans each iteration once per strategy.
  const std::string planned =
      r.iteration_strategies.empty()
          ? fmt::format("{} iteration(s) planned", r.scenario.iterations)
          : fmt::format("{} iteration(s) planned per strategy, {} in all", r.scenario.iterations, iterations_planned(r));
  return fmt::format("{}: {} (exit {})\n  run {}, seed {}, {}, {:.3f} s\n", r.scenario_name, paint(color, code, word),
                     exit_code, r.run_id, r.seed, planned, static_cast<double>(r.duration.count()) / 1e9);
}

std::string iteration_table(const RunRecord& r) {
  if (r.iterations.empty()) return "";
  std::string out = fmt::format("\n  {:>4}  {:<9} {:>14} {:>14} {:>16} {:>9}\n", "iter", "impact", "TTD",
                                "TTR", "recovery time", "relapses");
  Nanos uncertainty{0};
  for (const auto& m : r.iterations) {
    std::string recovery = m.recovered ? opt_ms(m.recovery_time)
                                       : "> " + format_ms(r.scenario.give_up_after);
    out += fmt::format("  {:>4}  {:<9} {:>14} {:>14} {:>16} {:>9}\n", m.index, impact_text(m),
                       opt_ms(m.ttd), m.recovered ? opt_ms(m.ttr) : "-", recovery,
                       (m.blind.count() > 0 ? ">= " : "") + std::to_string(m.relapses));
    uncertainty = std::max(uncertainty, m.uncertainty);
  }
  for (const auto& m : r.iterations)  // counts across a blind spot are lower bounds
    if (m.blind.count() > 0)
      out += fmt::format("  iteration {}: {}\n", m.index,
                         lower_bound_note(static_cast<int>(m.episodes.size()), "episode(s)", m.blind, m.blind_start));
  out += fmt::format("  each figure +/- {} (one probe interval) at least; wider brackets below\n",
                     format_ms(uncertainty));
  return out;
}

std::string statistics_block(const RunRecord& r) {
  if (r.iterations.empty()) return "";
  const RunStatistics& s = r.statistics;
  std::string out;
  if (s.ttr.count > 0)
    out += fmt::format("\n  MTTR {} (p50 {}, p95 {}, max {}, n={} episode(s){})\n", format_ms(s.ttr.mean),
                       format_ms(s.ttr.p50), format_ms(s.ttr.p95), format_ms(s.ttr.max), s.ttr.count,
                       s.unrecovered_episodes ? fmt::format(", {} not recovered", s.unrecovered_episodes) : "");
  else
    out += fmt::format("\n  MTTR: no recovered episode{}\n",
                       s.unrecovered_episodes ? fmt::format(" ({} not recovered)", s.unrecovered_episodes) : "");
  if (s.recovery_time.count > 0)
    out += fmt::format("  recovery time: mean {}, p95 {}, max {}\n", format_ms(s.recovery_time.mean),
                       format_ms(s.recovery_time.p95), format_ms(s.recovery_time.max));
  out += fmt::format("  recurrence: {} relapse(s), rate {:.2f}\n", s.recurrence, s.recurrence_rate);
  for (const auto& a : s.availability) out += fmt::format("  availability {}: {}\n", a.probe, availability_text(a));
  return out;
}

std::string lines_block(const char* title, const std::vector<std::string>& lines) {
  if (lines.empty()) return "";
  std::string out = fmt::format("\n  {}\n", title);
  for (const auto& l : lines) out += "    " + l + "\n";
  return out;
}

std::string verdict_block(const RunRecord& r, bool color) {
  if (r.verdicts.empty()) return "";
  std::string out = "\n  verdicts\n";
  auto name_of = [](const Verdict& v) {
    if (v.scope.starts_with("strategy ")) return verdict_name(v);  // issue 17: scoped by its strategy
    return v.threshold == "verify" || v.threshold == "runbook" || v.threshold == "integrity"
               ? v.threshold + " '" + v.scope + "'"
               : v.threshold;
  };
  std::size_t width = 18;  // the names line up, however long the longest is
  for (const auto& v : r.verdicts) width = std::max(width, name_of(v).size());
  for (const auto& v : r.verdicts) {
    // INCONCLUSIVE: a lower bound within the limit; NOT RUN: nothing to judge.
    std::string mark = paint(color, v.passed ? "32" : v.inconclusive || v.not_run ? "33" : "31", verdict_result(v));
    out += fmt::format("    {}  {:<{}} measured {:<22} limit {:<18}{}\n", mark, name_of(v), width, v.measured, v.limit,
                       v.margin.empty() ? "" : " margin " + v.margin);
    if (!v.passed && !v.detail.empty()) out += fmt::format("          {}\n", v.detail);
  }
  return out;
}

}  // namespace

std::string render_console_summary(const RunRecord& r, bool color) {
  return "\n" + headline(r, color, r.outcome, r.exit_code) + render_console_body(r, color);
}

std::string render_console_headline(const RunRecord& r, bool color, Outcome outcome, int exit_code) {
  return headline(r, color, outcome, exit_code);
}

std::string render_console_body(const RunRecord& r, bool color) {
  std::string out;
  if (!r.error.empty()) out += fmt::format("  {}\n", r.error);
  out += lines_block("WARNING: the harness was starved", harness_warnings(r));
  out += iteration_table(r);
  out += lines_block("injections", injection_lines(r));
  out += lines_block("episodes", episode_lines(r));
  out += statistics_block(r);
  out += lines_block("runbook", runbook_lines(r));
  out += lines_block("data loss", data_loss_lines(r));
  out += lines_block("data integrity", integrity_lines(r));
  out += lines_block("data damaged by faults", fault_damage_lines(r));
  out += lines_block("data corrupted on links", link_damage_lines(r));
  out += lines_block("HTTP links", http_link_lines(r));
  out += strategy_table_text(r);  // issue 17
  out += verdict_block(r, color);
  if (!r.left_behind.empty()) {
    out += "\n  LEFT BEHIND (could not be reverted):\n";
    for (const auto& l : r.left_behind) out += "    " + l + "\n";
  }
  return out;
}

}  // namespace faultline
