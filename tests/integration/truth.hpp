// Ground truth for measurement, shared by tests/integration/test_measurement_truth.cpp
// and tests/bench/recovery_accuracy.cpp: a scenario around the flaky_server
// fixture playing an outage pattern the test chooses (refusing, hanging, or
// holding requests until it is back), the server's own account of every
// transition (--truth: the CLOCK_MONOTONIC reading just before and just after
// each change), and faultline's record of the same run, lined up transition
// by transition: the point estimate, the bracket, and where the truth lies.
//
// The bracket of a transition is the record's own when it has one (an
// episode's start_bracket_ns / end_bracket_ns); a record without brackets gets the
// one the samples around the transition imply as they really ran: from the
// start of the last sample before it to the end of the first sample after
// it. An optional CPU hog keeps every core busy during the run (one busy
// loop per core, ordinary priority), as a loaded machine would.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <optional>
#include <thread>
#include <tuple>

#include "harness.hpp"

namespace itest::truth {

namespace json = boost::json;

/// One run against the ground-truth server.
struct Setup {
  std::int64_t interval_ns = 10'000'000;
  std::string mode = "refuse";  ///< refuse | hang | hold (flaky_server --mode)
  std::string kind = "tcp";     ///< the probe: tcp, or http (needed for hang and hold)
  /// One iteration's outage: down, up, down, ... durations in ns (down first).
  std::vector<std::int64_t> pattern;
  int iterations = 3;
  std::int64_t watch_ns = 0;       ///< 0: twice the longest up segment
  std::int64_t timeout_ns = 0;     ///< 0: the default
  int recovered_after = 3;
  bool hog = false;                ///< a busy loop on every core during the run
  std::int64_t cool_down_ns = 0;   ///< 0: max(50 ms, 2 intervals)
  std::string name = "truth";
};

/// One transition of the server, as it happened and as faultline measured it.
struct Transition {
  int iteration = 0;  ///< 1-based
  bool down = true;   ///< the server went down (an episode's start) or came back (its end)
  std::int64_t before = 0, after = 0;  ///< the truth lies in [before, after] (run offsets)
  std::int64_t measured = 0;           ///< the point estimate
  std::int64_t earliest = 0, latest = 0;  ///< the reported (or implied) bracket
  bool inside() const { return earliest <= after && before <= latest; }
  /// |measured - truth|, the truth taken as the nearer end of [before, after].
  std::int64_t error() const {
    if (measured < before) return before - measured;
    if (measured > after) return measured - after;
    return 0;
  }
};

/// What a run gave, lined up with the truth.
struct Outcome {
  int code = -1;
  std::string out, err;
  json::value record;
  bool record_brackets = false;  ///< the record had brackets of its own
  std::vector<Transition> transitions;
  std::vector<int> episodes;     ///< per iteration
  std::vector<int> relapses;     ///< per iteration
  /// Per iteration: the record's longest blind spot (0: its counts are exact)
  /// and the longest truth outage no episode matched (0: none was missed).
  std::vector<std::int64_t> blind, missed;
  bool time_availability = false;           ///< the record's availability is a share of time (up_ns)
  std::vector<double> availability;        ///< per iteration, combined, percent
  std::vector<double> truth_availability;  ///< the server's up share of the same window
  std::vector<std::int64_t> window_ns;     ///< each iteration's availability window
  /// The run's availability (every iteration's time summed: the figure the
  /// reports show and min_availability judges), and the truth's up share of
  /// the same windows summed.
  double run_availability = 100.0, run_truth_availability = 100.0;
  /// The run's availability bracket (percent_low, percent_high): every
  /// moment the samples do not prove taken as failing, or as healthy.
  double run_low = 0.0, run_high = 100.0;
  /// The truth's up share with each transition at the end of the server's
  /// own [before, after] that gives the least and the most up time.
  double run_truth_least = 100.0, run_truth_most = 100.0;
  /// The share of the run's observed time no trustworthy sample covered
  /// (the combined figure's unknown_ns), in points: the figure leaves it
  /// out, the truth does not, so they may differ by up to this much.
  double run_unknown_points = 0.0;
  std::int64_t stalls = 0;
  std::uint64_t skipped = 0, scheduled = 0;
  std::int64_t lateness_p99 = 0, lateness_max = 0;
  double load_before = 0, load_after = 0;  ///< the machine's 1-minute load average around the run
};

/// The 1-minute load average (/proc/loadavg).
inline double load_average() {
  std::istringstream in(read_file("/proc/loadavg"));
  double v = 0;
  in >> v;
  return v;
}

/// Whether other work left the machine unloaded around a run: the load
/// average below the number of cores before it and, without the run's own
/// CPU hog (which adds one runnable process per core), after it too.
inline bool unloaded(const Outcome& o, bool hog = false) {
  const double cores = static_cast<double>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  return o.load_before < cores && (hog || o.load_after < cores);
}

inline std::string duration_text(std::int64_t ns) { return fmt::format("{}us", ns / 1000); }

inline std::string pattern_text(const std::vector<std::int64_t>& p) {
  std::string out;
  for (std::size_t i = 0; i < p.size(); ++i)
    out += fmt::format("{}{}:{}", i ? "," : "", i % 2 == 0 ? "down" : "up", duration_text(p[i]));
  return out;
}

inline std::string scenario(const Setup& s) {
  std::int64_t longest_up = 0;
  for (std::size_t i = 1; i < s.pattern.size(); i += 2) longest_up = std::max(longest_up, s.pattern[i]);
  const std::int64_t watch = s.watch_ns ? s.watch_ns : std::max<std::int64_t>(2 * longest_up, 5 * s.interval_ns);
  std::int64_t total = 0;
  for (auto d : s.pattern) total += d;
  return fmt::format(R"(name = "{name}"
iterations = {iterations}
steady_for = "{steady}"
recovered_after = {recovered_after}
watch = "{watch}"
give_up_after = "{give_up}"
cool_down = "{cool_down}"

[[service]]
name = "app"
command = ["{server}", "--port", "{{port.app}}", "--control-port", "{{port.ctl}}",
           "--mode", "{mode}", "--events", "{{service.dir}}/events", "--truth", "{{service.dir}}/truth"]
ports = ["app", "ctl"]
[service.ready]
kind = "tcp"
port = "{{port.app}}"

[[probe]]
name = "probe"
kind = "{kind}"
port = "{{port.app}}"
interval = "{interval}"
{timeout}
[[fault]]
name = "outage"
kind = "exec"
apply = ["{server}", "--trigger", "{{port.ctl}}", "--pattern", "{pattern}"]
at = "{at}"
)",
                     fmt::arg("name", s.name), fmt::arg("iterations", s.iterations),
                     fmt::arg("steady", duration_text(std::max<std::int64_t>(100'000'000, 3 * s.interval_ns))),
                     fmt::arg("recovered_after", s.recovered_after), fmt::arg("watch", duration_text(watch)),
                     fmt::arg("give_up", duration_text(total + 5'000'000'000)),
                     fmt::arg("cool_down", duration_text(s.cool_down_ns ? s.cool_down_ns
                                                                         : std::max<std::int64_t>(50'000'000, 2 * s.interval_ns))),
                     fmt::arg("server", flaky_server_bin()), fmt::arg("mode", s.mode), fmt::arg("kind", s.kind),
                     fmt::arg("interval", duration_text(s.interval_ns)),
                     fmt::arg("timeout", s.timeout_ns ? fmt::format("timeout = \"{}\"\n", duration_text(s.timeout_ns)) : ""),
                     fmt::arg("pattern", pattern_text(s.pattern)),
                     fmt::arg("at", duration_text(std::max<std::int64_t>(20'000'000, 2 * s.interval_ns))));
}

/// A busy loop on every core while it lives (killed with its process group).
class CpuHog {
 public:
  explicit CpuHog(bool on) {
    if (!on) return;
    const long cores = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
    for (long i = 0; i < cores; ++i) {
      const pid_t pid = ::fork();
      if (pid == 0) {
        ::setpgid(0, 0);
        for (;;) asm volatile("");  // spins; the compiler may not remove it
      }
      if (pid > 0) pids_.push_back(pid);
    }
  }
  ~CpuHog() {
    for (pid_t p : pids_) ::kill(p, SIGKILL);
    for (pid_t p : pids_) ::waitpid(p, nullptr, 0);
  }
  CpuHog(const CpuHog&) = delete;
  CpuHog& operator=(const CpuHog&) = delete;

 private:
  std::vector<pid_t> pids_;
};

/// One sample the record keeps exactly.
struct Exact {
  std::int64_t start = 0, end = 0;
  bool ok = false;
};

/// The samples the record keeps exactly, in start order: every sample, or
/// the first and last of each run of equal outcome (which include every
/// sample next to a transition).
inline std::vector<Exact> exact_samples(const json::value& probe) {
  std::vector<Exact> out;
  if (const auto* samples = probe.as_object().if_contains("samples")) {
    for (const auto& s : samples->as_array()) out.push_back({s.at(0).as_int64(), s.at(1).as_int64(), s.at(2).as_bool()});
  } else {
    for (const auto& r : probe.at("runs").as_array()) {
      const bool ok = r.at("ok").as_bool();
      out.push_back({r.at("first").at(0).as_int64(), r.at("first").at(1).as_int64(), ok});
      if (r.at("count").as_int64() > 1) out.push_back({r.at("last").at(0).as_int64(), r.at("last").at(1).as_int64(), ok});
    }
  }
  std::sort(out.begin(), out.end(), [](const Exact& a, const Exact& b) { return a.start < b.start; });
  return out;
}

/// The bracket the samples imply around a transition measured at `t` (the
/// start of the first sample after it): [start of the sample before, end of
/// the one at t].
inline std::pair<std::int64_t, std::int64_t> implied_bracket(const std::vector<Exact>& samples, std::int64_t t) {
  auto it = std::lower_bound(samples.begin(), samples.end(), t, [](const Exact& e, std::int64_t v) { return e.start < v; });
  if (it == samples.end()) return {t, t};
  const std::int64_t latest = it->end;
  const std::int64_t earliest = it == samples.begin() ? t : std::prev(it)->start;
  return {earliest, latest};
}

/// A bracket of the record ([earliest_ns, latest_ns]), if present.
inline std::optional<std::pair<std::int64_t, std::int64_t>> record_bracket(const json::object& o, const char* key) {
  const auto* b = o.if_contains(key);
  if (!b || !b->is_array()) return std::nullopt;
  return std::pair{b->at(0).as_int64(), b->at(1).as_int64()};
}

/// The server's transitions from its --truth file: (down?, before, after).
inline std::vector<std::tuple<bool, std::int64_t, std::int64_t>> truth_events(const fs::path& file) {
  std::vector<std::tuple<bool, std::int64_t, std::int64_t>> out;
  std::istringstream in(read_file(file));
  std::string what;
  std::int64_t before = 0, after = 0;
  while (in >> what >> before >> after) out.emplace_back(what == "down", before, after);
  return out;
}

/// Time in [from, to) the server was up, by its own account: each
/// transition at the middle of its [before, after] (`lean` 0), or where it
/// gives the least up time (-1: downs at `before`, ups at `after`) or the
/// most (+1: the reverse).
inline std::int64_t up_ns(const std::vector<std::tuple<bool, std::int64_t, std::int64_t>>& events, std::int64_t from,
                          std::int64_t to, int lean = 0) {
  bool up = true;
  std::int64_t t = from, up_ns = 0;
  for (const auto& [down, before, after] : events) {
    const std::int64_t at = lean == 0 ? (before + after) / 2 : (down == (lean < 0)) ? before : after;
    if (at <= from) {
      up = !down;
      continue;
    }
    if (at >= to) break;
    if (up) up_ns += at - t;
    t = at;
    up = !down;
  }
  if (up) up_ns += to - t;
  return up_ns;
}

/// Share of [from, to) the server was up, by its own account (a transition at the middle of its [before, after]).
inline double up_share(const std::vector<std::tuple<bool, std::int64_t, std::int64_t>>& events, std::int64_t from,
                       std::int64_t to) {
  bool up = true;
  std::int64_t t = from, up_ns = 0;
  for (const auto& [down, before, after] : events) {
    const std::int64_t at = (before + after) / 2;
    if (at <= from) {
      up = !down;
      continue;
    }
    if (at >= to) break;
    if (up) up_ns += at - t;
    t = at;
    up = !down;
  }
  if (up) up_ns += to - t;
  return to > from ? 100.0 * static_cast<double>(up_ns) / static_cast<double>(to - from) : 100.0;
}

/// Runs `s` in `dir` and lines the record up with the server's account.
/// Throws when the run or its record does not have the expected shape.
inline Outcome run(const TempDir& dir, const Setup& s) {
  const fs::path file = dir / (s.name + ".toml");
  write_file(file, scenario(s));
  const fs::path out_dir = dir / ("run-" + s.name);
  Outcome o;
  o.load_before = load_average();
  {
    CpuHog hog(s.hog);
    Result r = faultline(dir, {"run", file.string(), "--out", out_dir.string(), "--quiet"}, std::chrono::minutes(10));
    o.code = r.code;
    o.out = r.out;
    o.err = r.err;
  }
  o.load_after = load_average();
  if (!fs::exists(out_dir / "run.json")) return o;
  o.record = read_json(out_dir / "run.json");
  const json::value& rec = o.record;
  const std::int64_t origin = rec.at("environment").at("origin_monotonic_ns").as_int64();
  auto events = truth_events(out_dir / "services" / "app" / "truth");
  for (auto& [down, before, after] : events) {
    before -= origin;
    after -= origin;
  }
  const auto& probe = rec.at("probes").at(0);
  const auto samples = exact_samples(probe);
  if (const auto* v = probe.as_object().if_contains("overruns")) o.skipped = v->to_number<std::uint64_t>();
  if (const auto* v = probe.as_object().if_contains("scheduled")) o.scheduled = v->to_number<std::uint64_t>();
  if (const auto* v = probe.as_object().if_contains("lateness")) {
    o.lateness_p99 = v->at("p99_ns").as_int64();
    o.lateness_max = v->at("max_ns").as_int64();
  }
  if (const auto* v = rec.as_object().if_contains("stalls")) o.stalls = static_cast<std::int64_t>(v->as_array().size());
  const std::size_t per_iteration = s.pattern.size() + (s.pattern.size() % 2);  // it always comes back up
  std::int64_t truth_up = 0, truth_total = 0, truth_up_least = 0, truth_up_most = 0;
  const auto& its = rec.at("iterations").as_array();
  if (events.size() != per_iteration * its.size())
    throw std::runtime_error(fmt::format("the server made {} transitions for {} iterations (expected {} each)",
                                         events.size(), its.size(), per_iteration));
  for (std::size_t i = 0; i < its.size(); ++i) {
    const auto& it = its[i].as_object();
    const auto& eps = it.at("episodes").as_array();
    o.episodes.push_back(static_cast<int>(eps.size()));
    o.relapses.push_back(static_cast<int>(it.at("relapses").as_int64()));
    const std::int64_t blind = it.contains("blind_ns") ? it.at("blind_ns").as_int64() : 0;
    o.blind.push_back(blind);
    // Which truth outage each episode measured: the k-th one while the
    // record says its counts are exact; across a blind spot (an outage may
    // have hidden in it) the one whose start is nearest the episode's.
    const std::size_t outages = per_iteration / 2;
    std::vector<std::size_t> match(eps.size());
    std::vector<bool> matched(outages, false);
    for (std::size_t e = 0; e < eps.size(); ++e) {
      match[e] = e;
      if (blind > 0) {
        const std::int64_t start = eps[e].at("start_ns").as_int64();
        auto distance = [&](std::size_t j) { return std::llabs(std::get<1>(events[per_iteration * i + 2 * j]) - start); };
        for (std::size_t j = 0; j < outages; ++j)
          if (distance(j) < distance(match[e])) match[e] = j;
      }
      if (match[e] < outages) matched[match[e]] = true;
    }
    std::int64_t missed = 0;
    for (std::size_t j = 0; j < outages; ++j)
      if (!matched[j])
        missed = std::max(missed, std::get<1>(events[per_iteration * i + 2 * j + 1]) -
                                      std::get<2>(events[per_iteration * i + 2 * j]));  // at least this long
    o.missed.push_back(missed);
    for (std::size_t e = 0; e < eps.size() && match[e] < outages; ++e) {
      const auto& ep = eps[e].as_object();
      for (int k = 0; k < 2; ++k) {
        const auto& [down, before, after] = events[per_iteration * i + 2 * match[e] + static_cast<std::size_t>(k)];
        Transition t;
        t.iteration = static_cast<int>(i + 1);
        t.down = down;
        t.before = before;
        t.after = after;
        const json::value& point = ep.at(k == 0 ? "start_ns" : "end_ns");
        if (point.is_null()) continue;  // not recovered: checked by the caller
        t.measured = point.as_int64();
        auto b = record_bracket(ep, k == 0 ? "start_bracket_ns" : "end_bracket_ns");
        o.record_brackets = o.record_brackets || b.has_value();
        if (!b) b = implied_bracket(samples, t.measured);
        t.earliest = b->first;
        t.latest = b->second;
        o.transitions.push_back(t);
      }
    }
    // The same span the record's availability covers: injection start to the end of observation.
    const json::value& start = it.contains("inject_start_ns") ? it.at("inject_start_ns") : it.at("inject_ns");
    const std::int64_t from = start.as_int64(), to = it.at("observed_until_ns").as_int64();
    o.window_ns.push_back(to - from);
    o.truth_availability.push_back(up_share(events, from, to));
    truth_up += up_ns(events, from, to);
    truth_up_least += up_ns(events, from, to, -1);
    truth_up_most += up_ns(events, from, to, +1);
    truth_total += to - from;
    for (const auto& a : it.at("availability").as_array())
      if (a.at("probe").as_string() == "combined") {
        o.availability.push_back(a.at("percent").as_double());
        o.time_availability = a.as_object().contains("up_ns");
      }
  }
  if (truth_total > 0) {
    o.run_truth_availability = 100.0 * static_cast<double>(truth_up) / static_cast<double>(truth_total);
    o.run_truth_least = 100.0 * static_cast<double>(truth_up_least) / static_cast<double>(truth_total);
    o.run_truth_most = 100.0 * static_cast<double>(truth_up_most) / static_cast<double>(truth_total);
  }
  for (const auto& a : rec.at("statistics").at("availability").as_array())
    if (a.at("probe").as_string() == "combined") {
      o.run_availability = a.at("percent").as_double();
      if (const auto* low = a.as_object().if_contains("percent_low")) {
        o.run_low = low->as_double();
        o.run_high = a.at("percent_high").as_double();
      }
      if (const auto* unknown = a.as_object().if_contains("unknown_ns")) {
        auto num = [](const boost::json::value& v) { return v.is_int64() ? static_cast<double>(v.as_int64()) : 0.0; };
        const double up = num(a.at("up_ns")), down = num(a.at("down_ns")), hidden = num(*unknown);
        if (up + down + hidden > 0) o.run_unknown_points = 100.0 * hidden / (up + down + hidden);
      }
    }
  return o;
}

/// Nearest-rank percentile of `v` (0 when empty).
inline std::int64_t percentile(std::vector<std::int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::max<std::size_t>(rank, 1) - 1];
}

/// The point errors of every transition.
inline std::vector<std::int64_t> errors(const Outcome& o) {
  std::vector<std::int64_t> out;
  for (const auto& t : o.transitions) out.push_back(t.error());
  return out;
}

/// Share of transitions whose truth lies inside the bracket, percent.
inline double coverage(const Outcome& o) {
  if (o.transitions.empty()) return 100.0;
  std::size_t in = 0;
  for (const auto& t : o.transitions) in += t.inside() ? 1 : 0;
  return 100.0 * static_cast<double>(in) / static_cast<double>(o.transitions.size());
}

/// A pattern of `downs` outages of d, 0.5 d, 0.75 d ... with up periods of `up` between: a flapping service.
inline std::vector<std::int64_t> flapping(std::int64_t down, std::int64_t up, int downs) {
  std::vector<std::int64_t> p;
  for (int k = 0; k < downs; ++k) {
    if (k) p.push_back(up);
    p.push_back(k == 0 ? down : (k % 2 ? down / 2 : down * 3 / 4));
  }
  return p;
}

}  // namespace itest::truth
