// Wording and escaping shared by the JUnit, Markdown and HTML reports, so
// that every format says the same thing in the same words: the outcome word,
// "> deadline" for an iteration that did not recover, the uncertainty.
// Pure functions of the run record.
#pragma once

#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include "record/record.hpp"

namespace faultline {

/// "PASS", "FAIL", "INCONCLUSIVE", "HARNESS ERROR", "INTERRUPTED", "USAGE ERROR".
std::string outcome_word(Outcome o);

/// What the outcome means, to follow its word: "FAIL: a recovery objective was missed".
std::string outcome_meaning(Outcome o);
/// The record's outcome meaning; for a partial record (RunRecord::partial)
/// that the harness never concluded and nothing was judged.
std::string outcome_meaning(const RunRecord& r);
/// Iterations the record has figures for, or, in a partial record, that had ended.
std::size_t iterations_run(const RunRecord& r);
/// Iterations planned: the scenario's count, times the strategies in a strategy run.
std::size_t iterations_planned(const RunRecord& r);

/// A duration in the reports' unit ("167.563 ms"), or "-" when there is none.
std::string ms_or_dash(const std::optional<Nanos>& d);

/// "+1.5 ms" / "-200.0 ms": milliseconds relative to a reference, for axes and
/// labels; `decimals` digits after the point.
std::string relative_ms(Nanos d, int decimals);

/// An iteration's recovery time as the reports show it: "0.000 ms" when the
/// fault was absorbed, the figure when recovered, "> 30000.000 ms" (the
/// deadline, give_up_after) when not recovered: never a number then.
std::string recovery_text(const RunRecord& r, const IterationMetrics& m);

/// A figure with its bracket: "1807.000 ms, between 1350.000 ms and 1810.000 ms"
/// when the bracket is wider than `resolution` (one probe interval) either
/// side, else "1807.000 ms +/- 100.000 ms"; "-" without a figure.
std::string figure_text(const std::optional<Nanos>& d, const std::optional<Bracket>& b, Nanos resolution);

/// Every episode of every iteration, one line each, relapses flagged, with
/// the injection each follows and its brackets.
std::vector<std::string> episode_lines(const RunRecord& r);

/// Every injection of every iteration that had more than one, a timed
/// action, or a bracket wider than one interval either side, one line each:
/// its TTD and recovery time with their brackets.
std::vector<std::string> injection_lines(const RunRecord& r);

/// What the harness itself did to the figures, one warning each: stalls
/// longer than a probe interval, samples it decided, iterations whose
/// absorption no trustworthy sample saw. Empty when it ran as scheduled.
std::vector<std::string> harness_warnings(const RunRecord& r);

/// Availability as the reports show it: "99.12 % of the observed time,
/// between 98.90 % and 99.35 % (35.000 ms unknown), 97.00 % of 400 ticks ok"
/// (the bracket where the samples leave room for one).
std::string availability_text(const Availability& a);

/// "yes" or "absorbed".
std::string impact_text(const IterationMetrics& m);

/// The largest per-iteration uncertainty (one probe interval).
Nanos max_uncertainty(const RunRecord& r);

/// The name a verdict is listed under, stable from run to run (no figures):
/// The runbook at a glance, one line per [[recovery]] step run (or not) and
/// per iteration's time to mitigate and runbook duration; empty without steps.
std::vector<std::string> runbook_lines(const RunRecord& r);

/// Data loss at a glance, one line per workload and iteration: writes,
/// acknowledged, lost (and their span: the recovery point), and the error
/// rate and latency during the fault; empty without workloads.
std::vector<std::string> data_loss_lines(const RunRecord& r);

/// Data a link's faults altered, one line per [[link]] with bytes corrupted
/// (net.corrupt), per direction; empty when no link corrupted anything.
std::vector<std::string> link_damage_lines(const RunRecord& r);

/// Data integrity at a glance, beside data loss: one line per run of a
/// [[verify]] step with `integrity = true` (intact, or NOT INTACT with its
/// exit status and first output line); empty without integrity checks.
std::vector<std::string> integrity_lines(const RunRecord& r);

/// What each data fault did to the files (file.corrupt, disk.full), one
/// line per injection: mode, path, bytes changed / cut / added, the first
/// offsets; empty when no data fault was applied.
std::vector<std::string> fault_damage_lines(const RunRecord& r);

/// "rto", "mttr", "verify NAME", "integrity NAME", or "THRESHOLD (SCOPE)" for scopes other than "run".
std::string verdict_name(const Verdict& v);

/// The combined availability over the run, if any sample was taken.
std::optional<Availability> combined_availability(const std::vector<Availability>& av);

/// A phase's probe latency as the reports show it: "3.120 / 9.800 ms (n=40)"
/// (p50 / p99 of the ok samples), or "-" when the phase had no ok sample.
std::string latency_text(const LatencySummary& l);

/// "" when every probe's latencies were kept exactly; else a sentence naming
/// the probes whose p50 / p99 are read from folded samples (more than
/// 10 000 samples: docs/measurement.md, "Samples in memory"), within 1 %.
std::string latency_precision_note(const RunRecord& r);

/// Whether any iteration has a probe-latency summary (the latency tables
/// are left out otherwise).
bool any_latency(const RunRecord& r);

/// `text` made valid UTF-8: every ill-formed sequence becomes U+FFFD.
std::string valid_utf8(std::string_view text);

/// Text escaped for XML and HTML content and attribute values (& < > " '),
/// valid UTF-8, with the control characters XML 1.0 forbids replaced by U+FFFD.
std::string xml_escape(std::string_view text);

}  // namespace faultline
