// The run record as JSON (see json_record.hpp): one function per part of the
// record, in the order the record is written, each a table of the part's
// fields. render_json prints the probes one at a time so that a long drill's
// samples are never all held as JSON values at once.
#include "record/json_record.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "record/json_strategies.hpp"
#include "record/partial_record.hpp"
#include "scenario/enum_names.hpp"

namespace faultline {

namespace json = boost::json;

namespace {

json::value ns(Nanos d) { return json::value(static_cast<std::int64_t>(d.count())); }
json::value ns(const std::optional<Nanos>& d) { return d ? ns(*d) : json::value(nullptr); }

/// An array of `f(x)` for each of `xs`, in order.
template <class T, class F>
json::array array_of(const std::vector<T>& xs, F f) {
  json::array out;
  for (const auto& x : xs) out.push_back(f(x));
  return out;
}

json::array strings_json(const std::vector<std::string>& xs) {
  return array_of(xs, [](const std::string& x) { return json::string(x); });
}

json::object stats_json(const Stats& s) {
  return {{"count", s.count}, {"mean_ns", ns(s.mean)},   {"p50_ns", ns(s.p50)},
          {"p95_ns", ns(s.p95)}, {"max_ns", ns(s.max)}, {"stddev_ns", ns(s.stddev)}};
}

json::array availability_json(const std::vector<Availability>& av) {
  return array_of(av, [](const Availability& a) {
    return json::object{{"probe", a.probe},        {"ok", a.ok},
                        {"total", a.total},        {"percent", a.percent()},
                        {"ticks", a.ticks},        {"tick_percent", a.tick_percent()},
                        {"up_ns", ns(a.up)},       {"down_ns", ns(a.down)},
                        {"unknown_ns", ns(a.unknown)},
                        {"up_uncertain_ns", ns(a.up_uncertain)},
                        {"down_uncertain_ns", ns(a.down_uncertain)},
                        {"percent_low", a.percent_low()},
                        {"percent_high", a.percent_high()}};
  });
}

/// [earliest_ns, latest_ns], or null.
json::value bracket_json(const std::optional<Bracket>& b) {
  return b ? json::value(json::array{b->earliest.count(), b->latest.count()}) : json::value(nullptr);
}

json::object scenario_json(const RunRecord& r) {
  const Scenario& s = r.scenario;
  json::object thresholds;
  if (s.thresholds.rto) thresholds["rto_ns"] = ns(*s.thresholds.rto);
  if (s.thresholds.ttd) thresholds["ttd_ns"] = ns(*s.thresholds.ttd);
  if (s.thresholds.mttr) thresholds["mttr_ns"] = ns(*s.thresholds.mttr);
  if (s.thresholds.max_recurrence) thresholds["max_recurrence"] = *s.thresholds.max_recurrence;
  if (s.thresholds.min_availability) thresholds["min_availability_percent"] = *s.thresholds.min_availability;
  if (s.thresholds.max_data_loss) thresholds["max_data_loss"] = *s.thresholds.max_data_loss;
  if (s.thresholds.max_data_loss_window) thresholds["max_data_loss_window_ns"] = ns(*s.thresholds.max_data_loss_window);
  const json::array services = array_of(s.services, [](const ServiceSpec& svc) { return json::string(svc.name); });
  return {{"name", r.scenario_name},
          {"file", r.scenario_file},
          {"digest", r.scenario_digest},
          {"description", s.description},
          {"iterations", s.iterations},
          {"steady_for_ns", ns(s.steady_for)},
          {"steady_timeout_ns", ns(s.steady_timeout)},
          {"recovered_after", json::object{{"samples", s.recovered_after.samples},
                                           {"duration_ns", ns(s.recovered_after.duration)}}},
          {"watch_ns", ns(s.watch)},
          {"give_up_after_ns", ns(s.give_up_after)},
          {"cool_down_ns", ns(s.cool_down)},
          {"services", services},
          {"thresholds", thresholds}};
}

json::array times_json(const SampleTimes& t) { return json::array{t.start.count(), t.end.count()}; }

/// One probe: every sample when the record keeps them all, else its runs.
json::value probe_json(const ProbeSeries& p) {
  json::object out{{"name", p.name},
                   {"kind", name_of(kProbeKindNames, p.kind)},
                   {"interval_ns", ns(p.interval)},
                   {"steady_state", p.steady_state},
                   {"overruns", p.overruns},
                   {"sample_count", sample_count(p)},
                   {"scheduled", p.scheduled},
                   {"realtime", p.realtime},
                   {"lateness", json::object{{"p50_ns", ns(p.lateness_p50)},
                                             {"p99_ns", ns(p.lateness_p99)},
                                             {"max_ns", ns(p.lateness_max)}}}};
  if (keeps_every_sample(p)) {
    json::array samples;
    samples.reserve(p.samples.size());
    // A sample the harness decided has a fifth element, true.
    for (const auto& s : p.samples) {
      json::array a{s.start.count(), s.end.count(), s.ok, json::string(s.detail)};
      if (s.harness_decided) a.push_back(true);
      samples.push_back(std::move(a));
    }
    out["samples"] = std::move(samples);
  } else {
    json::array runs;
    for (const auto& r : runs_of(p)) {
      runs.push_back(json::object{{"ok", r.ok},
                                  {"detail", r.detail},
                                  {"count", r.count},
                                  {"first", times_json(r.first)},
                                  {"last", times_json(r.last)},
                                  {"latency", json::object{{"min_ns", ns(r.latency_min)},
                                                           {"p50_ns", ns(r.latency_p50)},
                                                           {"max_ns", ns(r.latency_max)}}}});
      if (r.harness_decided) runs.back().as_object()["harness_decided"] = true;
    }
    out["runs"] = std::move(runs);
  }
  return out;
}

json::object damage_json(const DataDamage& d) {
  json::object o{{"path", d.path},
                 {"mode", d.mode},
                 {"files", d.files},
                 {"bits", d.bits},
                 {"bytes_changed", d.bytes_changed},
                 {"bytes_cut", d.bytes_cut},
                 {"bytes_added", d.bytes_added},
                 {"offsets", strings_json(d.offsets)},
                 {"offsets_truncated", d.offsets_truncated},
                 {"permanent", d.permanent}};
  return o;
}

json::object fault_json(const FaultEvent& f) {
  json::object o{{"iteration", f.iteration},
          {"fault", f.fault},
          {"kind", f.kind},
          {"target", f.target},
          {"inject_start_ns", ns(f.inject_start)},
          {"inject_ns", ns(f.inject_end)},
          {"revert_start_ns", ns(f.revert_start)},
          {"revert_ns", ns(f.revert_end)},
          {"ok", f.ok},
          {"error", f.error},
          {"injection", f.injection}};
  if (!f.selected.empty()) o["selected"] = f.selected;  // a dynamic target (issue 14)
  if (f.damage) o["damage"] = damage_json(*f.damage);  // a data fault (issue 19)
  return o;
}

json::object step_json(const StepOutcome& s) {
  json::object o{{"iteration", s.iteration}, {"phase", s.phase},       {"name", s.name},
                 {"start_ns", ns(s.start)},  {"end_ns", ns(s.end)},    {"exit_code", s.exit_code},
                 {"timed_out", s.timed_out}, {"ok", s.ok},             {"output", s.output}};
  if (s.phase == "recovery") {
    o["trigger"] = s.trigger;
    o["ran"] = s.ran;
  }
  if (s.integrity) o["integrity"] = true;  // an integrity check (written only when set)
  return o;
}

json::object service_event_json(const ServiceEvent& e) {
  return {{"service", e.service}, {"what", e.what}, {"at_ns", ns(e.at)}, {"detail", e.detail}};
}

json::object latency_summary_json(const LatencySummary& l) {
  return {{"count", l.count}, {"p50_ns", ns(l.p50)}, {"p99_ns", ns(l.p99)}};
}

json::object probe_latency_json(const ProbeLatency& l) {
  return {{"probe", l.probe},
          {"before", latency_summary_json(l.before)},
          {"during", latency_summary_json(l.during)},
          {"after", latency_summary_json(l.after)}};
}

/// What the workload saw while the fault was applied.
json::object workload_fault_json(const WorkloadResult& r) {
  return {{"from_ns", ns(r.fault_from)},
          {"to_ns", ns(r.fault_to)},
          {"writes", r.fault_writes},
          {"errors", r.fault_errors},
          {"latency_p50_ns", ns(r.fault_latency_p50)},
          {"latency_p99_ns", ns(r.fault_latency_p99)}};
}

json::object workload_json(const WorkloadResult& r) {
  return {{"workload", r.workload},
          {"iteration", r.iteration},
          {"first_seq", r.first_seq},
          {"last_seq", r.last_seq},
          {"writes", r.writes},
          {"acknowledged", r.acknowledged},
          {"errors", r.errors},
          {"read_ok", r.read_ok},
          {"read_error", r.read_error},
          {"lost", r.lost},
          {"lost_seqs", array_of(r.lost_seqs, [](std::uint64_t seq) { return json::value(seq); })},
          {"lost_from_ns", ns(r.lost_from)},
          {"lost_to_ns", ns(r.lost_to)},
          {"loss_window_ns", ns(r.loss_window)},
          {"fault", workload_fault_json(r)}};
}

json::object episode_json(const Episode& e) {
  return {{"start_ns", ns(e.start)},
          {"end_ns", ns(e.end)},
          {"ttr_ns", ns(e.ttr())},
          {"relapse", e.relapse},
          {"failing_probes", strings_json(e.failing_probes)},
          {"injection", e.injection},
          {"start_bracket_ns", bracket_json(e.start_bracket)},
          {"end_bracket_ns", bracket_json(e.end_bracket)},
          {"ttr_bracket_ns", bracket_json(e.ttr_bracket)}};
}

json::object injection_json(const InjectionMetrics& m) {
  return {{"fault", m.fault},
          {"inject_start_ns", ns(m.inject_start)},
          {"inject_ns", ns(m.inject)},
          {"impact", m.impact},
          {"during_outage", m.during_outage},
          {"episode", m.episode},
          {"ttd_ns", ns(m.ttd)},
          {"ttd_bracket_ns", bracket_json(m.ttd_bracket)},
          {"recovered", m.recovered},
          {"recovery_time_ns", ns(m.recovery_time)},
          {"recovery_bracket_ns", bracket_json(m.recovery_bracket)}};
}

json::object iteration_json(const IterationMetrics& m) {
  json::object it{{"index", m.index},
                  {"start_ns", ns(m.start)},
                  {"inject_start_ns", ns(m.inject_start)},
                  {"inject_ns", ns(m.inject)},
                  {"revert_ns", ns(m.revert)},
                  {"deadline_ns", ns(m.deadline)},
                  {"observed_until_ns", ns(m.observed_until)},
                  {"impact", m.impact},
                  {"recovered", m.recovered},
                  {"t_fail_ns", ns(m.t_fail)},
                  {"t_recover_ns", ns(m.t_recover)},
                  {"ttd_ns", ns(m.ttd)},
                  {"ttr_ns", ns(m.ttr)},
                  {"recovery_time_ns", ns(m.recovery_time)},
                  {"recovery_after_revert_ns", ns(m.recovery_after_revert)},
                  {"uncertainty_ns", ns(m.uncertainty)},
                  {"relapses", m.relapses},
                  {"episodes", array_of(m.episodes, episode_json)},
                  {"availability", availability_json(m.availability)},
                  {"latency", array_of(m.latency, probe_latency_json)}};
  it["injections"] = array_of(m.injections, injection_json);
  it["ttd_bracket_ns"] = bracket_json(m.ttd_bracket);
  it["ttr_bracket_ns"] = bracket_json(m.ttr_bracket);
  it["recovery_bracket_ns"] = bracket_json(m.recovery_bracket);
  it["harness_decided"] = m.harness_decided;
  it["undetermined"] = m.undetermined;
  if (m.time_to_mitigate) it["time_to_mitigate_ns"] = ns(m.time_to_mitigate);
  if (m.runbook_duration) it["runbook_duration_ns"] = ns(m.runbook_duration);
  // Only when a blind spot made the counts lower bounds (measure/blind_spots.hpp).
  if (m.blind.count() > 0) {
    it["blind_ns"] = ns(m.blind);
    it["blind_start_ns"] = ns(m.blind_start);
  }
  return it;
}

json::object statistics_json(const RunStatistics& s) {
  return {{"ttd", stats_json(s.ttd)},
          {"ttr", stats_json(s.ttr)},
          {"recovery_time", stats_json(s.recovery_time)},
          {"mttr_ns", ns(s.ttr.mean)},
          {"episodes", s.episodes},
          {"unrecovered_episodes", s.unrecovered_episodes},
          {"recurrence", s.recurrence},
          {"recurrence_rate", s.recurrence_rate},
          {"availability", availability_json(s.availability)}};
}

json::object ports_json(const std::map<std::string, std::uint16_t>& ports) {
  json::object out;
  for (const auto& [name, port] : ports) out[name] = port;
  return out;
}

json::object link_fault_json(const LinkFaultWindow& w) {
  return {{"fault", w.fault},         {"kind", w.kind},     {"iteration", w.iteration},
          {"start_ns", ns(w.start)}, {"end_ns", ns(w.end)}, {"connections", w.connections}};
}

json::object link_http_json(const LinkHttpStats& h) {
  return {{"requests", h.requests}, {"matched", h.matched},   {"aborted", h.aborted},
          {"delayed", h.delayed},   {"replaced", h.replaced}, {"malformed", h.malformed}};
}

json::object link_json(const LinkStats& l) {
  json::object o = {{"name", l.name},
          {"to", l.to},
          {"port", l.port},
          {"connections", l.connections},
          {"bytes_upstream", l.bytes_upstream},
          {"bytes_downstream", l.bytes_downstream},
          {"discarded_upstream", l.discarded_upstream},
          {"discarded_downstream", l.discarded_downstream},
          {"resets", l.resets},
          {"faults", array_of(l.faults, link_fault_json)},
          {"corrupted_upstream", l.corrupted_upstream},
          {"corrupted_downstream", l.corrupted_downstream}};
  if (l.http) o["http"] = link_http_json(*l.http);
  return o;
}

json::object verdict_json(const Verdict& v) {
  json::object o{{"threshold", v.threshold}, {"scope", v.scope}, {"passed", v.passed}, {"measured", v.measured},
                 {"limit", v.limit},         {"margin", v.margin}, {"detail", v.detail}};
  if (v.inconclusive) o["inconclusive"] = true;  // written only when set
  if (v.not_run) o["not_run"] = true;            // the same
  return o;
}

void pretty(std::string& out, const json::value& v, int depth) {
  const std::string pad(static_cast<std::size_t>(depth) * 2, ' ');
  const std::string pad_in(static_cast<std::size_t>(depth + 1) * 2, ' ');
  if (v.is_object()) {
    const auto& o = v.get_object();
    if (o.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    bool first = true;
    for (const auto& kv : o) {
      if (!first) out += ",\n";
      first = false;
      out += pad_in + json::serialize(json::string(kv.key())) + ": ";
      pretty(out, kv.value(), depth + 1);
    }
    out += "\n" + pad + "}";
  } else if (v.is_array()) {
    const auto& a = v.get_array();
    // Arrays of scalars (a sample, a list of names) stay on one line.
    const bool flat = std::all_of(a.begin(), a.end(), [](const json::value& x) { return !x.is_structured(); });
    if (a.empty() || flat) {
      out += json::serialize(v);
      return;
    }
    out += "[\n";
    bool first = true;
    for (const auto& x : a) {
      if (!first) out += ",\n";
      first = false;
      out += pad_in;
      pretty(out, x, depth + 1);
    }
    out += "\n" + pad + "]";
  } else {
    out += json::serialize(v);
  }
}

/// Everything but the probes, in the order to_json writes it.
json::object record_head(const RunRecord& r) {
  json::object head{
      {"schema_version", kRecordSchemaVersion},
      {"run_id", r.run_id},
      {"outcome", outcome_name(r.outcome)},
      {"exit_code", r.exit_code},
      {"error", r.error},
      {"environment", json::object{{"faultline_version", r.faultline_version},
                                   {"host", r.host},
                                   {"kernel", r.kernel},
                                   {"started_at", r.started_at},
                                   {"origin_monotonic_ns", r.origin_monotonic_ns},
                                   {"duration_ns", ns(r.duration)}}},
      {"seed", r.seed},
      {"ports", ports_json(r.ports)},
      {"scenario", scenario_json(r)},
      {"verdicts", array_of(r.verdicts, verdict_json)},
      {"statistics", statistics_json(r.statistics)},
      {"iterations", array_of(r.iterations, iteration_json)},
      {"faults", array_of(r.faults, fault_json)},
      {"steps", array_of(r.steps, step_json)},
      {"service_events", array_of(r.service_events, service_event_json)},
      {"links", array_of(r.links, link_json)},
      {"left_behind", strings_json(r.left_behind)},
  };
  if (!r.workloads.empty()) head["workloads"] = array_of(r.workloads, workload_json);
  head["stalls"] = array_of(r.stalls, [](const HarnessStall& s) {
    json::object o{{"start_ns", ns(s.start)}, {"end_ns", ns(s.end)}, {"probe", s.probe}};
    if (s.count > 1) {  // a span of several stalls (record/stall_spans.hpp)
      o["count"] = s.count;
      o["stalled_ns"] = ns(s.stalled_time());
      o["longest_ns"] = ns(s.longest_stall());
    }
    return o;
  });
  if (!r.scenario.strategies.empty()) head["strategies"] = strategies_json(r);  // issue 17
  if (r.partial) head["partial"] = partial_json(*r.partial);  // a run not (yet) concluded
  return head;
}

}  // namespace

json::value to_json(const RunRecord& r) {
  json::object out = record_head(r);
  out["probes"] = array_of(r.probes, probe_json);
  return out;
}

std::string pretty_json(const json::value& v) {
  std::string out;
  pretty(out, v, 0);
  out += "\n";
  return out;
}

std::string render_json(const RunRecord& r) {
  // Byte for byte pretty_json(to_json(r)), but the probes (the bulk of a long
  // drill's record) are converted and printed one at a time, so that the
  // JSON value of all of them never exists at once.
  std::string out;
  pretty(out, record_head(r), 0);
  out.resize(out.size() - 2);  // reopen the object: drop "\n}"
  out += ",\n  \"probes\": ";
  if (r.probes.empty()) {
    out += "[]";
  } else {
    out += "[\n";
    for (std::size_t i = 0; i < r.probes.size(); ++i) {
      out += i ? ",\n    " : "    ";
      pretty(out, probe_json(r.probes[i]), 2);
    }
    out += "\n  ]";
  }
  out += "\n}\n";
  return out;
}

}  // namespace faultline
