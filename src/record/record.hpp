// The typed run record: everything a run observed and concluded. Reports are
// pure functions of it; `faultline report run.json` re-renders from it alone.
// All times are nanoseconds since the run's origin on CLOCK_MONOTONIC
// (`RunRecord::origin_monotonic_ns` gives the origin itself, so that other
// processes on the host can be compared against the same clock).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "record/sample_fold.hpp"
#include "record/strategy_record.hpp"
#include "scenario/duration.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

/// One probe execution (docs/design.md section 3: "sample").
struct Sample {
  Nanos start{0};  ///< when the probe began (the tick it ran on, as observed)
  Nanos end{0};    ///< when its outcome was known
  bool ok = false;
  std::string detail;  ///< why it failed, or a short success note; may be empty
  /// The harness, not the system, decided this sample (docs/measurement.md,
  /// "Samples that are not evidence"): it succeeded after its timeout, or the
  /// harness was stalled while it ran. It counts neither as outage nor as
  /// health, and the brackets around it widen to its neighbours.
  bool harness_decided = false;

  Nanos latency() const { return end - start; }
};

/// When and how long one sample took, without its outcome.
struct SampleTimes {
  Nanos start{0};
  Nanos end{0};
  bool operator==(const SampleTimes&) const = default;
};

/// A maximal sequence of consecutive samples of one probe with the same ok
/// and detail: the compressed form of a long drill's samples in the run
/// record (schema_version 2). Its first and last samples are kept exactly, so
/// every transition between runs is exact; in between, only how many samples
/// there were and their latency (nearest-rank p50) are kept.
struct SampleRun {
  bool ok = false;
  std::string detail;
  std::uint64_t count = 0;  ///< samples in the run, >= 1
  SampleTimes first;        ///< the run's first sample
  SampleTimes last;         ///< its last sample (== first when count is 1)
  Nanos latency_min{0}, latency_p50{0}, latency_max{0};  ///< over the run's samples
  bool harness_decided = false;  ///< its samples are not evidence (Sample::harness_decided)
  bool operator==(const SampleRun&) const = default;
};

/// A probe that has at most this many samples keeps every one of them in the
/// run record; one with more is kept as runs (SampleRun).
inline constexpr std::size_t kMaxFullSamples = 10'000;

/// The samples of one probe over the whole run, in start order.
struct ProbeSeries {
  std::string name;
  ProbeKind kind = ProbeKind::tcp;
  Nanos interval{0};
  bool steady_state = true;
  std::uint64_t overruns = 0;  ///< ticks skipped because the previous run was still going
  /// The samples in start order. A run keeps them all until the probe has
  /// taken kMaxFullSamples, then folds most of them (`folds`); a record read
  /// back from JSON has them only when they were written in full (see
  /// keeps_every_sample).
  std::vector<Sample> samples;
  /// The samples as runs, in a record read back from JSON that kept them so;
  /// then `samples` is empty. Empty in a record that a run produced.
  std::vector<SampleRun> runs;
  /// How late samples started after their scheduled tick (sample start minus
  /// the tick's time), nearest-rank over the probe's samples.
  Nanos lateness_p50{0}, lateness_p99{0}, lateness_max{0};
  std::uint64_t scheduled = 0;  ///< ticks scheduled (taken + skipped)
  /// Samples kept folded between two of `samples` (sample_fold.hpp), sorted
  /// by `after`; empty in a record read back from JSON.
  std::vector<SampleFold> folds;
  /// The probe ran on a thread at real-time priority, ahead of every
  /// ordinary process, for the whole run (run/scheduler.hpp); false where
  /// that was refused (no CAP_SYS_NICE), where the thread was lowered back
  /// after using most of a core, and for exec probes.
  bool realtime = false;
};

/// The samples as maximal runs of equal outcome (ok and detail).
std::vector<SampleRun> compress_samples(const std::vector<Sample>& samples);

/// The probe's runs: `p.runs` when the record holds runs, else computed from `p.samples`.
std::vector<SampleRun> runs_of(const ProbeSeries& p);

/// How many samples the probe took.
std::uint64_t sample_count(const ProbeSeries& p);

/// Whether the run record keeps every sample of the probe (at most
/// kMaxFullSamples of them, and not already read back as runs), rather than
/// its runs. Reports that draw samples decide with it, so that a report
/// rendered during a run and one re-rendered from run.json are identical.
bool keeps_every_sample(const ProbeSeries& p);

/// What a data fault did to a service's files once it was applied (issue
/// 19): file.corrupt's damage, disk.full's filler.
struct DataDamage {
  std::string path;   ///< relative to the service's directory ("appendonlydir/x.aof"; "" for disk.full)
  std::string mode;   ///< flip, zero, truncate, garbage_tail, delete; "fill" for disk.full
  std::int64_t files = 0;          ///< regular files changed, cut, appended to or removed
  std::int64_t bits = 0;           ///< flip: bits flipped
  std::int64_t bytes_changed = 0;  ///< bytes whose content changed in place (flip, zero)
  std::int64_t bytes_cut = 0;      ///< bytes cut off the end (truncate) or removed (delete)
  std::int64_t bytes_added = 0;    ///< bytes appended (garbage_tail) or filled (disk.full)
  std::vector<std::string> offsets;  ///< the first few places changed, "FILE@OFFSET"
  bool offsets_truncated = false;    ///< more places were changed than `offsets` names
  bool permanent = false;            ///< not restored at revert
  bool operator==(const DataDamage&) const = default;
};

/// One application of one fault (an injection) and its revert.
struct FaultEvent {
  int iteration = 0;  ///< 1-based
  std::string fault;  ///< FaultSpec::name
  std::string kind;
  std::string target;
  Nanos inject_start{0};
  std::optional<Nanos> inject_end;  ///< t_inject: when inject returned success
  std::optional<Nanos> revert_start;
  std::optional<Nanos> revert_end;  ///< t_revert
  bool ok = true;       ///< inject and revert both succeeded
  std::string error;    ///< what failed, if anything
  /// false: a timed action (`injection = false`), not a fault: it opens no
  /// episode and is judged by no threshold (docs/measurement.md)
  bool injection = true;
  /// A dynamic target (issue 14): what the chosen `target` is ("leader", from
  /// the select's `as`; "selected" when it says nothing); "" = named in the scenario.
  std::string selected;
  /// A data fault's damage, once inject returned (none for other kinds, or when it failed).
  std::optional<DataDamage> damage;
};

/// "etcd2 (selected: leader)": a fault event's target as reports show it.
inline std::string target_text(const FaultEvent& f) {
  if (f.selected.empty()) return f.target;
  return f.selected == "selected" ? f.target + " (selected)" : f.target + " (selected: " + f.selected + ")";
}

/// A [[setup]], [[verify]] or [[recovery]] command's outcome.
struct StepOutcome {
  int iteration = 0;
  std::string phase;  ///< "setup", "verify" or "recovery"
  std::string name;
  Nanos start{0};
  Nanos end{0};
  int exit_code = 0;   ///< -N when killed by signal N
  bool timed_out = false;
  bool ok = false;
  std::string output;  ///< tail of stdout and stderr
  /// recovery steps: what started the step, e.g. "detect + 0 ms"; "" for setup/verify
  std::string trigger;
  /// recovery steps: false when the step did not run (never triggered, or an
  /// earlier step failed); `output` then says why, start == end == when decided
  bool ran = true;
  /// verify steps: the step is an integrity check (`integrity = true`)
  bool integrity = false;
};

/// Something that happened to a service, for the run record and the console.
struct ServiceEvent {
  std::string service;
  std::string what;  ///< "started", "ready", "exited", "restarting", "stopped"
  Nanos at{0};
  std::string detail;  ///< e.g. "pid 1234", "killed by SIGKILL", "in 200ms"
};

/// One fault's time on one [[link]].
struct LinkFaultWindow {
  std::string fault;  ///< FaultSpec::name
  std::string kind;   ///< the fault's kind, e.g. net.latency
  int iteration = 0;
  Nanos start{0};             ///< when the link applied it
  std::optional<Nanos> end;   ///< when it was removed; none = still applied when the link stopped
  std::uint64_t connections = 0;  ///< connections it acted on (after toxicity), existing and new
};

/// What went through one [[link]] over the whole run.
/// What a link with protocol = "http" counted (http_exchange.hpp).
struct LinkHttpStats {
  std::uint64_t requests = 0;   ///< request heads framed
  std::uint64_t matched = 0;    ///< selected by an http.* fault's criteria (before its probability)
  std::uint64_t aborted = 0;    ///< answered by http.abort instead of forwarded
  std::uint64_t delayed = 0;    ///< requests held, or whose response was held, by http.delay
  std::uint64_t replaced = 0;   ///< responses rewritten by http.replace
  std::uint64_t malformed = 0;  ///< connections whose traffic was not HTTP (passed through unchanged)
};

struct LinkStats {
  std::string name;
  std::string to;          ///< resolved "host:port"
  std::uint16_t port = 0;  ///< where it listened: {link.NAME}
  std::uint64_t connections = 0;        ///< accepted
  std::uint64_t bytes_upstream = 0;     ///< delivered client to server
  std::uint64_t bytes_downstream = 0;   ///< delivered server to client
  std::uint64_t discarded_upstream = 0;    ///< dropped by faults (net.blackhole)
  std::uint64_t discarded_downstream = 0;
  std::uint64_t resets = 0;  ///< connections a fault reset (net.reset, net.partition reject)
  std::vector<LinkFaultWindow> faults;
  std::uint64_t corrupted_upstream = 0;    ///< bytes altered by faults (net.corrupt), client to server
  std::uint64_t corrupted_downstream = 0;  ///< server to client
  std::optional<LinkHttpStats> http;  ///< protocol = "http" only
};

/// Where a transition or a figure certainly lies: [earliest, latest], from
/// the samples around it as they really ran (docs/measurement.md, "Brackets").
struct Bracket {
  Nanos earliest{0};
  Nanos latest{0};
  bool operator==(const Bracket&) const = default;
};

/// An outage: [t_fail, t_recover).
struct Episode {
  Nanos start{0};                ///< t_fail
  std::optional<Nanos> end;      ///< t_recover; none = not recovered by the deadline
  bool relapse = false;          ///< began within `watch` after a recovery, no new injection
  std::vector<std::string> failing_probes;  ///< steady-state probes that failed in it
  int injection = 1;             ///< the injection of the iteration it follows (1-based)
  Bracket start_bracket;         ///< where the outage certainly began
  std::optional<Bracket> end_bracket;  ///< where it certainly ended (with `end`)
  std::optional<Bracket> ttr_bracket;  ///< TTR's bracket (with `end`)

  std::optional<Nanos> ttr() const {
    return end ? std::optional<Nanos>(*end - start) : std::nullopt;
  }
};

/// Availability of one probe (or "combined") over a window
/// (docs/measurement.md, "Availability"): the share of the observed time that
/// was healthy, and beside it the share of scheduled ticks with an ok answer.
struct Availability {
  std::string probe;  ///< probe name, or "combined"
  std::uint64_t ok = 0;     ///< ok samples that are evidence
  std::uint64_t total = 0;  ///< samples that are evidence
  std::uint64_t ticks = 0;  ///< ticks scheduled in the window (taken or skipped)
  Nanos up{0};       ///< observed time healthy
  Nanos down{0};     ///< observed time failing
  Nanos unknown{0};  ///< time no trustworthy sample covered (harness stalls, samples it decided)
  /// Of `up` and `down`, the time whose state the samples do not prove
  /// (docs/measurement.md, "The bracket": around and during a transition,
  /// next to a span the harness decided, after the last sample): it may
  /// have been the other state.
  Nanos up_uncertain{0};
  Nanos down_uncertain{0};  ///< see up_uncertain
  /// The time share: up / (up + down). With no time observed (a record of
  /// schema_version 2, which counted samples), the share of ok samples; 100
  /// when there were none either.
  double percent() const {
    const auto seen = up + down;
    if (seen.count() > 0) return 100.0 * double(up.count()) / double(seen.count());
    return total ? 100.0 * double(ok) / double(total) : 100.0;
  }
  /// The lowest and highest time share the samples allow: every uncertain
  /// moment taken as failing, or as healthy. Both equal percent() when no
  /// time was uncertain (or none observed).
  double percent_low() const {
    const auto seen = up + down;
    return seen.count() > 0 ? 100.0 * double((up - up_uncertain).count()) / double(seen.count()) : percent();
  }
  double percent_high() const {  ///< see percent_low
    const auto seen = up + down;
    return seen.count() > 0 ? 100.0 * double((up + down_uncertain).count()) / double(seen.count()) : percent();
  }
  /// The share of scheduled ticks that got an ok answer; 100 when none was scheduled.
  double tick_percent() const {
    const auto n = std::max(ticks, total);
    return n ? 100.0 * double(ok) / double(n) : 100.0;
  }
};

/// What one [[workload]] proved in one iteration (scenarios/README.md, "Data loss").
struct WorkloadResult {
  std::string workload;  ///< WorkloadSpec::name
  int iteration = 0;
  std::uint64_t first_seq = 0, last_seq = 0;  ///< the sequence numbers written (0, 0 = none)
  std::uint64_t writes = 0;        ///< issued
  std::uint64_t acknowledged = 0;  ///< exit 0 / expected reply
  std::uint64_t errors = 0;        ///< writes - acknowledged
  bool read_ok = false;            ///< the read ran and exited 0
  std::string read_error;          ///< why not
  std::uint64_t lost = 0;          ///< acknowledged, missing from the read
  std::vector<std::uint64_t> lost_seqs;  ///< the first 100 of them
  std::optional<Nanos> lost_from;  ///< start of the earliest lost write
  std::optional<Nanos> lost_to;    ///< acknowledgement of the latest lost write
  /// The recovery point: the time span of the lost writes (lost_to - lost_from); 0 when none lost.
  Nanos loss_window{0};
  /// During the fault (the same window as ProbeLatency::during).
  Nanos fault_from{0}, fault_to{0};
  std::uint64_t fault_writes = 0, fault_errors = 0;
  Nanos fault_latency_p50{0}, fault_latency_p99{0};  ///< of acknowledged writes, nearest-rank
};

/// Latency of a probe's ok samples in one phase of an iteration.
struct LatencySummary {
  std::size_t count = 0;  ///< ok samples in the phase
  Nanos p50{0}, p99{0};   ///< nearest-rank; 0 when count is 0
};

/// A probe's latency before, during and after the fault of one iteration:
/// before = [iteration start, inject start); during = [inject start, end of
/// the fault) where the fault ends at t_revert for faults with a duration,
/// else at t_recover, else (absorbed) at t_inject; after = [end of the fault,
/// observed_until].
struct ProbeLatency {
  std::string probe;
  LatencySummary before, during, after;
};

/// What one injection of an iteration did (docs/measurement.md, "Every injection").
struct InjectionMetrics {
  std::string fault;          ///< FaultEvent::fault
  Nanos inject_start{0};
  Nanos inject{0};            ///< its t_inject
  bool impact = false;        ///< it opened an episode of its own
  bool during_outage = false; ///< injected while an episode was open: it joined that one
  int episode = 0;            ///< 1-based index into the iteration's episodes; 0 = absorbed
  std::optional<Nanos> ttd;   ///< its episode's t_fail - its t_inject (with `impact`)
  std::optional<Bracket> ttd_bracket;
  bool recovered = false;     ///< true also when absorbed
  std::optional<Nanos> recovery_time;  ///< its episode's t_recover - its t_inject; 0 when absorbed
  std::optional<Bracket> recovery_bracket;
};

/// The metrics of one iteration, exactly as docs/design.md section 3 defines them.
struct IterationMetrics {
  int index = 0;  ///< 1-based
  Nanos start{0};       ///< iteration start (after the steady-state gate)
  Nanos inject_start{0};  ///< start of the first injection
  Nanos inject{0};        ///< t_inject of the first injection
  std::optional<Nanos> revert;  ///< t_revert of the last revert, for faults with a duration
  Nanos deadline{0};            ///< t_inject + give_up_after
  Nanos observed_until{0};      ///< samples started after this were not considered

  bool impact = false;          ///< false: the fault was absorbed
  std::optional<Nanos> t_fail;
  std::optional<Nanos> t_recover;
  bool recovered = false;       ///< true also when absorbed
  std::optional<Nanos> ttd;     ///< t_fail - t_inject
  std::optional<Nanos> ttr;     ///< t_recover - t_fail of the first episode
  std::optional<Nanos> recovery_time;          ///< t_recover - t_inject; 0 when absorbed
  std::optional<Nanos> recovery_after_revert;  ///< t_recover - t_revert
  Nanos uncertainty{0};         ///< +/- one probe interval (the largest steady-state one)
  int relapses = 0;
  std::vector<Episode> episodes;  ///< the first one and every later one, relapses flagged
  std::vector<Availability> availability;  ///< per probe then "combined", inject..observed_until
  std::vector<ProbeLatency> latency;       ///< per probe, every probe
  /// With [[recovery]] steps that ran: from impact (t_fail) to the first
  /// step's start (time to mitigate), and from that start to the last step's end.
  std::optional<Nanos> time_to_mitigate;
  std::optional<Nanos> runbook_duration;
  /// Every injection of the iteration in order (the first one's figures are
  /// also the iteration's own above); actions are not injections.
  std::vector<InjectionMetrics> injections;
  std::optional<Bracket> ttd_bracket, ttr_bracket, recovery_bracket;  ///< of the first injection
  /// Steady-state samples in the window that the harness decided (not evidence).
  std::uint64_t harness_decided = 0;
  /// The fault may have had an impact that no trustworthy sample saw (absorbed,
  /// but samples in the window were not evidence): the run is inconclusive.
  bool undetermined = false;
  /// The longest time in the window that a steady-state probe went without
  /// evidence across a harness stall, long enough to hide an outage longer
  /// than the counts' resolution (measure/blind_spots.hpp), from
  /// `blind_start`; 0: none, the episode and relapse counts are exact for
  /// outages longer than the resolution. Else an outage up to that long could
  /// hide in it: the counts are lower bounds.
  Nanos blind{0};
  Nanos blind_start{0};
};

/// count, mean, p50, p95, max and standard deviation of one metric.
struct Stats {
  std::size_t count = 0;
  Nanos mean{0}, p50{0}, p95{0}, max{0}, stddev{0};
};

/// Figures across all iterations.
struct RunStatistics {
  Stats ttd;            ///< over iterations with impact
  Stats ttr;            ///< over all episodes that recovered (MTTR = ttr.mean)
  Stats recovery_time;  ///< over recovered iterations
  std::size_t episodes = 0;
  std::size_t unrecovered_episodes = 0;
  int recurrence = 0;          ///< total relapses
  double recurrence_rate = 0;  ///< iterations with >= 1 relapse / iterations
  std::vector<Availability> availability;  ///< per probe and combined, summed over iterations
};

/// One threshold's outcome.
struct Verdict {
  std::string threshold;  ///< "rto", "ttd", "mttr", "max_recurrence", "min_availability", "verify", ...
  std::string scope;      ///< "iteration 2", "run", ...
  bool passed = false;
  std::string measured;   ///< e.g. "412.118 ms", "> 30000.000 ms", "99.20 %"
  std::string limit;      ///< e.g. "2000.000 ms"
  std::string margin;     ///< limit - measured for upper bounds, as text with unit
  std::string detail;     ///< optional sentence
  /// Neither passed nor failed: the figure is a lower bound that meets the
  /// limit (relapses counted across a blind spot), so the run is
  /// inconclusive (exit 3) unless another verdict failed. `passed` is false.
  bool inconclusive = false;
  /// Not judged: what it judges never ran (a [[verify]] step no iteration
  /// reached, the run interrupted or aborted first). `passed` is false, and
  /// it fails nothing: reports say NOT RUN.
  bool not_run = false;
};

/// A verdict's result as reports print it: PASS, FAIL, INCONCLUSIVE or NOT RUN.
inline const char* verdict_result(const Verdict& v) {
  return v.passed ? "PASS" : v.inconclusive ? "INCONCLUSIVE" : v.not_run ? "NOT RUN" : "FAIL";
}

/// How the run ended; maps onto the exit codes of docs/design.md section 5.
enum class Outcome { passed, failed, usage_error, inconclusive, harness_error, interrupted };

/// A time the harness did not run on schedule for longer than a probe interval
/// (it was stopped, starved of CPU, or blocked), or a span of such times of
/// one source merged into one (record/stall_spans.hpp: `count` stalls, of
/// `stalled` time in all, inside [start, end]; a span is read as a stall
/// over its whole length, never less).
struct HarnessStall {
  Nanos start{0};     ///< the last moment it was seen running on schedule
  Nanos end{0};       ///< when it ran again
  std::string probe;  ///< whose scheduler saw it; "" = the whole harness
  std::uint64_t count = 1;  ///< the stalls merged into this span
  Nanos stalled{0};   ///< the time they covered in all; 0: the whole span (one stall)
  Nanos longest{0};   ///< the longest of them; 0: the whole span (one stall)
  bool operator==(const HarnessStall&) const = default;
  /// The time the harness was stalled inside the span.
  Nanos stalled_time() const { return stalled.count() > 0 ? stalled : end - start; }
  /// The longest single stall inside the span.
  Nanos longest_stall() const { return longest.count() > 0 ? longest : end - start; }
};

/// A record written while the run was still going (RUN_DIR/run.json after
/// each iteration, record/partial_record.hpp): the harness had not
/// concluded, nothing was measured or judged. The concluded record replaces it.
struct PartialRun {
  std::string reason;       ///< "the harness ended before concluding"
  int iterations_done = 0;  ///< iterations 1..k had ended when it was written
  /// With strategies: how many of those k iterations each strategy ran (every declared one, 0 included).
  std::map<std::string, int> per_strategy;
  bool operator==(const PartialRun&) const = default;
};

/// Everything a run leaves behind.
struct RunRecord {
  /// The schema_version the record was read from; a record is always
  /// written with the current one (kRecordSchemaVersion in json_record.hpp).
  int schema_version = 3;
  std::string faultline_version;
  std::string run_id;
  std::string scenario_name;
  std::string scenario_file;
  std::string scenario_digest;  ///< "sha1:<hex>" of the scenario text
  std::uint64_t seed = 0;
  std::string host;
  std::string kernel;
  std::string started_at;  ///< wall clock, ISO 8601 UTC
  std::int64_t origin_monotonic_ns = 0;
  Nanos duration{0};
  Outcome outcome = Outcome::passed;
  int exit_code = 0;
  std::string error;  ///< for inconclusive / harness_error / interrupted: what happened

  Scenario scenario;  ///< the resolved scenario (placeholders substituted)
  std::map<std::string, std::uint16_t> ports;  ///< port name -> the loopback port bound for this run
  std::vector<LinkStats> links;                ///< one per [[link]], in declaration order
  std::vector<ProbeSeries> probes;
  std::vector<FaultEvent> faults;
  std::vector<StepOutcome> steps;
  std::vector<WorkloadResult> workloads;  ///< per iteration, per [[workload]]
  std::vector<ServiceEvent> service_events;
  std::vector<IterationMetrics> iterations;
  RunStatistics statistics;
  std::vector<Verdict> verdicts;
  std::vector<std::string> left_behind;  ///< anything a revert could not undo
  std::vector<HarnessStall> stalls;      ///< times the harness did not run on schedule, in start order
  /// [[strategy]] runs (issue 17): the strategy of each iteration, [it - 1];
  /// empty without strategies. A partial run has the planned ones all the
  /// same; `iterations` says which ran.
  std::vector<std::string> iteration_strategies;
  /// The strategies compared (measure/strategy_compare.hpp); none without strategies.
  std::optional<StrategyComparison> comparison;
  /// Set only in a record written before the run concluded (PartialRun).
  std::optional<PartialRun> partial;
};

/// The exit code for an outcome (docs/design.md section 5).
int exit_code_for(Outcome o, bool sigterm = false);

/// "passed", "failed", ...
const char* outcome_name(Outcome o);

}  // namespace faultline
