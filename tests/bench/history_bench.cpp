// `faultline history` over a large store (issue 18: under 200 ms over
// 10,000 runs). Fills a fresh SQLite store with N synthetic runs (3
// iterations and 4 verdicts each, 20 scenarios, 50 labels) through the
// store's own writer, then times the real binary answering: the default
// table (last 20), every run as JSON, and --check over every run. The peer
// is `faultline --version`: the process's own start-up, the floor of any
// command. Median and max of 7 runs each, wall clock, and the median CPU
// time (user + system): on a machine loaded by others the wall clock also
// counts the time spent waiting for a core.
//
//   ninja -C build tests/bench/history_bench
//   build/tests/bench/history_bench build/faultline 10000 [--keep]
// (--keep leaves the store in place and prints where, for perf and the like)
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include "history/sqlite_store.hpp"

using namespace faultline;
using namespace std::chrono_literals;

namespace {

RunRow synthetic(int i) {
  RunRow r;
  r.run_id = fmt::format("bench-{:06}", i);
  r.scenario = fmt::format("scenario-{}", i % 20);
  r.scenario_digest = "sha1:0123456789abcdef";
  r.label = fmt::format("v{}", i / 200);
  r.host = "bench";
  r.faultline_version = "0.1.0";
  r.started_at = fmt::format("2026-{:02}-{:02}T{:02}:{:02}:{:02}Z", 1 + (i / 28800) % 12, 1 + (i / 1440) % 28,
                             (i / 60) % 24, i % 60, i % 7);
  r.seed = static_cast<std::uint64_t>(i);
  r.outcome = i % 17 == 0 ? "failed" : "passed";
  r.exit_code = r.outcome == "passed" ? 0 : 1;
  r.duration = 30s;
  r.give_up_after = 30s;
  r.iterations = 3;
  const Nanos base = 200ms + Nanos(static_cast<std::int64_t>((i * 7919) % 50) * 1'000'000);
  for (int k = 1; k <= 3; ++k) {
    IterationRow it;
    it.index = k, it.ttd = 20ms, it.ttr = base - 20ms, it.recovery_time = base + Nanos(k * 1'000'000);
    it.uncertainty = 100ms;
    it.recovery_bracket = Bracket{*it.recovery_time - 100ms, *it.recovery_time + 100ms};
    r.iteration_rows.push_back(it);
  }
  r.recovery_max = r.recovery_p95 = base + 3ms;
  r.mttr = base - 20ms;
  r.ttr_p50 = r.ttr_p95 = base - 20ms;
  r.episodes = 3;
  r.availability = 0.97;
  r.record_path = "/runs/" + r.run_id + "/run.json";
  for (const char* t : {"rto", "ttd", "mttr", "min_availability"}) r.verdicts.push_back({t, "run", true, "1 ms", "2 ms"});
  return r;
}

struct Timing {
  double median_ms = 0, max_ms = 0;
  double cpu_median_ms = 0;  ///< user + system time of the command (and its shell)
};

double children_cpu_ms() {
  rusage u{};
  ::getrusage(RUSAGE_CHILDREN, &u);
  auto ms = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3; };
  return ms(u.ru_utime) + ms(u.ru_stime);
}

/// Wall-clock and CPU time: on a machine loaded by others the wall clock
/// includes the time the command waited for a core, the CPU time does not.
Timing time_command(const std::string& command) {
  std::vector<double> ms, cpu;
  for (int i = 0; i < 7; ++i) {
    const double c0 = children_cpu_ms();
    const auto t0 = std::chrono::steady_clock::now();
    if (std::system((command + " >/dev/null").c_str()) == -1) std::exit(1);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    cpu.push_back(children_cpu_ms() - c0);
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu.begin(), cpu.end());
  return {ms[ms.size() / 2], ms.back(), cpu[cpu.size() / 2]};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: history_bench FAULTLINE_BIN [RUNS] [--keep]\n");
    return 2;
  }
  const std::string bin = argv[1];
  const int runs = argc > 2 ? std::atoi(argv[2]) : 10000;
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("faultline-history-bench-{}", ::getpid());
  std::filesystem::create_directories(dir);
  const std::string store = (dir / "history.sqlite").string();
  const auto t0 = std::chrono::steady_clock::now();
  {
    auto s = open_sqlite_history(store, true);
    for (int i = 0; i < runs; ++i) s->add(synthetic(i));
  }
  const double fill = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  fmt::print("filled {} runs in {:.0f} ms ({:.2f} ms per run, one transaction each); store {} KiB\n", runs, fill,
             fill / runs, std::filesystem::file_size(store) / 1024);
  const std::string h = bin + " history --history " + store;
  fmt::print("| command | median | max | CPU (median) |\n|---|---|---|---|\n");
  for (const auto& [name, cmd] : std::vector<std::pair<std::string, std::string>>{
           {"faultline --version (peer: start-up)", bin + " --version"},
           {"faultline history (last 20)", h},
           {"faultline history scenario-3 --last 0", h + " scenario-3 --last 0"},
           {"faultline history --last 0 --format json", h + " --last 0 --format json"},
           {"faultline history --check (every run)", h + " --check"},
           {"faultline history --last 0 --format html", h + " --last 0 --format html"}}) {
    const Timing t = time_command(cmd);
    fmt::print("| `{}` | {:.1f} ms | {:.1f} ms | {:.1f} ms |\n", name, t.median_ms, t.max_ms, t.cpu_median_ms);
  }
  if (argc > 3 && std::string(argv[3]) == "--keep") fmt::print("store kept: {}\n", store);
  else std::filesystem::remove_all(dir);
  return 0;
}
