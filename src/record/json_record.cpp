#include "record/json_record.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace faultline {

namespace json = boost::json;

namespace {

json::value ns(Nanos d) { return json::value(static_cast<std::int64_t>(d.count())); }
json::value ns(const std::optional<Nanos>& d) { return d ? ns(*d) : json::value(nullptr); }

const char* kind_name(ProbeKind k) {
  switch (k) {
    case ProbeKind::tcp: return "tcp";
    case ProbeKind::http: return "http";
    case ProbeKind::exec: return "exec";
  }
  return "?";
}

json::object stats_json(const Stats& s) {
  return {{"count", s.count}, {"mean_ns", ns(s.mean)},   {"p50_ns", ns(s.p50)},
          {"p95_ns", ns(s.p95)}, {"max_ns", ns(s.max)}, {"stddev_ns", ns(s.stddev)}};
}

json::array availability_json(const std::vector<Availability>& av) {
  json::array out;
  for (const auto& a : av)
    out.push_back(json::object{{"probe", a.probe}, {"ok", a.ok}, {"total", a.total}, {"percent", a.percent()}});
  return out;
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
  json::array services;
  for (const auto& svc : s.services) services.push_back(json::string(svc.name));
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
                   {"kind", kind_name(p.kind)},
                   {"interval_ns", ns(p.interval)},
                   {"steady_state", p.steady_state},
                   {"overruns", p.overruns},
                   {"sample_count", sample_count(p)}};
  if (keeps_every_sample(p)) {
    json::array samples;
    samples.reserve(p.samples.size());
    for (const auto& s : p.samples)
      samples.push_back(json::array{s.start.count(), s.end.count(), s.ok, json::string(s.detail)});
    out["samples"] = std::move(samples);
  } else {
    json::array runs;
    for (const auto& r : runs_of(p))
      runs.push_back(json::object{{"ok", r.ok},
                                  {"detail", r.detail},
                                  {"count", r.count},
                                  {"first", times_json(r.first)},
                                  {"last", times_json(r.last)},
                                  {"latency", json::object{{"min_ns", ns(r.latency_min)},
                                                           {"p50_ns", ns(r.latency_p50)},
                                                           {"max_ns", ns(r.latency_max)}}}});
    out["runs"] = std::move(runs);
  }
  return out;
}

json::array faults_json(const std::vector<FaultEvent>& faults) {
  json::array out;
  for (const auto& f : faults)
    out.push_back(json::object{{"iteration", f.iteration},
                               {"fault", f.fault},
                               {"kind", f.kind},
                               {"target", f.target},
                               {"inject_start_ns", ns(f.inject_start)},
                               {"inject_ns", ns(f.inject_end)},
                               {"revert_start_ns", ns(f.revert_start)},
                               {"revert_ns", ns(f.revert_end)},
                               {"ok", f.ok},
                               {"error", f.error}});
  return out;
}

json::array steps_json(const std::vector<StepOutcome>& steps) {
  json::array out;
  for (const auto& s : steps) {
    json::object o{{"iteration", s.iteration}, {"phase", s.phase},       {"name", s.name},
                   {"start_ns", ns(s.start)},  {"end_ns", ns(s.end)},    {"exit_code", s.exit_code},
                   {"timed_out", s.timed_out}, {"ok", s.ok},             {"output", s.output}};
    if (s.phase == "recovery") {
      o["trigger"] = s.trigger;
      o["ran"] = s.ran;
    }
    out.push_back(std::move(o));
  }
  return out;
}

json::array service_events_json(const std::vector<ServiceEvent>& events) {
  json::array out;
  for (const auto& e : events)
    out.push_back(json::object{{"service", e.service}, {"what", e.what}, {"at_ns", ns(e.at)}, {"detail", e.detail}});
  return out;
}

json::object latency_summary_json(const LatencySummary& l) {
  return {{"count", l.count}, {"p50_ns", ns(l.p50)}, {"p99_ns", ns(l.p99)}};
}

json::array latency_json(const std::vector<ProbeLatency>& latency) {
  json::array out;
  for (const auto& l : latency)
    out.push_back(json::object{{"probe", l.probe},
                               {"before", latency_summary_json(l.before)},
                               {"during", latency_summary_json(l.during)},
                               {"after", latency_summary_json(l.after)}});
  return out;
}

json::array workloads_json(const std::vector<WorkloadResult>& results) {
  json::array out;
  for (const auto& r : results) {
    json::array lost;
    for (auto seq : r.lost_seqs) lost.push_back(seq);
    out.push_back(json::object{{"workload", r.workload},
                               {"iteration", r.iteration},
                               {"first_seq", r.first_seq},
                               {"last_seq", r.last_seq},
                               {"writes", r.writes},
                               {"acknowledged", r.acknowledged},
                               {"errors", r.errors},
                               {"read_ok", r.read_ok},
                               {"read_error", r.read_error},
                               {"lost", r.lost},
                               {"lost_seqs", lost},
                               {"lost_from_ns", ns(r.lost_from)},
                               {"lost_to_ns", ns(r.lost_to)},
                               {"loss_window_ns", ns(r.loss_window)},
                               {"fault", json::object{{"from_ns", ns(r.fault_from)},
                                                      {"to_ns", ns(r.fault_to)},
                                                      {"writes", r.fault_writes},
                                                      {"errors", r.fault_errors},
                                                      {"latency_p50_ns", ns(r.fault_latency_p50)},
                                                      {"latency_p99_ns", ns(r.fault_latency_p99)}}}});
  }
  return out;
}

json::array iterations_json(const std::vector<IterationMetrics>& its) {
  json::array out;
  for (const auto& m : its) {
    json::array episodes;
    for (const auto& e : m.episodes) {
      json::array probes;
      for (const auto& p : e.failing_probes) probes.push_back(json::string(p));
      episodes.push_back(json::object{{"start_ns", ns(e.start)},
                                      {"end_ns", ns(e.end)},
                                      {"ttr_ns", ns(e.ttr())},
                                      {"relapse", e.relapse},
                                      {"failing_probes", probes}});
    }
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
                               {"episodes", episodes},
                               {"availability", availability_json(m.availability)},
                               {"latency", latency_json(m.latency)}};
    if (m.time_to_mitigate) it["time_to_mitigate_ns"] = ns(m.time_to_mitigate);
    if (m.runbook_duration) it["runbook_duration_ns"] = ns(m.runbook_duration);
    out.push_back(std::move(it));
  }
  return out;
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

json::array links_json(const std::vector<LinkStats>& links) {
  json::array out;
  for (const auto& l : links) {
    json::array faults;
    for (const auto& w : l.faults)
      faults.push_back(json::object{{"fault", w.fault},
                                    {"kind", w.kind},
                                    {"iteration", w.iteration},
                                    {"start_ns", ns(w.start)},
                                    {"end_ns", ns(w.end)},
                                    {"connections", w.connections}});
    out.push_back(json::object{{"name", l.name},
                               {"to", l.to},
                               {"port", l.port},
                               {"connections", l.connections},
                               {"bytes_upstream", l.bytes_upstream},
                               {"bytes_downstream", l.bytes_downstream},
                               {"discarded_upstream", l.discarded_upstream},
                               {"discarded_downstream", l.discarded_downstream},
                               {"resets", l.resets},
                               {"faults", faults}});
  }
  return out;
}

json::array verdicts_json(const std::vector<Verdict>& verdicts) {
  json::array out;
  for (const auto& v : verdicts)
    out.push_back(json::object{{"threshold", v.threshold}, {"scope", v.scope},   {"passed", v.passed},
                               {"measured", v.measured},   {"limit", v.limit},   {"margin", v.margin},
                               {"detail", v.detail}});
  return out;
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
  json::array left;
  for (const auto& l : r.left_behind) left.push_back(json::string(l));
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
      {"verdicts", verdicts_json(r.verdicts)},
      {"statistics", statistics_json(r.statistics)},
      {"iterations", iterations_json(r.iterations)},
      {"faults", faults_json(r.faults)},
      {"steps", steps_json(r.steps)},
      {"service_events", service_events_json(r.service_events)},
      {"links", links_json(r.links)},
      {"left_behind", left},
  };
  if (!r.workloads.empty()) head["workloads"] = workloads_json(r.workloads);
  return head;
}

}  // namespace

json::value to_json(const RunRecord& r) {
  json::object out = record_head(r);
  json::array probes;
  for (const auto& p : r.probes) probes.push_back(probe_json(p));
  out["probes"] = std::move(probes);
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
