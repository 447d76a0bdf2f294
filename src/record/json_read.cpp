// The run record from JSON: the exact inverse of to_json (json_record.cpp),
// and a reader of the records older versions wrote (schema_version 1 differs
// only in how a probe's samples are kept).
//
// Two things make "exact" hold (json_strict.hpp): numbers are parsed with
// doubles read exactly, and every object is read through json_strict's
// Object, which tracks the key path for messages and refuses keys that
// to_json never writes, so a typo in a hand-edited record is named instead
// of silently ignored.
#include "record/json_read.hpp"

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <limits>
#include <sstream>

#include "record/json_strategies.hpp"
#include "record/partial_record.hpp"
#include "record/json_strict.hpp"
#include "scenario/enum_names.hpp"

namespace faultline {

namespace json = boost::json;

namespace {

using json_strict::index_path;
using json_strict::JsonError;
using json_strict::Object;
using json_strict::read_array;
using json_strict::read_strings;
using json_strict::Reader;

// ---------------------------------------------------------------------------
// The record's parts, in the order json_record.cpp writes them

Outcome outcome_from(const Reader& c, const std::string& name, const std::string& path) {
  for (Outcome o : {Outcome::passed, Outcome::failed, Outcome::usage_error, Outcome::inconclusive,
                    Outcome::harness_error, Outcome::interrupted})
    if (name == outcome_name(o)) return o;
  c.fail(path, fmt::format("unknown outcome \"{}\" (expected passed, failed, usage_error, inconclusive, "
                           "harness_error or interrupted)",
                           name));
}

ProbeKind probe_kind_from(const Reader& c, const std::string& name, const std::string& path) {
  if (const auto kind = value_named(kProbeKindNames, name)) return *kind;
  c.fail(path, fmt::format("unknown probe kind \"{}\" (expected tcp, http or exec)", name));
}

Stats read_stats(Object o) {
  Stats s;
  s.count = static_cast<std::size_t>(o.u64("count"));
  s.mean = o.ns("mean_ns");
  s.p50 = o.ns("p50_ns");
  s.p95 = o.ns("p95_ns");
  s.max = o.ns("max_ns");
  s.stddev = o.ns("stddev_ns");
  o.finish();
  return s;
}

std::vector<Availability> read_availability(const Reader& c, Object& parent) {
  return read_array<Availability>(c, parent, "availability", [](const Reader& cx, const json::value& v, const std::string& p) {
    Object o(cx, v, p);
    Availability a;
    a.probe = o.str("probe");
    a.ok = o.u64("ok");
    a.total = o.u64("total");
    if (a.ok > a.total) cx.fail(o.at_path("ok"), fmt::format("{} ok samples of {} in total", a.ok, a.total));
    o.num("percent");  // derived
    // schema_version 3: availability over time and scheduled ticks.
    if (o.has("ticks")) {
      a.ticks = o.u64("ticks");
      o.num("tick_percent");  // derived
      a.up = o.ns("up_ns");
      a.down = o.ns("down_ns");
      a.unknown = o.ns("unknown_ns");
    }
    // The brackets' share of that time (written since 2026-12-06).
    if (o.has("up_uncertain_ns")) {
      a.up_uncertain = o.ns("up_uncertain_ns");
      a.down_uncertain = o.ns("down_uncertain_ns");
      if (a.up_uncertain > a.up || a.down_uncertain > a.down)
        cx.fail(o.at_path("up_uncertain_ns"), "more uncertain time than time observed");
      o.num("percent_low");   // derived
      o.num("percent_high");  // derived
    }
    o.finish();
    return a;
  });
}

void read_scenario(const Reader& c, Object o, RunRecord& r) {
  Scenario& s = r.scenario;
  r.scenario_name = o.str("name");
  r.scenario_file = o.str("file");
  r.scenario_digest = o.str("digest");
  s.name = r.scenario_name;
  s.file = r.scenario_file;
  s.description = o.str("description");
  s.iterations = o.i32("iterations");
  s.steady_for = o.ns("steady_for_ns");
  s.steady_timeout = o.ns("steady_timeout_ns");
  Object ra = o.obj("recovered_after");
  s.recovered_after.samples = ra.i32("samples");
  s.recovered_after.duration = ra.ns("duration_ns");
  ra.finish();
  s.watch = o.ns("watch_ns");
  s.give_up_after = o.ns("give_up_after_ns");
  s.cool_down = o.ns("cool_down_ns");
  for (auto& name : read_strings(c, o, "services")) {
    ServiceSpec svc;
    svc.name = std::move(name);
    s.services.push_back(std::move(svc));
  }
  Object t = o.obj("thresholds");
  if (t.has("rto_ns")) s.thresholds.rto = t.ns("rto_ns");
  if (t.has("ttd_ns")) s.thresholds.ttd = t.ns("ttd_ns");
  if (t.has("mttr_ns")) s.thresholds.mttr = t.ns("mttr_ns");
  if (t.has("max_recurrence")) s.thresholds.max_recurrence = t.i32("max_recurrence");
  if (t.has("min_availability_percent")) s.thresholds.min_availability = t.num("min_availability_percent");
  if (t.has("max_data_loss")) s.thresholds.max_data_loss = t.i64("max_data_loss");
  if (t.has("max_data_loss_window_ns")) s.thresholds.max_data_loss_window = t.ns("max_data_loss_window_ns");
  t.finish();
  o.finish();
}

std::vector<Verdict> read_verdicts(const Reader& c, Object& parent) {
  return read_array<Verdict>(c, parent, "verdicts", [](const Reader& cx, const json::value& v, const std::string& p) {
    Object o(cx, v, p);
    Verdict x;
    x.threshold = o.str("threshold");
    x.scope = o.str("scope");
    x.passed = o.boolean("passed");
    x.measured = o.str("measured");
    x.limit = o.str("limit");
    x.margin = o.str("margin");
    x.detail = o.str("detail");
    if (o.has("inconclusive")) x.inconclusive = o.boolean("inconclusive");
    if (o.has("not_run")) x.not_run = o.boolean("not_run");
    o.finish();
    return x;
  });
}

RunStatistics read_statistics(const Reader& c, Object o) {
  RunStatistics s;
  s.ttd = read_stats(o.obj("ttd"));
  s.ttr = read_stats(o.obj("ttr"));
  s.recovery_time = read_stats(o.obj("recovery_time"));
  o.ns("mttr_ns");  // derived: ttr.mean_ns
  s.episodes = static_cast<std::size_t>(o.u64("episodes"));
  s.unrecovered_episodes = static_cast<std::size_t>(o.u64("unrecovered_episodes"));
  s.recurrence = o.i32("recurrence");
  s.recurrence_rate = o.num("recurrence_rate");
  s.availability = read_availability(c, o);
  o.finish();
  return s;
}

/// [earliest_ns, latest_ns] or null.
std::optional<Bracket> read_bracket(const Reader& c, Object& o, std::string_view key) {
  const json::value& v = o.at(key);
  if (v.is_null()) return std::nullopt;
  const std::string p = o.at_path(key);
  const json::array& a = c.arr(v, p);
  if (a.size() != 2) c.fail(p, fmt::format("expected [earliest_ns, latest_ns] or null, found {} element(s)", a.size()));
  Bracket b{c.ns(a[0], index_path(p, 0)), c.ns(a[1], index_path(p, 1))};
  if (b.latest < b.earliest) c.fail(p, "latest before earliest");
  return b;
}

InjectionMetrics read_injection(const Reader& c, const json::value& v, const std::string& p) {
  Object o(c, v, p);
  InjectionMetrics m;
  m.fault = o.str("fault");
  m.inject_start = o.ns("inject_start_ns");
  m.inject = o.ns("inject_ns");
  m.impact = o.boolean("impact");
  m.during_outage = o.boolean("during_outage");
  m.episode = o.i32("episode");
  m.ttd = o.opt_ns("ttd_ns");
  m.ttd_bracket = read_bracket(c, o, "ttd_bracket_ns");
  m.recovered = o.boolean("recovered");
  m.recovery_time = o.opt_ns("recovery_time_ns");
  m.recovery_bracket = read_bracket(c, o, "recovery_bracket_ns");
  o.finish();
  return m;
}

Episode read_episode(const Reader& c, const json::value& v, const std::string& p) {
  Object o(c, v, p);
  Episode e;
  e.start = o.ns("start_ns");
  e.end = o.opt_ns("end_ns");
  const auto ttr = o.opt_ns("ttr_ns");  // derived: end - start
  if (ttr.has_value() != e.end.has_value())
    c.fail(o.at_path("ttr_ns"), e.end ? "null although end_ns is set" : "set although end_ns is null");
  e.relapse = o.boolean("relapse");
  e.failing_probes = read_strings(c, o, "failing_probes");
  // schema_version 3: the injection it follows and its brackets.
  if (o.has("injection")) {
    e.injection = o.i32("injection");
    if (auto b = read_bracket(c, o, "start_bracket_ns")) e.start_bracket = *b;
    e.end_bracket = read_bracket(c, o, "end_bracket_ns");
    e.ttr_bracket = read_bracket(c, o, "ttr_bracket_ns");
  }
  o.finish();
  return e;
}

LatencySummary read_latency_summary(Object o) {
  LatencySummary l;
  l.count = static_cast<std::size_t>(o.u64("count"));
  l.p50 = o.ns("p50_ns");
  l.p99 = o.ns("p99_ns");
  o.finish();
  return l;
}

ProbeLatency read_probe_latency(const Reader& c, const json::value& v, const std::string& p) {
  Object o(c, v, p);
  ProbeLatency l;
  l.probe = o.str("probe");
  l.before = read_latency_summary(o.obj("before"));
  l.during = read_latency_summary(o.obj("during"));
  l.after = read_latency_summary(o.obj("after"));
  o.finish();
  return l;
}

IterationMetrics read_iteration(const Reader& c, const json::value& v, const std::string& p) {
  Object o(c, v, p);
  IterationMetrics m;
  m.index = o.i32("index");
  m.start = o.ns("start_ns");
  m.inject_start = o.ns("inject_start_ns");
  m.inject = o.ns("inject_ns");
  m.revert = o.opt_ns("revert_ns");
  m.deadline = o.ns("deadline_ns");
  m.observed_until = o.ns("observed_until_ns");
  m.impact = o.boolean("impact");
  m.recovered = o.boolean("recovered");
  m.t_fail = o.opt_ns("t_fail_ns");
  m.t_recover = o.opt_ns("t_recover_ns");
  m.ttd = o.opt_ns("ttd_ns");
  m.ttr = o.opt_ns("ttr_ns");
  m.recovery_time = o.opt_ns("recovery_time_ns");
  m.recovery_after_revert = o.opt_ns("recovery_after_revert_ns");
  m.uncertainty = o.ns("uncertainty_ns");
  m.relapses = o.i32("relapses");
  m.episodes = read_array<Episode>(c, o, "episodes", read_episode);
  m.availability = read_availability(c, o);
  m.latency = read_array<ProbeLatency>(c, o, "latency", read_probe_latency);
  // schema_version 3: every injection, the brackets, the samples the harness decided.
  if (o.has("injections")) {
    m.injections = read_array<InjectionMetrics>(c, o, "injections", read_injection);
    m.ttd_bracket = read_bracket(c, o, "ttd_bracket_ns");
    m.ttr_bracket = read_bracket(c, o, "ttr_bracket_ns");
    m.recovery_bracket = read_bracket(c, o, "recovery_bracket_ns");
    m.harness_decided = o.u64("harness_decided");
    m.undetermined = o.boolean("undetermined");
  }
  // Only iterations with [[recovery]] steps that ran have these.
  if (o.has("time_to_mitigate_ns")) m.time_to_mitigate = o.opt_ns("time_to_mitigate_ns");
  if (o.has("runbook_duration_ns")) m.runbook_duration = o.opt_ns("runbook_duration_ns");
  // Only iterations whose counts are lower bounds (a blind spot) have these.
  if (o.has("blind_ns")) {
    m.blind = o.ns("blind_ns");
    m.blind_start = o.ns("blind_start_ns");
  }
  o.finish();
  return m;
}

DataDamage read_damage(const Reader& c, Object o) {
  DataDamage d;
  d.path = o.str("path");
  d.mode = o.str("mode");
  auto count = [&](const char* key) {
    const std::int64_t n = o.i64(key);
    if (n < 0) c.wrong(o.at_path(key), "a count >= 0", o.at(key));
    return n;
  };
  d.files = count("files");
  d.bits = count("bits");
  d.bytes_changed = count("bytes_changed");
  d.bytes_cut = count("bytes_cut");
  d.bytes_added = count("bytes_added");
  d.offsets = read_strings(c, o, "offsets");
  d.offsets_truncated = o.boolean("offsets_truncated");
  d.permanent = o.boolean("permanent");
  o.finish();
  return d;
}

FaultEvent read_fault(const Reader& c, const json::value& v, const std::string& p) {
  Object o(c, v, p);
  FaultEvent f;
  f.iteration = o.i32("iteration");
  f.fault = o.str("fault");
  f.kind = o.str("kind");
  f.target = o.str("target");
  f.inject_start = o.ns("inject_start_ns");
  f.inject_end = o.opt_ns("inject_ns");
  f.revert_start = o.opt_ns("revert_start_ns");
  f.revert_end = o.opt_ns("revert_ns");
  f.ok = o.boolean("ok");
  f.error = o.str("error");
  if (o.has("injection")) f.injection = o.boolean("injection");  // schema_version 3
  if (o.has("selected")) f.selected = o.str("selected");  // a dynamic target (issue 14)
  if (o.has("damage")) f.damage = read_damage(c, o.obj("damage"));  // a data fault (issue 19)
  o.finish();
  return f;
}

StepOutcome read_step(const Reader& c, const json::value& v, const std::string& p) {
  Object o(c, v, p);
  StepOutcome s;
  s.iteration = o.i32("iteration");
  s.phase = o.str("phase");
  s.name = o.str("name");
  s.start = o.ns("start_ns");
  s.end = o.ns("end_ns");
  s.exit_code = o.i32("exit_code");
  s.timed_out = o.boolean("timed_out");
  s.ok = o.boolean("ok");
  s.output = o.str("output");
  // Recovery steps say what triggered them and whether they ran.
  if (o.has("trigger")) s.trigger = o.str("trigger");
  if (o.has("ran")) s.ran = o.boolean("ran");
  if (o.has("integrity")) s.integrity = o.boolean("integrity");  // an integrity check (issue 19)
  o.finish();
  return s;
}

WorkloadResult read_workload(const Reader& c, const json::value& v, const std::string& p) {
  Object o(c, v, p);
  WorkloadResult r;
  r.workload = o.str("workload");
  r.iteration = o.i32("iteration");
  r.first_seq = o.u64("first_seq");
  r.last_seq = o.u64("last_seq");
  r.writes = o.u64("writes");
  r.acknowledged = o.u64("acknowledged");
  r.errors = o.u64("errors");
  r.read_ok = o.boolean("read_ok");
  r.read_error = o.str("read_error");
  r.lost = o.u64("lost");
  r.lost_seqs = read_array<std::uint64_t>(c, o, "lost_seqs",
                                          [](const Reader& cx, const json::value& x, const std::string& path) { return cx.u64(x, path, std::numeric_limits<std::uint64_t>::max()); });
  r.lost_from = o.opt_ns("lost_from_ns");
  r.lost_to = o.opt_ns("lost_to_ns");
  r.loss_window = o.ns("loss_window_ns");
  Object f = o.obj("fault");
  r.fault_from = f.ns("from_ns");
  r.fault_to = f.ns("to_ns");
  r.fault_writes = f.u64("writes");
  r.fault_errors = f.u64("errors");
  r.fault_latency_p50 = f.ns("latency_p50_ns");
  r.fault_latency_p99 = f.ns("latency_p99_ns");
  f.finish();
  o.finish();
  return r;
}

ServiceEvent read_service_event(const Reader& c, const json::value& v, const std::string& p) {
  Object o(c, v, p);
  ServiceEvent e;
  e.service = o.str("service");
  e.what = o.str("what");
  e.at = o.ns("at_ns");
  e.detail = o.str("detail");
  o.finish();
  return e;
}

LinkFaultWindow read_link_fault(const Reader& c, const json::value& v, const std::string& p) {
  Object o(c, v, p);
  LinkFaultWindow w;
  w.fault = o.str("fault");
  w.kind = o.str("kind");
  w.iteration = o.i32("iteration");
  w.start = o.ns("start_ns");
  w.end = o.opt_ns("end_ns");
  w.connections = o.u64("connections");
  o.finish();
  return w;
}

LinkStats read_link(const Reader& c, const json::value& v, const std::string& p) {
  Object o(c, v, p);
  LinkStats l;
  l.name = o.str("name");
  l.to = o.str("to");
  l.port = static_cast<std::uint16_t>(o.u64("port", 65535));
  l.connections = o.u64("connections");
  l.bytes_upstream = o.u64("bytes_upstream");
  l.bytes_downstream = o.u64("bytes_downstream");
  l.discarded_upstream = o.u64("discarded_upstream");
  l.discarded_downstream = o.u64("discarded_downstream");
  l.resets = o.u64("resets");
  l.faults = read_array<LinkFaultWindow>(c, o, "faults", read_link_fault);
  if (o.has("corrupted_upstream")) l.corrupted_upstream = o.u64("corrupted_upstream");  // absent before net.corrupt
  if (o.has("corrupted_downstream")) l.corrupted_downstream = o.u64("corrupted_downstream");
  if (o.has("http")) {
    Object h = o.obj("http");
    LinkHttpStats s;
    s.requests = h.u64("requests");
    s.matched = h.u64("matched");
    s.aborted = h.u64("aborted");
    s.delayed = h.u64("delayed");
    s.replaced = h.u64("replaced");
    s.malformed = h.u64("malformed");
    h.finish();
    l.http = s;
  }
  o.finish();
  return l;
}

Sample read_sample(const Reader& c, const json::value& v, const std::string& p) {
  const json::array& a = c.arr(v, p);
  // schema_version 3: a fifth element, true, marks a sample the harness decided.
  if (a.size() != 4 && a.size() != 5)
    c.fail(p, fmt::format("expected [start_ns, end_ns, ok, detail] or [start_ns, end_ns, ok, detail, true], found {} element(s)",
                          a.size()));
  Sample s;
  s.start = c.ns(a[0], index_path(p, 0));
  s.end = c.ns(a[1], index_path(p, 1));
  s.ok = c.boolean(a[2], index_path(p, 2));
  s.detail = c.str(a[3], index_path(p, 3));
  if (a.size() == 5) {
    if (!c.boolean(a[4], index_path(p, 4))) c.fail(index_path(p, 4), "is written only as true");
    s.harness_decided = true;
  }
  return s;
}

SampleTimes read_times(const Reader& c, const json::value& v, const std::string& p) {
  const json::array& a = c.arr(v, p);
  if (a.size() != 2) c.fail(p, fmt::format("expected [start_ns, end_ns], found {} element(s)", a.size()));
  return {c.ns(a[0], index_path(p, 0)), c.ns(a[1], index_path(p, 1))};
}

SampleRun read_run(const Reader& c, const json::value& v, const std::string& p) {
  Object o(c, v, p);
  SampleRun r;
  r.ok = o.boolean("ok");
  r.detail = o.str("detail");
  r.count = o.u64("count");
  if (r.count == 0) c.fail(o.at_path("count"), "a run has at least one sample");
  r.first = read_times(c, o.at("first"), o.at_path("first"));
  r.last = read_times(c, o.at("last"), o.at_path("last"));
  if (r.count == 1 && r.first != r.last) c.fail(o.at_path("last"), "differs from first in a run of one sample");
  if (r.last.start < r.first.start) c.fail(o.at_path("last"), "starts before first");
  Object lat = o.obj("latency");
  r.latency_min = lat.ns("min_ns");
  r.latency_p50 = lat.ns("p50_ns");
  r.latency_max = lat.ns("max_ns");
  lat.finish();
  if (!(r.latency_min <= r.latency_p50 && r.latency_p50 <= r.latency_max))
    c.fail(o.at_path("latency"), "expected min_ns <= p50_ns <= max_ns");
  if (o.has("harness_decided")) {
    r.harness_decided = o.boolean("harness_decided");
    if (!r.harness_decided) c.fail(o.at_path("harness_decided"), "is written only as true");
  }
  o.finish();
  return r;
}

/// The fields every version writes for a probe.
ProbeSeries read_probe_head(const Reader& c, Object& o) {
  ProbeSeries s;
  s.name = o.str("name");
  s.kind = probe_kind_from(c, o.str("kind"), o.at_path("kind"));
  s.interval = o.ns("interval_ns");
  s.steady_state = o.boolean("steady_state");
  s.overruns = o.u64("overruns");
  return s;
}

/// schema_version 1: every sample, with the names of its fields.
ProbeSeries read_probe_v1(const Reader& c, const json::value& v, const std::string& p) {
  Object o(c, v, p);
  ProbeSeries s = read_probe_head(c, o);
  const auto fields = read_strings(c, o, "sample_fields");
  if (fields != std::vector<std::string>{"start_ns", "end_ns", "ok", "detail"})
    c.fail(o.at_path("sample_fields"), "expected [\"start_ns\", \"end_ns\", \"ok\", \"detail\"]");
  s.samples = read_array<Sample>(c, o, "samples", read_sample);
  o.finish();
  return s;
}

/// schema_version 2: the samples in full, or their runs.
ProbeSeries read_probe(const Reader& c, const json::value& v, const std::string& p) {
  Object o(c, v, p);
  ProbeSeries s = read_probe_head(c, o);
  const std::uint64_t count = o.u64("sample_count");
  // Records written before the scheduler reported its lateness have neither.
  if (o.has("scheduled")) s.scheduled = o.u64("scheduled");
  if (o.has("realtime")) s.realtime = o.boolean("realtime");  // absent in older records
  if (o.has("lateness")) {
    Object late = o.obj("lateness");
    s.lateness_p50 = late.ns("p50_ns");
    s.lateness_p99 = late.ns("p99_ns");
    s.lateness_max = late.ns("max_ns");
    late.finish();
    if (!(s.lateness_p50 <= s.lateness_p99 && s.lateness_p99 <= s.lateness_max))
      c.fail(o.at_path("lateness"), "expected p50_ns <= p99_ns <= max_ns");
  }
  if (o.has("samples") == o.has("runs"))
    c.fail(p, o.has("runs") ? "has both samples and runs" : "has neither samples nor runs");
  if (o.has("samples")) {
    s.samples = read_array<Sample>(c, o, "samples", read_sample);
  } else {
    s.runs = read_array<SampleRun>(c, o, "runs", read_run);
    for (std::size_t i = 1; i < s.runs.size(); ++i) {
      const SampleRun &a = s.runs[i - 1], &b = s.runs[i];
      const std::string at = index_path(o.at_path("runs"), i);
      if (a.ok == b.ok && a.detail == b.detail && a.harness_decided == b.harness_decided)
        c.fail(at, "same ok and detail as the run before it (runs are maximal)");
      if (b.first.start < a.last.start) c.fail(at, "starts before the last sample of the run before it");
    }
    // A probe with no sample is written with an empty list of samples.
    if (s.runs.empty()) c.fail(o.at_path("runs"), "empty (a probe without samples has \"samples\": [])");
  }
  if (sample_count(s) != count)
    c.fail(o.at_path("sample_count"), fmt::format("{} but the {} hold {}", count, s.runs.empty() ? "samples" : "runs",
                                                  sample_count(s)));
  o.finish();
  return s;
}

HarnessStall read_stall(const Reader& c, const json::value& v, const std::string& p) {
  Object o(c, v, p);
  HarnessStall s;
  s.start = o.ns("start_ns");
  s.end = o.ns("end_ns");
  s.probe = o.str("probe");
  if (s.end < s.start) c.fail(o.at_path("end_ns"), "before start_ns");
  // A span of several stalls (record/stall_spans.hpp); absent: one stall.
  if (o.has("count")) {
    s.count = o.u64("count");
    s.stalled = o.ns("stalled_ns");
    s.longest = o.ns("longest_ns");
    if (s.count == 0) c.fail(o.at_path("count"), "is 0");
    if (s.stalled > s.end - s.start) c.fail(o.at_path("stalled_ns"), "longer than the span");
    if (s.longest > s.stalled) c.fail(o.at_path("longest_ns"), "longer than stalled_ns");
  }
  o.finish();
  return s;
}

int check_version(const Reader& c, const json::object& top) {
  const json::value* v = top.if_contains("schema_version");
  if (!v) c.fail("schema_version", "missing (is this a faultline run record?)");
  const std::int64_t version = c.i64(*v, "schema_version");
  if (version < kOldestReadableSchemaVersion || version > kRecordSchemaVersion)
    throw SchemaVersionError(fmt::format("{} has schema_version {}; this faultline reads schema_version {} to {}{}",
                                         c.source, version, kOldestReadableSchemaVersion, kRecordSchemaVersion,
                                         version > kRecordSchemaVersion ? " (a newer faultline wrote it)" : ""),
                             version);
  return static_cast<int>(version);
}

RunRecord read_record(std::string_view json_text, std::string_view source) {
  const Reader c{std::string(source)};
  const json::value doc = json_strict::parse_exact(json_text, source);
  if (!doc.is_object()) c.wrong("", "an object (a faultline run record)", doc);
  const int version = check_version(c, doc.get_object());

  Object o(c, doc, "");
  RunRecord r;
  r.schema_version = o.i32("schema_version");
  r.run_id = o.str("run_id");
  r.outcome = outcome_from(c, o.str("outcome"), "outcome");
  r.exit_code = o.i32("exit_code");
  r.error = o.str("error");

  Object env = o.obj("environment");
  r.faultline_version = env.str("faultline_version");
  r.host = env.str("host");
  r.kernel = env.str("kernel");
  r.started_at = env.str("started_at");
  r.origin_monotonic_ns = env.i64("origin_monotonic_ns");
  r.duration = env.ns("duration_ns");
  env.finish();

  r.seed = o.u64("seed");
  Object ports = o.obj("ports");
  for (const auto& kv : doc.at("ports").get_object())
    r.ports[std::string(kv.key())] = static_cast<std::uint16_t>(ports.u64(kv.key(), 65535));
  ports.finish();

  read_scenario(c, o.obj("scenario"), r);
  r.verdicts = read_verdicts(c, o);
  r.statistics = read_statistics(c, o.obj("statistics"));
  r.iterations = read_array<IterationMetrics>(c, o, "iterations", read_iteration);
  r.faults = read_array<FaultEvent>(c, o, "faults", read_fault);
  r.steps = read_array<StepOutcome>(c, o, "steps", read_step);
  r.service_events = read_array<ServiceEvent>(c, o, "service_events", read_service_event);
  // Records written before [[link]] existed have no "links": none were used.
  if (o.has("links")) r.links = read_array<LinkStats>(c, o, "links", read_link);
  // Records of runs without a [[workload]] have no "workloads".
  if (o.has("workloads")) r.workloads = read_array<WorkloadResult>(c, o, "workloads", read_workload);
  r.left_behind = read_strings(c, o, "left_behind");
  r.probes = read_array<ProbeSeries>(c, o, "probes", version == 1 ? read_probe_v1 : read_probe);
  // Records written before stalls were detected have no "stalls".
  if (o.has("stalls")) r.stalls = read_array<HarnessStall>(c, o, "stalls", read_stall);
  // Records of runs without [[strategy]] tables have no "strategies" (issue 17).
  if (o.has("strategies")) read_strategies(c, o.obj("strategies"), r);
  // Only a record written before its run concluded has "partial".
  if (o.has("partial")) r.partial = read_partial(c, o.obj("partial"));
  o.finish();
  return r;
}

}  // namespace

RunRecord read_run_record(std::string_view json_text, std::string_view source) {
  try {
    return read_record(json_text, source);
  } catch (const JsonError& e) {
    throw RecordError(e.what());
  }
}

RunRecord read_run_record_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RecordError(fmt::format("{}: cannot be read: {}", path.string(), std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw RecordError(fmt::format("{}: cannot be read", path.string()));
  return read_run_record(ss.str(), path.string());
}

}  // namespace faultline
