// Hand-built run records for the report tests, one per situation a report
// must show: a passing drill (one iteration absorbed), a failing one (a
// relapse, an iteration not recovered by its deadline, a failed verify step),
// an inconclusive run with no iteration, an interrupted one, a harness
// error that left a fault behind, and a long 1 ms drill whose record keeps a
// probe's samples as runs. Samples are synthetic; the metrics,
// statistics and verdicts come from measurement.cpp, exactly as a run
// computes them, so the records are consistent the way real ones are.
// Also: temporary directories and running a command for tests that call
// xmllint, python3 and chromium.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "measure/measurement.hpp"
#include "measure/strategy_compare.hpp"
#include "record/record.hpp"

namespace fixtures {

using namespace faultline;
using namespace std::chrono_literals;

/// [from, to): when a probe fails.
using Outage = std::pair<Nanos, Nanos>;

/// Samples every `interval` from `from` to `to`, failing inside any outage
/// (detail "connection refused"); ok samples take `latency`, failing ones
/// most of an interval.
inline ProbeSeries series(std::string name, ProbeKind kind, Nanos interval, Nanos from, Nanos to,
                          const std::vector<Outage>& outages, bool steady = true, Nanos latency = 2ms) {
  ProbeSeries p;
  p.name = std::move(name);
  p.kind = kind;
  p.interval = interval;
  p.steady_state = steady;
  int k = 0;
  for (Nanos t = from; t < to; t += interval, ++k) {
    bool ok = true;
    for (const auto& o : outages)
      if (o.first <= t && t < o.second) ok = false;
    // A little jitter so that the latency chart is not a flat line.
    const Nanos lat = ok ? latency + Nanos((k * 7919 % 13) * 100'000) : interval * 4 / 5;
    p.samples.push_back({t, t + lat, ok, ok ? "" : "connection refused"});
  }
  return p;
}

inline FaultEvent kill_event(int iteration, Nanos at) {
  return FaultEvent{iteration, "kill-redis", "process.kill", "redis", at, at + 400us, std::nullopt, std::nullopt, true, "", true, "", std::nullopt};
}

/// The scenario part of a record, as run.json keeps it.
inline void scenario_basics(RunRecord& r, const std::string& name, int iterations) {
  r.faultline_version = "0.1.0";
  r.run_id = "20261122-120102-3fa2c1";
  r.scenario_name = name;
  r.scenario_file = "scenarios/" + name + ".toml";
  r.scenario_digest = "sha1:0123456789abcdef0123456789abcdef01234567";
  r.seed = 42;
  r.host = "drill-host";
  r.kernel = "Linux 6.1.0-13-amd64 x86_64";
  r.started_at = "2026-11-22T12:01:02Z";
  r.origin_monotonic_ns = 123'456'789'000;
  r.scenario.name = name;
  r.scenario.file = r.scenario_file;
  r.scenario.description = "redis under SIGKILL with a restart policy";
  r.scenario.iterations = iterations;
  r.scenario.give_up_after = 1s;
  r.scenario.watch = 500ms;
  ServiceSpec redis;
  redis.name = "redis";
  r.scenario.services = {redis};
  r.ports["redis"] = 40001;
}

/// Measures every window, summarizes, judges, and sets the outcome the way the runner does.
inline void conclude(RunRecord& r, const std::vector<IterationWindow>& windows) {
  const MeasureParams params{r.scenario.recovered_after, r.scenario.watch, r.scenario.give_up_after, r.stalls};
  for (const auto& w : windows) r.iterations.push_back(measure_iteration(r.probes, w, params));
  r.statistics = summarize(r.iterations);
  if (!r.iterations.empty()) r.verdicts = judge(r.scenario.thresholds, r.iterations, r.statistics, params);
  if (r.outcome == Outcome::passed)
    for (const auto& v : r.verdicts)
      if (!v.passed) r.outcome = Outcome::failed;
  r.exit_code = exit_code_for(r.outcome);
}

inline IterationWindow window(int index, Nanos start, Nanos inject, Nanos until, std::optional<Nanos> revert = std::nullopt) {
  IterationWindow w;
  w.index = index;
  w.start = start;
  w.inject_start = inject;
  w.inject = inject + 400us;
  w.revert = revert;
  w.observed_until = until;
  return w;
}

inline void service_events(RunRecord& r, Nanos kill, Nanos back) {
  r.service_events.push_back({"redis", "exited", kill + 1ms, "killed by SIGKILL"});
  r.service_events.push_back({"redis", "restarting", kill + 2ms, "in 100ms"});
  r.service_events.push_back({"redis", "started", kill + 102ms, "pid 4242"});
  r.service_events.push_back({"redis", "ready", back, ""});
}

/// Three iterations, all within the thresholds; the third absorbs the fault.
inline RunRecord passing() {
  RunRecord r;
  scenario_basics(r, "redis-kill-restart", 3);
  r.scenario.thresholds.rto = 2s;
  r.scenario.thresholds.ttd = 500ms;
  r.scenario.thresholds.mttr = 1s;
  r.scenario.thresholds.max_recurrence = 0;
  r.scenario.thresholds.min_availability = 50.0;
  const std::vector<Outage> down{{1550ms, 1700ms}, {3550ms, 3760ms}};
  r.probes = {series("redis-ping", ProbeKind::exec, 50ms, 0ms, 6000ms, down, true, 3ms),
              series("redis-tcp", ProbeKind::tcp, 50ms, 10ms, 6000ms, down, true, 1ms),
              series("http-observed", ProbeKind::http, 100ms, 0ms, 6000ms, {{1500ms, 1800ms}}, false, 8ms)};
  r.faults = {kill_event(1, 1500ms), kill_event(2, 3500ms), kill_event(3, 5000ms)};
  service_events(r, 1500ms, 1690ms);
  service_events(r, 3500ms, 3740ms);
  r.steps.push_back({1, "verify", "no-acked-write-lost", 2500ms, 2530ms, 0, false, true, "1000 of 1000 keys present", "", true});
  r.duration = 6100ms;
  conclude(r, {window(1, 1000ms, 1500ms, 2800ms), window(2, 3000ms, 3500ms, 4700ms), window(3, 4800ms, 5000ms, 5900ms)});
  return r;
}

/// Two iterations: a pause with a revert and a relapse, then a kill the
/// system does not recover from by the deadline. A fault event failed.
inline RunRecord failing() {
  RunRecord r;
  scenario_basics(r, "redis-pause", 2);
  r.scenario.thresholds.rto = 500ms;
  r.scenario.thresholds.mttr = 1s;
  r.scenario.thresholds.max_recurrence = 0;
  const std::vector<Outage> down{{1550ms, 1700ms}, {1850ms, 1950ms}, {3550ms, 6000ms}};
  r.probes = {series("redis-ping", ProbeKind::exec, 50ms, 0ms, 5200ms, down, true, 3ms),
              series("redis-tcp", ProbeKind::tcp, 50ms, 10ms, 5200ms, {{3550ms, 6000ms}}, true, 1ms)};
  FaultEvent pause{1, "pause-redis", "process.pause", "redis", 1500ms, 1500ms + 300us, 1650ms, 1650ms + 200us, true, "", true, "", std::nullopt};
  r.faults = {pause, kill_event(2, 3500ms)};
  r.steps.push_back({2, "verify", "no-acked-write-lost", 5000ms, 5100ms, 1, false, false, "3 keys missing", "", true});
  r.duration = 5300ms;
  conclude(r, {window(1, 1000ms, 1500ms, 2600ms, 1650ms + 200us), window(2, 3000ms, 3500ms, 5100ms)});
  Verdict verify;
  verify.threshold = "verify";
  verify.scope = "no-acked-write-lost";
  verify.measured = "0/1 iterations passed";
  verify.limit = "all iterations";
  verify.detail = "iteration 2: exit 1: 3 keys missing";
  r.verdicts.push_back(verify);
  return r;
}

/// Steady state never reached: no iteration, exit 3.
inline RunRecord inconclusive() {
  RunRecord r;
  scenario_basics(r, "redis-kill-restart", 3);
  r.scenario.thresholds.rto = 2s;
  r.probes = {series("redis-ping", ProbeKind::exec, 50ms, 0ms, 2000ms, {{0ms, 1200ms}}, true, 3ms)};
  r.duration = 2050ms;
  r.outcome = Outcome::inconclusive;
  r.error = "steady state not met within 2s: redis-ping failing (connection refused)";
  conclude(r, {});
  return r;
}

/// SIGINT during the second of three iterations: one iteration measured.
inline RunRecord interrupted() {
  RunRecord r;
  scenario_basics(r, "redis-kill-restart", 3);
  r.scenario.thresholds.rto = 2s;
  r.probes = {series("redis-ping", ProbeKind::exec, 50ms, 0ms, 3200ms, {{1550ms, 1700ms}}, true, 3ms)};
  r.faults = {kill_event(1, 1500ms)};
  r.duration = 3200ms;
  r.outcome = Outcome::interrupted;
  r.error = "interrupted by SIGINT; every fault was reverted";
  conclude(r, {window(1, 1000ms, 1500ms, 2800ms)});
  r.exit_code = 130;
  return r;
}

/// Interrupted before any iteration reached its [[verify]] step: that
/// verdict is not run (verdicts.cpp), which reports must not call a failure.
inline RunRecord interrupted_before_verify() {
  RunRecord r = interrupted();
  Verdict v;
  v.threshold = "verify";
  v.scope = "data intact";
  v.not_run = true;
  v.measured = "not run";
  v.limit = "all iterations";
  v.detail = "never ran (no iteration reached verify)";
  r.verdicts.push_back(v);
  return r;
}

/// A revert failed: exit 4 with something left behind.
inline RunRecord harness_error() {
  RunRecord r = interrupted();
  r.outcome = Outcome::harness_error;
  r.exit_code = 4;
  r.error = "fault 'pause-redis' could not be reverted: SIGCONT: No such process";
  r.left_behind = {"pause-redis: SIGSTOP process group 4242 (SIGCONT: No such process)"};
  r.faults[0].ok = false;
  r.faults[0].revert_start = 1700ms;
  r.faults[0].error = "SIGCONT: No such process";
  return r;
}

/// A long drill at 1 ms: one probe with more samples than the record keeps in
/// full (so it is kept as runs, with a flapping outage and a failure whose
/// detail changes), and one at 10 ms that is kept in full. One iteration.
inline RunRecord long_drill() {
  RunRecord r;
  scenario_basics(r, "redis-long", 1);
  r.scenario.thresholds.rto = 2s;
  r.scenario.give_up_after = 5s;
  const std::vector<Outage> down{{6000ms, 6300ms}, {6310ms, 6320ms}, {6400ms, 6500ms}};
  r.probes = {series("fast-tcp", ProbeKind::tcp, 1ms, 0ms, 12000ms, down, true, 100us),
              series("redis-ping", ProbeKind::exec, 10ms, 5ms, 12000ms, {{6000ms, 6400ms}}, true, 3ms)};
  // The last 20 failing samples of the first outage fail differently.
  for (auto& s : r.probes[0].samples)
    if (s.start >= 6280ms && s.start < 6300ms) s.detail = "connection reset";
  r.faults = {kill_event(1, 5990ms)};
  service_events(r, 5990ms, 6480ms);
  r.duration = 12050ms;
  conclude(r, {window(1, 5000ms, 5990ms, 11900ms)});
  return r;
}

/// A failover: one iteration with a runbook (a promote step that ran and
/// one that was skipped) and a workload that lost two acknowledged writes.
inline RunRecord failover() {
  RunRecord r;
  scenario_basics(r, "pg-failover", 1);
  r.scenario.thresholds.rto = 2s;
  r.scenario.thresholds.max_data_loss = 0;
  r.probes = {series("read-write", ProbeKind::exec, 100ms, 0ms, 4000ms, {{1500ms, 2100ms}}, true, 5ms)};
  r.faults = {kill_event(1, 1500ms)};
  r.steps.push_back({1, "recovery", "promote replica", 1650ms, 1900ms, 0, false, true, "server promoted\n", "detect", true});
  r.steps.push_back({1, "recovery", "repoint", 1900ms, 1900ms, 0, false, true, "not triggered: no fault was injected",
                     "inject + 5000.000 ms", false});
  WorkloadResult w;
  w.workload = "inserts";
  w.iteration = 1;
  w.first_seq = 1;
  w.last_seq = 60;
  w.writes = 60;
  w.acknowledged = 52;
  w.errors = 8;
  w.read_ok = true;
  w.lost = 2;
  w.lost_seqs = {29, 30};
  w.lost_from = 1420ms;
  w.lost_to = 1498ms;
  w.loss_window = 78ms;
  w.fault_from = 1500ms;
  w.fault_to = 2100ms;
  w.fault_writes = 12;
  w.fault_errors = 8;
  w.fault_latency_p50 = 4ms;
  w.fault_latency_p99 = 90ms;
  r.workloads = {w};
  r.duration = 4100ms;
  conclude(r, {window(1, 1000ms, 1500ms, 3900ms)});
  r.iterations[0].time_to_mitigate = 150ms;
  r.iterations[0].runbook_duration = 250ms;
  Verdict runbook;
  runbook.threshold = "runbook";
  runbook.scope = "promote replica";
  runbook.passed = true;
  runbook.measured = "1/1 runs succeeded";
  runbook.limit = "every run";
  r.verdicts.push_back(runbook);
  Verdict loss;
  loss.threshold = "max_data_loss";
  loss.scope = "run";
  loss.measured = "2 writes";
  loss.limit = "0 writes";
  loss.margin = "-2 writes";
  loss.detail = "worst: workload 'inserts', iteration 1: 2 of 52 acknowledged writes lost, spanning 78.000 ms";
  r.verdicts.push_back(loss);
  r.outcome = Outcome::failed;
  r.exit_code = exit_code_for(r.outcome);
  return r;
}

/// A starved harness: two injections and a timed action in one iteration,
/// a harness stall during which a probe's answer came after its timeout (a
/// sample the harness decided), and a relapse after the action.
inline RunRecord starved() {
  RunRecord r;
  scenario_basics(r, "redis-starved", 1);
  r.scenario.thresholds.rto = 2s;
  r.scenario.thresholds.max_recurrence = 0;
  r.scenario.watch = 800ms;
  const std::vector<Outage> down{{1550ms, 1700ms}, {2050ms, 2150ms}, {2550ms, 2800ms}};
  r.probes = {series("redis-ping", ProbeKind::exec, 50ms, 0ms, 4500ms, down, true, 3ms)};
  for (auto& smp : r.probes[0].samples)
    if (smp.start == 3000ms) {
      smp.end = 3400ms;  // the harness was stopped: its answer read long after the timeout
      smp.harness_decided = true;
    }
  FaultEvent action = kill_event(1, 2000ms);
  action.fault = "write-key";
  action.kind = "exec";
  action.target = "";
  action.injection = false;
  FaultEvent second = kill_event(1, 2500ms);
  second.fault = "kill-redis (2/2)";
  r.faults = {kill_event(1, 1500ms), action, second};
  r.faults[0].fault = "kill-redis (1/2)";
  r.stalls = {HarnessStall{3000ms, 3400ms, ""}};
  r.duration = 4600ms;
  auto w = window(1, 1000ms, 1500ms, 4400ms);
  w.first_fault = "kill-redis (1/2)";
  w.later_injections = {LaterInjection(2500ms, 2500ms + 400us, "kill-redis (2/2)")};
  const MeasureParams params{r.scenario.recovered_after, r.scenario.watch, r.scenario.give_up_after, r.stalls};
  r.iterations.push_back(measure_iteration(r.probes, w, params));
  r.statistics = summarize(r.iterations);
  r.verdicts = judge(r.scenario.thresholds, r.iterations, r.statistics, params);
  r.outcome = Outcome::failed;
  r.exit_code = exit_code_for(r.outcome);
  return r;
}

/// A strategy run (issue 17) cut short: passing()'s three iterations ran
/// two strategies ("restart" twice, "rollback" once) of the four planned, and
/// the comparison was drawn from them.
inline RunRecord strategies() {
  RunRecord r = passing();
  StrategySpec restart, rollback;
  restart.name = "restart";
  restart.description = "start the service again";
  rollback.name = "rollback";
  rollback.description = "previous config, reload";
  r.scenario.strategies = {restart, rollback};
  r.scenario.iterations = 2;
  r.scenario.confidence = 90;
  r.iteration_strategies = {"restart", "rollback", "restart", "rollback"};
  r.comparison = compare_record(r);
  return r;
}

/// Every fixture with a name, for tests that check all of them.
inline std::vector<std::pair<std::string, RunRecord>> all() {
  return {{"passing", passing()},
          {"failing", failing()},
          {"inconclusive", inconclusive()},
          {"interrupted", interrupted()},
          {"harness_error", harness_error()},
          {"long_drill", long_drill()},
          {"failover", failover()},
          {"starved", starved()}};
}

/// A fresh directory under the temporary directory, removed at the end.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "faultline-report-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path operator/(const std::string& name) const { return path / name; }
};

inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A shell command's exit status and combined output.
struct CommandResult {
  int status = -1;
  std::string output;
};

/// Runs `command` with /bin/sh, stdout and stderr captured together.
inline CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* f = ::popen((command + " 2>&1").c_str(), "r");
  if (!f) throw std::runtime_error("popen failed: " + command);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) r.output.append(buf, n);
  const int st = ::pclose(f);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

/// Single-quoted for /bin/sh.
inline std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// Whether a program is on PATH.
inline bool have_program(const std::string& name) {
  return run_command("command -v " + sh_quote(name) + " >/dev/null").status == 0;
}

/// The directory this build was configured from (source_root.cpp).
const char* configured_source_root();

/// The source tree (for the schema and the XSD): FAULTLINE_SOURCE_ROOT as set
/// by `meson test`, else the directory this build was configured from.
inline std::filesystem::path source_root() {
  if (const char* v = std::getenv("FAULTLINE_SOURCE_ROOT")) return v;
  return configured_source_root();
}

/// Tests that need an external tool fail when it is missing, unless the
/// developer explicitly opts out with FAULTLINE_SKIP_TOOL_TESTS=1 (CI never does).
inline bool tool_tests_skipped() {
  const char* v = std::getenv("FAULTLINE_SKIP_TOOL_TESTS");
  return v && std::string(v) == "1";
}

/// Debian's chromium on PATH ("chromium", or "chromium-browser"), or "".
inline std::string find_chromium() {
  for (const char* name : {"chromium", "chromium-browser"})
    if (have_program(name)) return name;
  return "";
}

/// Opens file://`page` in headless Chromium with `extra` flags (e.g.
/// --screenshot=F, --dump-dom). Every flag keeps the browser from reaching
/// out or keeping state; the profile is a fresh directory under `scratch`;
/// console messages go to the captured output.
inline CommandResult headless_chromium(const std::string& chromium, const std::filesystem::path& page,
                                       const std::filesystem::path& scratch, const std::string& extra) {
  static int n = 0;
  const auto profile = scratch / ("chromium-profile-" + std::to_string(++n));
  return run_command("timeout 180 " + chromium +
                     " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                     " --disable-background-networking --disable-component-update --disable-sync"
                     " --disable-extensions --enable-logging=stderr --v=0 --user-data-dir=" +
                     sh_quote(profile.string()) + " " + extra + " " + sh_quote("file://" + page.string()));
}

/// The console messages in Chromium's log (lines with ":CONSOLE"), "" when none.
inline std::string console_messages(const std::string& log) {
  std::string out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);)
    if (line.find(":CONSOLE") != std::string::npos) out += line + "\n";
  return out;
}

/// What tests/fixtures/png_stats.py says about a PNG: size, distinct colours,
/// and pixels in the report's ok, fail, fault and recovery colours.
struct PngStats {
  bool read = false;
  std::string output;
  long width = 0, height = 0, colours = 0, ok = 0, fail = 0, fault = 0, recover = 0;
};

inline PngStats png_stats(const std::filesystem::path& png) {
  PngStats s;
  const auto r = run_command("python3 " + sh_quote((source_root() / "tests/fixtures/png_stats.py").string()) + " " +
                             sh_quote(png.string()));
  s.output = r.output;
  s.read = r.status == 0 && std::sscanf(r.output.c_str(), "%ldx%ld colours=%ld ok=%ld fail=%ld fault=%ld recover=%ld",
                                        &s.width, &s.height, &s.colours, &s.ok, &s.fail, &s.fault, &s.recover) == 7;
  return s;
}

/// How many times `needle` occurs in `s` (occurrences do not overlap).
inline std::size_t count(const std::string& s, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = s.find(needle); p != std::string::npos; p = s.find(needle, p + needle.size())) ++n;
  return n;
}

}  // namespace fixtures
