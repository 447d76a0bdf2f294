// The fault matrix's exhaustion column (issue 16): every reversible fault
// kind, with the machine failing under the run at an exact moment of the
// fault's life (inject, hold, revert: the FAULTLINE_TEST_BLOCK_IN hook of
// test_fault_matrix.cpp), then the harness interrupted or killed:
//   disk         the run directory's and the state directory's filesystem
//                (a 1 MiB tmpfs the cell mounts) filled to the last block;
//   descriptors  the harness's descriptor limit lowered (prlimit from
//                outside) to the lowest number it has free: every open,
//                pipe and socket fails with EMFILE from then on;
// each with SIGINT, SIGTERM (the harness reverts: exit 130/143, or 4 when it
// could not do everything) and SIGKILL (the watchdog reverts). After each
// cell: no process of the run (alive or stopped), no watchdog, no namespace,
// veth or nft table of its tag, no file of the exec fault, no cgroup, no
// ledger in the state directory (the next run starts without `cleanup`),
// within the grace time (10 s for the run to end, 5 s for what is left).
//
// 11 kinds x 3 moments x 2 exhaustions x 3 deaths = 198 cells, 17 s with 3
// at a time on the 2-core machine: CI runs the whole column.
// FAULTLINE_EXHAUSTION_CELLS=N runs a seeded random subset of N cells (the
// seed is printed; FAULTLINE_EXHAUSTION_SEED replays it).
#include <doctest/doctest.h>

#include <algorithm>
#include <mutex>
#include <random>

#include "exhaustion.hpp"
#include "matrix_scenario.hpp"

using namespace itest;
namespace json = boost::json;

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct Kind {
  std::string kind;
  std::string keys;  ///< {mark}: a file the fault creates
  bool namespaces = false;
  std::string label() const { return namespaces ? kind + " [namespaces]" : kind; }
};

const std::vector<Kind> kKinds = {
    {"process.pause", R"(target = "app")"},
    {"exec", "apply = [\"touch\", \"{mark}\"]\nrevert = [\"rm\", \"-f\", \"{mark}\"]"},
    {"net.latency", "target = \"front\"\nlatency = \"100ms\""},
    {"net.bandwidth", "target = \"front\"\nrate = \"10KB/s\""},
    {"net.blackhole", R"(target = "front")"},
    {"net.reset", R"(target = "front")"},
    {"net.slow_close", "target = \"front\"\ndelay = \"1s\""},
    {"net.slicer", "target = \"front\"\nsize = 1\ndelay = \"1ms\""},
    {"net.partition", R"(isolate = "app")"},
    {"net.partition", R"(isolate = "app")", true},
    {"net.bandwidth", "target = \"app\"\nrate = \"10KB/s\"", true},
};
const std::vector<std::string> kMoments = {"inject", "hold", "revert"};
const std::vector<std::string> kExhaustions = {"disk", "descriptors"};
const std::vector<int> kSignals = {SIGINT, SIGTERM, SIGKILL};

std::string scenario(const Kind& k, const std::string& moment, const fs::path& mark) {
  return matrix_scenario("exhaust", k.namespaces, matrix_fault(k.kind, moment, k.keys, mark));
}

struct Cell {
  const Kind* kind;
  std::string moment, exhaustion;
  int sig;
  std::string name() const {
    return fmt::format("{} / {} / {} / {}", kind->label(), moment, exhaustion, sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGKILL");
  }
};

/// Output lines of a command containing `needle`.
std::string lines_with(const fs::path& dir, const std::vector<std::string>& argv, const std::string& needle) {
  static std::atomic<int> n{0};
  Spawned s = spawn(argv, dir, "read-back-" + std::to_string(++n));
  wait_for(s, seconds(10));
  std::istringstream in(read_file(s.out));
  std::string line, out;
  while (std::getline(in, line))
    if (line.find(needle) != std::string::npos) out += line + " ";
  return out;
}

struct Facts {
  fs::path dir, state, mark;
  std::set<pid_t> pgids;
  pid_t watchdog = 0;
  std::string tag, cgroup;
};

std::string leftovers(const Facts& f) {
  std::string out;
  for (pid_t p : live_in_groups(f.pgids)) out += fmt::format("process {} ({}); ", p, state_of(p));
  if (const char st = state_of(f.watchdog); st != '-' && st != 'Z') out += "watchdog; ";
  if (fs::exists(f.mark)) out += "exec mark; ";
  if (!f.cgroup.empty() && fs::exists(f.cgroup)) out += "cgroup " + f.cgroup + "; ";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(f.state, ec))
    if (e.path().extension() == ".json") out += "ledger " + e.path().filename().string() + "; ";
  if (!f.tag.empty()) {
    if (auto l = lines_with(f.dir, {"ip", "netns", "list"}, "fl-" + f.tag); !l.empty()) out += "netns " + l + "; ";
    if (auto l = lines_with(f.dir, {"ip", "-o", "link"}, "fl" + f.tag); !l.empty()) out += "veth " + l + "; ";
    if (auto l = lines_with(f.dir, {"nft", "list", "tables"}, "faultline_" + f.tag); !l.empty()) out += "nft " + l + "; ";
  }
  return out;
}

/// Runs one cell; "" when it held, else what went wrong.
std::string run_cell(const Cell& c) {
  TempDir dir;
  Facts f{dir.path, dir / "state", dir / "applied.mark", {}, 0, "", ""};
  std::optional<Tmpfs> disk;
  if (c.exhaustion == "disk") disk.emplace(f.state, "1m");
  write_file(dir / "s.toml", scenario(*c.kind, c.moment, f.mark));
  Spawned run = spawn({faultline_bin(), "run", (dir / "s.toml").string(), "--out", (f.state / "run").string()},
                      dir.path, "run", {}, {"FAULTLINE_TEST_BLOCK_IN=" + c.moment});
  auto fail = [&](const std::string& why) {
    ::kill(run.pid, SIGKILL);
    wait_for(run, seconds(5));
    return why + "\n--- stderr\n" + read_file(run.err);
  };
  if (!wait_for_text(run.err, "faultline-test-hook: in " + c.moment, seconds(60))) return fail("never reached the moment");
  const json::value ledger = read_json(f.state / "run" / "ledger.json");
  f.watchdog = static_cast<pid_t>(ledger.at("watchdog_pid").as_int64());
  for (const auto& p : ledger.at("processes").as_array()) f.pgids.insert(static_cast<pid_t>(p.at("pid").as_int64()));
  if (const auto* t = ledger.as_object().if_contains("network_tag")) f.tag = std::string(t->as_string());
  if (const auto* g = ledger.as_object().if_contains("cgroup")) f.cgroup = std::string(g->as_string());
  if (f.pgids.size() != 2) return fail("the ledger does not list the 2 services");
  if (c.exhaustion == "disk") fill_disk(f.state);
  else if (exhaust_descriptors(run.pid) < 0) return fail("prlimit failed");
  ::kill(run.pid, c.sig);
  const auto t0 = Clock::now();
  const int code = wait_for(run, seconds(20));
  std::string problems;
  if (Clock::now() - t0 > seconds(10)) problems += "the run did not end within 10 s; ";
  if (code != 128 + c.sig && !(c.sig != SIGKILL && code == 4)) problems += fmt::format("exit {}; ", code);
  const auto deadline = Clock::now() + seconds(5);
  std::string left = leftovers(f);
  while (!left.empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
    left = leftovers(f);
  }
  if (!left.empty()) problems += "left: " + left;
  if (problems.empty()) return {};
  return problems + "\n--- stderr\n" + read_file(run.err) + "--- watchdog\n" +
         read_file(f.state / "run" / "logs" / "watchdog.log");
}

}  // namespace

TEST_CASE("fault matrix, exhaustion column: disk full or no descriptors at inject/hold/revert, then SIGINT/SIGTERM/SIGKILL") {
  std::vector<Cell> cells;
  for (const auto& k : kKinds)
    for (const auto& m : kMoments)
      for (const auto& e : kExhaustions)
        for (int s : kSignals) cells.push_back({&k, m, e, s});
  const char* want = std::getenv("FAULTLINE_EXHAUSTION_CELLS");
  const bool all = !want || !*want || std::string(want) == "all";
  const std::size_t n = all ? cells.size() : std::min<std::size_t>(cells.size(), std::max(1, std::atoi(want)));
  const char* seed_env = std::getenv("FAULTLINE_EXHAUSTION_SEED");
  const unsigned seed = seed_env && *seed_env ? static_cast<unsigned>(std::stoul(seed_env)) : std::random_device{}();
  if (!all) {
    std::mt19937 rng(seed);
    std::shuffle(cells.begin(), cells.end(), rng);
    cells.resize(n);
  }
  const int jobs = std::getenv("FAULTLINE_MATRIX_JOBS") ? std::max(1, std::atoi(std::getenv("FAULTLINE_MATRIX_JOBS"))) : 3;
  std::vector<std::string> results(cells.size());
  std::atomic<std::size_t> next{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> workers;
  for (int j = 0; j < jobs; ++j)
    workers.emplace_back([&] {
      for (std::size_t i = next++; i < cells.size(); i = next++) {
        try {
          results[i] = run_cell(cells[i]);
        } catch (const std::exception& e) {
          results[i] = std::string("error: ") + e.what();
        }
      }
    });
  for (auto& w : workers) w.join();
  int bad = 0;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    bad += results[i].empty() ? 0 : 1;
    CHECK_MESSAGE(results[i].empty(), cells[i].name() << ": " << results[i]);
  }
  fmt::print("fault matrix, exhaustion column: {} of 198 cells ({}; seed {}), {} job(s), {:.1f} s; cells that failed: {}\n",
             cells.size(), all ? "all" : "a seeded random subset", seed, jobs,
             std::chrono::duration<double>(Clock::now() - t0).count(), bad);
  std::fflush(stdout);
}
