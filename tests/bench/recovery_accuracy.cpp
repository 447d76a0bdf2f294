// Benchmark: how exact is faultline's recovery time? Runs a server whose
// outages are scripted (tests/fixtures/flaky_server, logging its own
// transitions on CLOCK_MONOTONIC) under faultline at probe intervals of 1 ms,
// 10 ms and 100 ms, and compares each measured recovery time with the
// server's own account. The peer, measured in the same run, is a prober at
// 1 s resolution (what Kubernetes probes and the chaos tools in the field
// observe at): its error is computed from the same samples, keeping only the
// first sample of each second.
//
//   ninja -C build tests/bench/recovery_accuracy
//   FAULTLINE_BIN=build/faultline FAULTLINE_FLAKY_SERVER=build/tests/flaky_server FAULTLINE_SOURCE_ROOT=. build/tests/bench/recovery_accuracy [episodes per interval]
//
// Target (issue 3): error p99 <= interval + 1 ms.
#include <algorithm>
#include <cstdio>
#include <fmt/format.h>
#include <limits>

#include "harness.hpp"

using namespace itest;
namespace json = boost::json;

namespace {

struct Errors {
  std::vector<std::int64_t> ours;  ///< |measured - truth| ns
  std::vector<std::int64_t> peer;  ///< the 1 s prober's |error| ns
};

std::int64_t pct(std::vector<std::int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::max<std::size_t>(rank, 1) - 1];
}

/// Consecutive samples with one outcome, from the first's start to the last's.
struct Stretch {
  std::int64_t first = 0, last = 0;
  bool ok = false;
};

/// A probe's samples as stretches, whether the record keeps every sample
/// (a stretch each) or runs of equal outcome (a 1 ms probe over many episodes).
std::vector<Stretch> stretches_of(const json::object& probe) {
  std::vector<Stretch> out;
  if (const auto* samples = probe.if_contains("samples"))
    for (const auto& s : samples->as_array())
      out.push_back({s.at(0).as_int64(), s.at(0).as_int64(), s.at(2).as_bool()});
  else
    for (const auto& r : probe.at("runs").as_array())
      out.push_back({r.at("first").at(0).as_int64(), r.at("last").at(0).as_int64(), r.at("ok").as_bool()});
  return out;
}

/// The recovery time a prober that looks once per second would report:
/// ticks at t_inject + phase + k * 1 s (the phase differs per episode), each
/// reading the outcome of our own sample nearest after it; its recovery is
/// the first ok tick after a failing one, minus t_inject. -1 when the ticks
/// within [t_inject, until) never see the outage end. Inside a run of several
/// samples the record does not keep the one after a tick, so its start is
/// taken as the tick itself: less than one probe interval early, against the
/// peer's error of up to a second.
std::int64_t peer_recovery(const std::vector<Stretch>& stretches, std::int64_t t_inject, std::int64_t until,
                           std::int64_t phase) {
  bool seen_fail = false;
  std::size_t i = 0;
  for (std::int64_t tick = t_inject + phase; tick < until; tick += 1'000'000'000) {
    while (i < stretches.size() && stretches[i].last < tick) ++i;
    if (i >= stretches.size()) break;
    const std::int64_t start = std::max(stretches[i].first, tick);
    if (start >= until) break;
    if (!stretches[i].ok) seen_fail = true;
    else if (seen_fail) return start - t_inject;
  }
  return -1;
}

Errors run_interval(const TempDir& dir, const std::string& interval, int episodes) {
  const std::string server = flaky_server_bin();
  const fs::path file = dir / ("accuracy-" + interval + ".toml");
  write_file(file, fmt::format(R"(name = "accuracy-{interval}"
iterations = {episodes}
steady_for = "200ms"
recovered_after = 2
watch = "0s"
give_up_after = "10s"
cool_down = "1s"    # so that the 1 s peer always gets a tick while the system is up
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
interval = "{interval}"
timeout = "200ms"
[[fault]]
name = "outage"
kind = "exec"
apply = ["{server}", "--trigger", "{{port.ctl}}", "--pattern", "down:1500ms"]
at = ["0ms", "50ms"]
)",
                               fmt::arg("interval", interval), fmt::arg("episodes", episodes),
                               fmt::arg("server", server)));
  const fs::path out = dir / ("run-" + interval);
  Result r = faultline(dir, {"run", file.string(), "--out", out.string(), "--quiet", "--seed", "1"},
                       std::chrono::minutes(30));
  if (r.code != 0) throw std::runtime_error("faultline exited " + std::to_string(r.code) + "\n" + r.out + r.err);
  const json::value rec = read_json(out / "run.json");
  const std::int64_t origin = rec.at("environment").at("origin_monotonic_ns").as_int64();
  const auto events = server_events(out / "services" / "app" / "events");
  const auto& its = rec.at("iterations").as_array();
  const auto stretches = stretches_of(rec.at("probes").at(0).as_object());
  Errors e;
  for (std::size_t i = 0; i < its.size() && 2 * i + 1 < events.size(); ++i) {
    const std::int64_t t_inject = its[i].at("inject_ns").as_int64();
    const std::int64_t truth = events[2 * i + 1].second - origin - t_inject;
    if (!its[i].at("recovered").as_bool()) continue;
    e.ours.push_back(std::llabs(its[i].at("recovery_time_ns").as_int64() - truth));
    // The peer keeps looking until the next injection (the system is up and
    // probed between iterations too).
    const std::int64_t until = i + 1 < its.size() ? its[i + 1].at("inject_start_ns").as_int64()
                                                  : std::numeric_limits<std::int64_t>::max();
    const std::int64_t phase = static_cast<std::int64_t>(i) * 370'000'000 % 1'000'000'000;
    const std::int64_t peer = peer_recovery(stretches, t_inject, until, phase);
    if (peer >= 0) e.peer.push_back(std::llabs(peer - truth));
  }
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  const int episodes = argc > 1 ? std::atoi(argv[1]) : 30;
  TempDir dir;
  fmt::print("recovery-time error against ground truth, {} episodes per interval (1.5 s outages)\n", episodes);
  fmt::print("{:>9} {:>8} {:>12} {:>12} {:>12} {:>14} {:>16} {:>8}\n", "interval", "n", "p50", "p99", "max",
             "target p99", "1 s prober p99", "ratio");
  bool all_met = true;
  for (const auto& [interval, ns] : {std::pair{"1ms", 1'000'000LL}, {"10ms", 10'000'000LL}, {"100ms", 100'000'000LL}}) {
    const Errors e = run_interval(dir, interval, episodes);
    const std::int64_t p99 = pct(e.ours, 0.99);
    const std::int64_t peer99 = pct(e.peer, 0.99);
    const bool met = p99 <= ns + 1'000'000;
    all_met &= met;
    fmt::print("{:>9} {:>8} {:>9.3f} ms {:>9.3f} ms {:>9.3f} ms {:>8.3f} ms {} {:>13.3f} ms {:>7.1f}x\n", interval,
               e.ours.size(), pct(e.ours, 0.5) / 1e6, p99 / 1e6, pct(e.ours, 1.0) / 1e6, (ns + 1'000'000) / 1e6,
               met ? "ok  " : "MISS", peer99 / 1e6, p99 > 0 ? static_cast<double>(peer99) / static_cast<double>(p99) : 0.0);
  }
  return all_met ? 0 : 1;
}
