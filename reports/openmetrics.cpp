// render_openmetrics (openmetrics.hpp). Every family is a gauge (a drill's
// figures are a snapshot, not a running count), written family by family as
// OpenMetrics requires (all samples of a family together), with # TYPE,
// # HELP and, for times, # UNIT seconds. Label values are escaped (\\, \",
// \n); numbers are written in the shortest form that reads back exactly.
#include "reports/openmetrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <map>

namespace faultline {

namespace {

std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string sample(const std::string& name, const Labels& labels, double value) {
  std::string ls;
  for (const auto& [k, v] : labels) ls += fmt::format("{}{}=\"{}\"", ls.empty() ? "" : ",", k, escape(v));
  return fmt::format("{}{{{}}} {}\n", name, ls, value);
}

double seconds(Nanos n) { return std::chrono::duration<double>(n).count(); }

struct Family {
  std::string name, help, unit;
  std::function<void(const RunRecord&, const Labels&, std::string&)> samples;
};

void stats(const std::string& name, const Stats& s, const Labels& base, std::string& out) {
  if (s.count == 0) return;  // nothing observed: no sample
  for (const auto& [stat, v] : {std::pair{"mean", s.mean}, {"p50", s.p50}, {"p95", s.p95}, {"max", s.max}}) {
    Labels l = base;
    l.emplace_back("stat", stat);
    out += sample(name, l, seconds(v));
  }
}

/// One sample per probe (and "combined") of the run's availability: `percent` of each, as a ratio.
void availability(const std::string& name, double (Availability::*percent)() const, const RunRecord& r,
                  const Labels& base, std::string& out) {
  for (const auto& a : r.statistics.availability) {
    Labels l = base;
    l.emplace_back("probe", a.probe);
    out += sample(name, l, (a.*percent)() / 100.0);
  }
}

const std::vector<Family>& families() {
  static const std::vector<Family> all = {
      {"faultline_run_passed", "1 when the run passed, else 0", "",
       [](const RunRecord& r, const Labels& l, std::string& o) { o += sample("faultline_run_passed", l, r.outcome == Outcome::passed ? 1 : 0); }},
      {"faultline_run_exit_code", "the run's exit code (0 passed, 1 failed, 2 invalid, 3 inconclusive, 4 harness error)", "",
       [](const RunRecord& r, const Labels& l, std::string& o) { o += sample("faultline_run_exit_code", l, r.exit_code); }},
      {"faultline_run_iterations", "iterations that ran", "",
       [](const RunRecord& r, const Labels& l, std::string& o) {
         o += sample("faultline_run_iterations", l, static_cast<double>(r.iterations.size()));
       }},
      {"faultline_recovery_time_seconds", "recovery time (recovery - injection) over recovered iterations", "seconds",
       [](const RunRecord& r, const Labels& l, std::string& o) { stats("faultline_recovery_time_seconds", r.statistics.recovery_time, l, o); }},
      {"faultline_ttd_seconds", "time to detect (first failing sample - injection) over iterations with an impact", "seconds",
       [](const RunRecord& r, const Labels& l, std::string& o) { stats("faultline_ttd_seconds", r.statistics.ttd, l, o); }},
      {"faultline_ttr_seconds", "time to restore of every episode that recovered (stat=\"mean\" is the MTTR)", "seconds",
       [](const RunRecord& r, const Labels& l, std::string& o) { stats("faultline_ttr_seconds", r.statistics.ttr, l, o); }},
      {"faultline_mttr_seconds", "mean time to restore over all episodes that recovered", "seconds",
       [](const RunRecord& r, const Labels& l, std::string& o) {
         if (r.statistics.ttr.count) o += sample("faultline_mttr_seconds", l, seconds(r.statistics.ttr.mean));
       }},
      {"faultline_relapses", "relapses: new outages within the watch window after a recovery, over the run", "",
       [](const RunRecord& r, const Labels& l, std::string& o) { o += sample("faultline_relapses", l, r.statistics.recurrence); }},
      {"faultline_unrecovered_episodes", "episodes that did not recover before the deadline", "",
       [](const RunRecord& r, const Labels& l, std::string& o) {
         o += sample("faultline_unrecovered_episodes", l, static_cast<double>(r.statistics.unrecovered_episodes));
       }},
      {"faultline_availability_ratio", "observed time healthy / time observed, from injection to the end of the watch, per probe and combined", "ratio",
       [](const RunRecord& r, const Labels& l, std::string& o) {
         availability("faultline_availability_ratio", &Availability::percent, r, l, o);
       }},
      {"faultline_availability_low_ratio", "the lowest availability the samples allow (every moment they do not prove "
       "taken as failing), per probe and combined", "ratio",
       [](const RunRecord& r, const Labels& l, std::string& o) {
         availability("faultline_availability_low_ratio", &Availability::percent_low, r, l, o);
       }},
      {"faultline_availability_high_ratio", "the highest availability the samples allow (every moment they do not "
       "prove taken as healthy), per probe and combined", "ratio",
       [](const RunRecord& r, const Labels& l, std::string& o) {
         availability("faultline_availability_high_ratio", &Availability::percent_high, r, l, o);
       }},
      {"faultline_data_loss_writes", "acknowledged writes missing from the read, summed over iterations, per workload", "",
       [](const RunRecord& r, const Labels& l, std::string& o) {
         std::map<std::string, std::uint64_t> lost;
         for (const auto& w : r.workloads) lost[w.workload] += w.lost;
         for (const auto& [name, n] : lost) {
           Labels x = l;
           x.emplace_back("workload", name);
           o += sample("faultline_data_loss_writes", x, static_cast<double>(n));
         }
       }},
      {"faultline_data_loss_window_seconds", "the longest span of lost writes in an iteration, per workload", "seconds",
       [](const RunRecord& r, const Labels& l, std::string& o) {
         std::map<std::string, Nanos> window;
         for (const auto& w : r.workloads) window[w.workload] = std::max(window[w.workload], w.loss_window);
         for (const auto& [name, n] : window) {
           Labels x = l;
           x.emplace_back("workload", name);
           o += sample("faultline_data_loss_window_seconds", x, seconds(n));
         }
       }},
      {"faultline_integrity_failures", "iterations whose integrity check ([[verify]] integrity = true) found the data "
       "served damaged, per check", "",
       [](const RunRecord& r, const Labels& l, std::string& o) {
         std::map<std::string, std::uint64_t> failed;
         for (const auto& st : r.steps)
           if (st.phase == "verify" && st.integrity) failed[st.name] += st.ok ? 0 : 1;
         for (const auto& [name, n] : failed) {
           Labels x = l;
           x.emplace_back("check", name);
           o += sample("faultline_integrity_failures", x, static_cast<double>(n));
         }
       }},
      {"faultline_data_damaged_bytes", "bytes a data fault (file.corrupt, disk.full) changed in place, cut or added, "
       "summed over iterations, per fault", "bytes",
       [](const RunRecord& r, const Labels& l, std::string& o) {
         std::map<std::string, std::array<std::int64_t, 3>> bytes;
         for (const auto& f : r.faults)
           if (f.damage) {
             auto& b = bytes[f.fault];
             b[0] += f.damage->bytes_changed;
             b[1] += f.damage->bytes_cut;
             b[2] += f.damage->bytes_added;
           }
         for (const auto& [name, b] : bytes)
           for (std::size_t i = 0; i < 3; ++i) {
             Labels x = l;
             x.emplace_back("fault", name);
             x.emplace_back("how", i == 0 ? "changed" : i == 1 ? "cut" : "added");
             o += sample("faultline_data_damaged_bytes", x, static_cast<double>(b[i]));
           }
       }},
      {"faultline_verdict_passed",
       "1 for a verdict that passed, 0 for one that did not, per threshold and scope (a verify that never ran has none)",
       "",
       [](const RunRecord& r, const Labels& l, std::string& o) {
         for (const auto& v : r.verdicts) {
           if (v.not_run) continue;  // judged nothing
           Labels x = l;
           x.emplace_back("threshold", v.threshold);
           x.emplace_back("scope", v.scope);
           o += sample("faultline_verdict_passed", x, v.passed ? 1 : 0);
         }
       }},
  };
  return all;
}

}  // namespace

std::string render_openmetrics(const std::vector<RunRecord>& runs) {
  std::string out;
  for (const Family& f : families()) {
    std::string samples;
    for (const RunRecord& r : runs) f.samples(r, {{"scenario", r.scenario_name}}, samples);
    if (samples.empty()) continue;
    out += fmt::format("# TYPE {} gauge\n", f.name);
    if (!f.unit.empty()) out += fmt::format("# UNIT {} {}\n", f.name, f.unit);
    out += fmt::format("# HELP {} {}\n", f.name, f.help);
    out += samples;
  }
  return out + "# EOF\n";
}

}  // namespace faultline
