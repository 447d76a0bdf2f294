// The command line on a machine in trouble and in hostile hands (issue 16):
// special and oversized inputs, numbers out of range, output paths that
// cannot be written, two runs given one --out, temporaries of killed
// writers, a malformed ledger, a start-up that fails for want of
// descriptors, and signals in the first 100 ms of a command, when the
// namespace capability probe has a namespace of its own. Each case is a
// finding reproduced against the real binary, with its exit code and
// message asserted.
#include <doctest/doctest.h>

#include <sys/mount.h>
#include <sys/stat.h>

#include <mutex>
#include <random>
#include <regex>
#include <thread>

#include "harness.hpp"

using namespace itest;

namespace {

/// A quick links-mode scenario whose service leaves `marker` when started,
/// with an exec fault held for `hold`. The probe's timeout is far above its
/// interval: a fork of `true` that takes over 20 ms on a loaded machine is
/// still evidence (it would otherwise be harness-decided and, with only two
/// samples in the watch, make the run inconclusive: exit 3, not what these
/// cases test).
std::string quick_scenario(const fs::path& marker, const std::string& hold = "100ms") {
  return fmt::format(R"(name = "ex-cli"
steady_for = "40ms"
watch = "40ms"
[[service]]
name = "app"
command = "touch {}; exec sleep 30"
[[probe]]
name = "up"
kind = "exec"
command = "true"
interval = "20ms"
timeout = "2s"
[[fault]]
name = "noop"
kind = "exec"
apply = "true"
duration = "{}"
)",
                     marker.string(), hold);
}

/// A namespace scenario (the capability probe runs for validate, plan, run).
std::string namespace_scenario(const std::string& subnet) {
  return fmt::format(R"(name = "ex-ns"
network = "namespaces"
subnet = "{}"
steady_for = "40ms"
watch = "40ms"
[[service]]
name = "a"
command = "exec sleep 30"
[[service]]
name = "b"
command = "exec sleep 30"
[[probe]]
name = "hub"
kind = "exec"
command = "true"
interval = "20ms"
timeout = "2s"
[[fault]]
name = "split"
kind = "net.partition"
isolate = "a"
duration = "100ms"
)",
                     subnet);
}

/// Whether this machine can build network namespaces (root, iproute2).
bool can_build_namespaces(const TempDir& dir) {
  Spawned s = spawn({"ip", "netns", "add", "fl-excli-can"}, dir.path, "can-ns");
  if (wait_for(s, std::chrono::seconds(10)) != 0) return false;
  Spawned d = spawn({"ip", "netns", "delete", "fl-excli-can"}, dir.path, "can-ns-del");
  wait_for(d, std::chrono::seconds(10));
  return true;
}

/// `ip netns list`, one name per element.
std::vector<std::string> namespaces(const TempDir& dir) {
  static std::atomic<int> n{0};
  Spawned s = spawn({"ip", "netns", "list"}, dir.path, "netns-" + std::to_string(++n));
  wait_for(s, std::chrono::seconds(10));
  std::vector<std::string> out;
  std::istringstream in(read_file(s.out));
  std::string line;
  while (std::getline(in, line)) out.push_back(line.substr(0, line.find(' ')));
  return out;
}

/// The probe namespaces of the processes `pids` still in `ip netns list`.
std::vector<std::string> probe_namespaces_of(const TempDir& dir, const std::set<pid_t>& pids) {
  std::vector<std::string> out;
  for (const auto& ns : namespaces(dir))
    for (pid_t p : pids)
      if (ns == "fl-probe-" + std::to_string(p) || ns.starts_with("fl-probe-" + std::to_string(p) + "-"))
        out.push_back(ns);
  return out;
}

/// The namespaces of the runs whose --out is dir/PREFIX* (tag from each
/// run's ledger) still in `ip netns list`.
std::vector<std::string> run_namespaces_left(const TempDir& dir, const std::string& prefix) {
  std::set<std::string> tags;
  for (const auto& e : fs::directory_iterator(dir.path)) {
    if (!e.path().filename().string().starts_with(prefix) || !fs::exists(e.path() / "ledger.json")) continue;
    try {
      const auto l = read_json(e.path() / "ledger.json");
      const std::string tag(l.at("network_tag").as_string());
      if (!tag.empty()) tags.insert(tag);
    } catch (const std::exception&) {
      // a ledger being written when its run was killed: the state directory's copy is checked instead
    }
  }
  std::vector<std::string> out;
  for (const auto& ns : namespaces(dir))
    for (const auto& tag : tags)
      if (ns == "fl-" + tag || ns.starts_with("fl-" + tag + "-")) out.push_back(ns);
  return out;
}

/// Whether some process still runs `ip` on one of the namespaces of `pids`
/// (a probe command outlives its SIGKILLed prober by a few milliseconds).
bool probe_commands_running(const std::set<pid_t>& pids) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string cmdline = read_file(e.path() / "cmdline");
    for (pid_t p : pids)
      if (cmdline.find("fl-probe-" + std::to_string(p)) != std::string::npos) return true;
  }
  return false;
}

/// A pid that is certainly not running: a child that exited and was reaped.
pid_t dead_pid(const TempDir& dir) {
  Spawned s = spawn({"true"}, dir.path, "dead");
  wait_for(s, std::chrono::seconds(10));
  return s.pid;
}

/// No line of `text` holds a run of 30 digits (a range printed in full).
bool no_long_numbers(const std::string& text) { return !std::regex_search(text, std::regex("[0-9]{30}")); }

}  // namespace

TEST_CASE("exhaustion cli: special files and oversized inputs are refused before reading, exit 2") {
  TempDir dir;
  REQUIRE(::mkfifo((dir / "fifo.toml").c_str(), 0600) == 0);
  fs::create_directory(dir / "dir.toml");
  {
    // Over 1 MiB: a valid scenario padded with a comment.
    std::ofstream big(dir / "big.toml");
    big << quick_scenario(dir / "marker") << "# " << std::string(1 << 20, 'x') << "\n";
  }
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{"validate", "/dev/zero"}, "/dev/zero: error: is a character device, not a regular file"},
      {{"validate", (dir / "fifo.toml").string()}, "is a FIFO, not a regular file"},
      {{"validate", (dir / "dir.toml").string()}, "is a directory"},
      {{"validate", (dir / "big.toml").string()}, "over the limit of 1 MiB"},
      {{"plan", (dir / "fifo.toml").string()}, "is a FIFO, not a regular file"},
      {{"run", (dir / "fifo.toml").string()}, "is a FIFO, not a regular file"},
      {{"run", (dir / "big.toml").string()}, "over the limit of 1 MiB"},
      {{"report", "/dev/zero"}, "faultline report: /dev/zero: is a character device, not a regular file"},
      {{"report", (dir / "fifo.toml").string()}, "is a FIFO, not a regular file"},
  };
  for (const auto& c : cases) {
    const auto t0 = std::chrono::steady_clock::now();
    Result r = faultline(dir, c.args, std::chrono::seconds(20));
    CAPTURE(c.args[0]);
    CAPTURE(c.args[1]);
    INFO(r.out << r.err);
    CHECK(r.code == 2);
    CHECK(r.err.find(c.needle) != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
  }
  // A record over 256 MiB (sparse: no disk is used) is refused unread.
  { std::ofstream(dir / "huge.json") << "{"; }
  fs::resize_file(dir / "huge.json", (std::uintmax_t{256} << 20) + 1);
  Result r = faultline(dir, {"report", (dir / "huge.json").string()});
  INFO(r.err);
  CHECK(r.code == 2);
  CHECK(r.err.find("over the limit of 256 MiB") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "marker"));
}

TEST_CASE("exhaustion cli: --seed and --iterations out of range are refused in plain words naming the flag") {
  TempDir dir;
  write_file(dir / "s.toml", quick_scenario(dir / "marker"));
  const std::string s = (dir / "s.toml").string();
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{"run", s, "--seed", "-1"}, "--seed: expected a whole number from 0 to 18446744073709551615, got '-1'"},
      {{"run", s, "--seed", "18446744073709551616"},
       "--seed: expected a whole number from 0 to 18446744073709551615, got '18446744073709551616' (too large)"},
      {{"run", s, "--iterations", "0"}, "--iterations: expected a whole number from 1 to 2147483647, got '0'"},
      {{"run", s, "--iterations", "-3"}, "--iterations: expected a whole number from 1 to 2147483647, got '-3'"},
      {{"run", s, "--seed", "7x"}, "--seed: expected a whole number"},
      {{"plan", s, "--seed", "-1"}, "--seed: expected a whole number from 0 to 18446744073709551615, got '-1'"},
      {{"plan", s, "--iterations", "0"}, "--iterations: expected a whole number from 1 to 2147483647, got '0'"},
  };
  for (const auto& c : cases) {
    Result r = faultline(dir, c.args, std::chrono::seconds(20));
    CAPTURE(c.args[2] + " " + c.args[3]);
    INFO(r.out << r.err);
    CHECK(r.code == 2);
    CHECK(r.err.find(c.needle) != std::string::npos);
    CHECK(no_long_numbers(r.err));
  }
  CHECK_FALSE(fs::exists(dir / "marker"));
  // The largest seed is still a seed.
  Result ok = faultline(dir, {"plan", s, "--seed", "18446744073709551615"});
  CHECK(ok.code == 0);
}

TEST_CASE("exhaustion cli: output paths are checked before anything starts, exit 2 naming the flag") {
  TempDir dir;
  write_file(dir / "s.toml", quick_scenario(dir / "marker"));
  write_file(dir / "a-file", "x");
  fs::create_directory(dir / "a-dir");
  REQUIRE(::mkfifo((dir / "fifo.html").c_str(), 0600) == 0);
  // A read-only filesystem: a small tmpfs mounted read-only (root only).
  fs::create_directory(dir / "ro");
  const bool ro = ::mount("faultline-test", (dir / "ro").c_str(), "tmpfs", MS_RDONLY, "size=64k") == 0;
  struct Unmount {
    fs::path p;
    bool on;
    ~Unmount() {
      if (on) ::umount2(p.c_str(), MNT_DETACH);
    }
  } unmount{dir / "ro", ro};
  const std::string s = (dir / "s.toml").string();
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  };
  std::vector<Case> cases = {
      {{"run", s, "--out", "/proc/faultline-run"}, "--out: /proc/faultline-run: /proc is on /proc (procfs)"},
      {{"run", s, "--out", (dir / "a-file").string()}, "--out: " + (dir / "a-file").string() + " is a regular file, not a directory"},
      {{"run", s, "--out", (dir / "a-file" / "run").string()}, "is a regular file, not a directory"},
      {{"run", s, "--json", "/proc/version"}, "--json: /proc/version: /proc is on /proc (procfs)"},
      {{"run", s, "--json", (dir / "a-dir").string()}, "--json: " + (dir / "a-dir").string() + " is a directory"},
      // Not /dev/null itself: a faultline without this check renames its report over the target.
      {{"run", s, "--html", (dir / "fifo.html").string()}, "--html: " + (dir / "fifo.html").string() + " is a FIFO"},
      {{"run", s, "--junit", "/sys/faultline.xml"}, "--junit: /sys/faultline.xml: /sys is on sysfs"},
      {{"report", s, "--output", "/proc/version"}, "--output: /proc/version: /proc is on /proc (procfs)"},
      {{"init", "/proc/drill"}, "/proc (procfs)"},
  };
  if (ro) {
    cases.push_back({{"run", s, "--out", (dir / "ro" / "run").string()}, "--out: " + (dir / "ro" / "run").string() +
                                                                             ": " + (dir / "ro").string() +
                                                                             " is on a read-only filesystem"});
    cases.push_back({{"run", s, "--markdown", (dir / "ro" / "s.md").string()}, "--markdown: " +
                                                                                   (dir / "ro" / "s.md").string() + ": " +
                                                                                   (dir / "ro").string() +
                                                                                   " is on a read-only filesystem"});
    cases.push_back({{"report", s, "-o", (dir / "ro" / "r.md").string()}, "--output:"});
  } else {
    MESSAGE("not root: the read-only filesystem cases are skipped");
  }
  for (const auto& c : cases) {
    const auto t0 = std::chrono::steady_clock::now();
    Result r = faultline(dir, c.args, std::chrono::seconds(20));
    CAPTURE(c.args.back());
    INFO(r.out << r.err);
    CHECK(r.code == 2);
    CHECK(r.err.find(c.needle) != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));  // refused, not run
  }
  CHECK_FALSE(fs::exists(dir / "marker"));
}

TEST_CASE("exhaustion cli: two runs with one --out; a used --out needs --force, which empties only a run directory") {
  TempDir dir;
  write_file(dir / "s.toml", quick_scenario(dir / "marker", "30s"));
  write_file(dir / "quick.toml", quick_scenario(dir / "marker2"));
  const std::string out = (dir / "run").string();
  // The first run is held inside its fault, at a known moment.
  Spawned first = spawn({faultline_bin(), "run", (dir / "s.toml").string(), "--out", out}, dir.path, "first", dir.path,
                        {"FAULTLINE_TEST_BLOCK_IN=inject"});
  REQUIRE_MESSAGE(wait_for_text(first.err, "faultline-test-hook: in inject", std::chrono::seconds(30)),
                  read_file(first.out) << read_file(first.err));
  Result second = faultline(dir, {"run", (dir / "quick.toml").string(), "--out", out}, std::chrono::seconds(20));
  INFO(second.out << second.err);
  CHECK(second.code == 2);
  CHECK(second.err.find("--out: " + out + " is in use by run ") != std::string::npos);
  CHECK(second.err.find("a run directory belongs to one run") != std::string::npos);
  CHECK(second.err.find(std::to_string(first.pid)) != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "marker2"));  // the second started nothing
  ::kill(first.pid, SIGINT);
  CHECK(wait_for(first, std::chrono::seconds(30)) == 130);
  const std::string first_record = read_file(dir / "run" / "run.json");
  REQUIRE_FALSE(first_record.empty());

  // The directory now holds a run: refused without --force, nothing touched.
  Result again = faultline(dir, {"run", (dir / "quick.toml").string(), "--out", out});
  INFO(again.err);
  CHECK(again.code == 2);
  CHECK(again.err.find("--out: " + out + " is not empty (") != std::string::npos);
  CHECK(again.err.find("add --force to empty it first") != std::string::npos);
  CHECK(read_file(dir / "run" / "run.json") == first_record);

  // --force: emptied first; the new run's record replaces the old one, no file of it is left.
  write_file(dir / "run" / "services-leftover.aof", "old data");  // not a run's file: --force refuses
  Result foreign = faultline(dir, {"run", (dir / "quick.toml").string(), "--out", out, "--force"});
  CHECK(foreign.code == 2);
  CHECK(foreign.err.find("holds files that are not a faultline run's (") != std::string::npos);
  fs::remove(dir / "run" / "services-leftover.aof");
  Result forced = faultline(dir, {"run", (dir / "quick.toml").string(), "--out", out, "--force"});
  INFO(forced.out << forced.err);
  CHECK(forced.code == 0);
  CHECK(forced.err.find("--force: emptied " + out) != std::string::npos);
  CHECK(read_file(dir / "run" / "run.json") != first_record);
  CHECK(read_file(dir / "run" / "run.json").find("\"ex-cli\"") != std::string::npos);
}

TEST_CASE("exhaustion cli: temporaries of killed writers go with the next writer and with cleanup") {
  TempDir dir;
  write_file(dir / "s.toml", quick_scenario(dir / "marker"));
  Result run = faultline(dir, {"run", (dir / "s.toml").string(), "--out", (dir / "run").string()});
  REQUIRE(run.code == 0);
  // What a SIGKILLed `report --output x.md` leaves: its temporary, named after its pid.
  const pid_t gone = dead_pid(dir);
  const fs::path torn = dir / (".x.md.tmp" + std::to_string(gone));
  const fs::path other = dir / (".y.html.tmp" + std::to_string(gone));
  write_file(torn, "half a report");
  write_file(other, "half another");
  Result rep = faultline(dir, {"report", (dir / "run").string(), "--output", (dir / "x.md").string()});
  CHECK(rep.code == 0);
  CHECK_FALSE(fs::exists(torn));  // the next writer of x.md removed it
  CHECK(fs::exists(other));
  Result clean = faultline(dir, {"cleanup"});
  INFO(clean.out << clean.err);
  CHECK(clean.code == 0);
  CHECK_FALSE(fs::exists(other));  // cleanup sweeps the current directory
  CHECK(clean.out.find("removed " + std::string("./") + other.filename().string() +
                       ": a temporary file of a killed writer") != std::string::npos);
  CHECK(clean.out.find("nothing to clean up") == std::string::npos);
}

TEST_CASE("exhaustion cli: a malformed ledger is named with its path and a plain reason; never 'nothing to clean up'") {
  TempDir dir;
  fs::create_directories(dir / "state");
  write_file(dir / "state" / "torn.json", "{\"ledger_version\": 1, \"run_id\": ");
  write_file(dir / "state" / "wrong.json", "{\"ledger_version\": 1, \"run_id\": 7}");
  Result r = faultline(dir, {"cleanup"});
  INFO(r.out << r.err);
  CHECK(r.code == 4);
  CHECK(r.err.find("ledger " + (dir / "state" / "torn.json").string() + ": not a valid ledger: ") != std::string::npos);
  CHECK(r.err.find("ledger " + (dir / "state" / "wrong.json").string() + ": not a valid ledger: ") != std::string::npos);
  CHECK(r.err.find("2 ledger(s) could not be read") != std::string::npos);
  CHECK(r.err.find("boost") == std::string::npos);
  CHECK(r.err.find(".hpp") == std::string::npos);
  CHECK(r.out.find("nothing to clean up") == std::string::npos);
}

TEST_CASE("exhaustion cli: a start that fails for want of descriptors leaves no ledger that blocks the next run") {
  TempDir dir;
  write_file(dir / "s.toml", quick_scenario(dir / "marker"));
  const std::string s = (dir / "s.toml").string();
  // Descriptor limits around the start-up's needs (on the development
  // machine: 8 fails in the event loop's set-up, 9 writing the ledger, 10 to
  // 13 creating the watchdog's pipe; 14 starts and then cannot run probes).
  bool start_failed = false;
  for (int n = 8; n <= 13; ++n) {
    Spawned lim = spawn({"sh", "-c", fmt::format("ulimit -n {} && exec \"$0\" run \"$1\" --out \"$2\"", n),
                         faultline_bin(), s, (dir / ("lim" + std::to_string(n))).string()},
                        dir.path, "lim" + std::to_string(n));
    const int code = wait_for(lim, std::chrono::seconds(60));
    const std::string err = read_file(lim.err);
    CAPTURE(n);
    INFO(err);
    CHECK(code != -1);
    CHECK(code < 128);  // ended, not crashed
    if (err.find("watchdog") != std::string::npos) start_failed = true;
    // Whatever failed, the next run starts without `cleanup`.
    Result next = itest::faultline_judged(dir, {"run", s, "--out", (dir / ("next" + std::to_string(n))).string()});
    INFO(next.out << next.err);
    CHECK(next.code == 0);
    CHECK(next.err.find("died without reverting") == std::string::npos);
  }
  CHECK_MESSAGE(start_failed, "no descriptor limit made the watchdog's start fail");
}

TEST_CASE("exhaustion cli: a start that fails for want of processes leaves no ledger that blocks the next run") {
  // The finding "watchdog fork: Resource temporarily unavailable". Root
  // ignores RLIMIT_NPROC, so the limit is a pids cgroup the test makes (the
  // pids controller: cgroup v1's /sys/fs/cgroup/pids, else cgroup v2's root
  // when it offers "pids"); the run is moved into it before its first
  // instruction by the shell that then execs it.
  fs::path root = "/sys/fs/cgroup/pids";
  if (!fs::exists(root / "cgroup.procs")) {
    root = "/sys/fs/cgroup";
    REQUIRE_MESSAGE(read_file(root / "cgroup.controllers").find("pids") != std::string::npos,
                    "no pids controller on this machine (cgroup v1 pids or cgroup v2 with pids)");
  }
  TempDir dir;
  write_file(dir / "s.toml", quick_scenario(dir / "marker"));
  const std::string s = (dir / "s.toml").string();
  const fs::path cg = root / ("fl-test-pids-" + std::to_string(::getpid()));
  fs::create_directory(cg);
  bool fork_failed = false;
  for (int n = 1; n <= 4; ++n) {
    write_file(cg / "pids.max", std::to_string(n) + "\n");
    Spawned lim = spawn({"sh", "-c", "echo $$ > \"$3\" && exec \"$0\" run \"$1\" --out \"$2\"", faultline_bin(), s,
                         (dir / ("pids" + std::to_string(n))).string(), (cg / "cgroup.procs").string()},
                        dir.path, "pids" + std::to_string(n));
    const int code = wait_for(lim, std::chrono::seconds(60));
    const std::string err = read_file(lim.err);
    CAPTURE(n);
    INFO(err);
    CHECK(code != -1);
    CHECK(code < 128);  // ended, not crashed
    CHECK(code != 0);   // a start with at most 4 tasks cannot run the drill
    if (err.find("Resource temporarily unavailable") != std::string::npos) fork_failed = true;
    // Whatever failed, the next run (outside the limit) starts without `cleanup`.
    Result next = itest::faultline_judged(dir, {"run", s, "--out", (dir / ("after" + std::to_string(n))).string()});
    INFO(next.out << next.err);
    CHECK(next.code == 0);
    CHECK(next.err.find("died without reverting") == std::string::npos);
  }
  std::error_code ec;
  fs::remove(cg, ec);
  CHECK_MESSAGE(!ec, "the test's pids cgroup is not empty: ", ec.message());
  CHECK_MESSAGE(fork_failed, "no pids limit made a fork or thread of the start fail with EAGAIN");
}

TEST_CASE("exhaustion cli: a stale ledger whose run applied nothing is resolved by the next run with a note") {
  TempDir dir;
  write_file(dir / "s.toml", quick_scenario(dir / "marker"));
  fs::create_directories(dir / "state");
  fs::create_directories(dir / "old");
  const pid_t gone = dead_pid(dir);
  write_file(dir / "state" / "20260101-000000-abcdef.json",
             fmt::format(R"({{"ledger_version":1,"run_id":"20260101-000000-abcdef","scenario":"ex-cli","run_dir":"{}",)"
                         R"("harness_pid":{},"harness_start_time":1,"watchdog_pid":0,"network_tag":"","finished":false,)"
                         R"("processes":[],"faults":[]}})",
                         (dir / "old").string(), gone));
  Result r = faultline(dir, {"run", (dir / "s.toml").string(), "--out", (dir / "run").string()});
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK(r.err.find("note: run 20260101-000000-abcdef of 'ex-cli' died before leaving any fault applied") !=
        std::string::npos);
  CHECK(r.err.find("resolved it") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "state" / "20260101-000000-abcdef.json"));
  // One that may have left a fault applied still blocks, naming cleanup.
  write_file(dir / "state" / "20260101-000000-fedcba.json",
             fmt::format(R"({{"ledger_version":1,"run_id":"20260101-000000-fedcba","scenario":"ex-cli","run_dir":"{}",)"
                         R"("harness_pid":{},"harness_start_time":1,"watchdog_pid":0,"network_tag":"","finished":false,)"
                         R"("processes":[],"faults":[{{"id":"f1","fault":"noop","kind":"exec","state":"applied",)"
                         R"("undo":{{"kind":"none","pid":0,"start_time":0,"group":true,"argv":[],"timeout_ns":1}}}}]}})",
                         (dir / "old").string(), gone));
  Result blocked = faultline(dir, {"run", (dir / "s.toml").string(), "--out", (dir / "run2").string()});
  CHECK(blocked.code == 2);
  CHECK(blocked.err.find("faultline cleanup --run 20260101-000000-fedcba") != std::string::npos);
}

namespace {

/// Whether process `pid` has a handler for `sig` (SigCgt in /proc/PID/status).
bool catches(pid_t pid, int sig) {
  std::istringstream in(read_file(fs::path("/proc") / std::to_string(pid) / "status"));
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("SigCgt:")) return (std::stoull(line.substr(7), nullptr, 16) >> (sig - 1)) & 1;
  return false;
}

/// Whether the capability probe of `pid` has created its namespace.
bool probe_started(pid_t pid) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/run/netns", ec)) {
    const std::string n = e.path().filename().string();
    if (n == "fl-probe-" + std::to_string(pid) || n.starts_with("fl-probe-" + std::to_string(pid) + "-")) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("exhaustion cli: SIGINT at any moment of run's first 100 ms gives exit 130 and leaves nothing") {
  TempDir dir;
  const bool ns = can_build_namespaces(dir);
  write_file(dir / "s.toml", ns ? namespace_scenario("10.99.61.0/24") : quick_scenario(dir / "marker"));
  if (!ns) MESSAGE("no network namespaces here: the links-mode scenario is used");
  std::set<pid_t> pids;
  const auto t0 = std::chrono::steady_clock::now();
  // As from a terminal (SIGINT at its default) and as from a shell's
  // background job (SIGINT inherited ignored: how the finding lost it; the
  // signal is sent once main has begun, which must be before the probe).
  for (const bool inherited_ignore : {false, true}) {
    for (int ms = 0; ms <= 100; ms += 10) {
      const std::string out = (dir / fmt::format("run{}-{}", inherited_ignore ? "i" : "d", ms)).string();
      const std::string script = inherited_ignore ? "trap '' INT; exec \"$0\" run \"$1\" --out \"$2\""
                                                  : "exec \"$0\" run \"$1\" --out \"$2\"";
      Spawned run = spawn({"sh", "-c", script, faultline_bin(), (dir / "s.toml").string(), out}, dir.path,
                          fmt::format("int{}-{}", inherited_ignore, ms));
      pids.insert(run.pid);
      CAPTURE(inherited_ignore);
      CAPTURE(ms);
      if (inherited_ignore) {
        bool ready = false, probing = false;
        std::error_code no_exe;
        const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!ready && !probing && std::chrono::steady_clock::now() < limit) {
          ready = fs::read_symlink(fs::path("/proc") / std::to_string(run.pid) / "exe", no_exe) ==
                      fs::path(faultline_bin()) &&
                  catches(run.pid, SIGINT);
          probing = ns && probe_started(run.pid);
          if (!ready && !probing) std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        CHECK_MESSAGE(ready, "SIGINT was not caught before the capability probe began");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      ::kill(run.pid, SIGINT);
      const int code = wait_for(run, std::chrono::seconds(60));
      INFO(read_file(run.out) << read_file(run.err));
      CHECK(code == 130);
      if (inherited_ignore) CHECK((read_file(run.out) + read_file(run.err)).find("interrupted") != std::string::npos);
    }
  }
  MESSAGE(fmt::format("22 early SIGINTs in {} ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                                       std::chrono::steady_clock::now() - t0)
                                                       .count()));
  // Nothing left: no probe namespace, no run namespace, no unresolved ledger.
  CHECK(probe_namespaces_of(dir, pids).empty());
  CHECK(run_namespaces_left(dir, "run").empty());
  std::error_code ec;
  int ledgers = 0;
  for (const auto& e : fs::directory_iterator(dir / "state", ec)) ledgers += e.path().extension() == ".json";
  CHECK(ledgers == 0);
  Result next = faultline(dir, {"cleanup"});
  CHECK(next.out.find("nothing to clean up") != std::string::npos);
}

TEST_CASE("exhaustion cli: 100 SIGKILLs of validate, doctor and run in their first 100 ms leave no probe namespace") {
  TempDir dir;
  if (!can_build_namespaces(dir)) {
    MESSAGE("no network namespaces here: skipped");
    return;
  }
  write_file(dir / "s.toml", namespace_scenario("10.99.62.0/24"));
  const std::vector<std::vector<std::string>> commands = {
      {faultline_bin(), "validate", (dir / "s.toml").string()},
      {faultline_bin(), "doctor"},
      {faultline_bin(), "run", (dir / "s.toml").string()},
  };
  std::mutex mu;
  std::set<pid_t> pids;
  std::atomic<int> next{0}, killed_alive{0};
  const auto t0 = std::chrono::steady_clock::now();
  auto worker = [&](unsigned seed) {
    std::mt19937 rng(seed);
    for (int i; (i = next++) < 100;) {
      std::vector<std::string> argv = commands[i % 3];
      if (argv[1] == "run") {
        argv.push_back("--out");
        argv.push_back((dir / ("run" + std::to_string(i))).string());
      }
      Spawned s = spawn(argv, dir.path, "kill" + std::to_string(i));
      {
        std::lock_guard lock(mu);
        pids.insert(s.pid);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 101));
      if (::kill(s.pid, SIGKILL) == 0) ++killed_alive;
      wait_for(s, std::chrono::seconds(30));
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < 4; ++t) threads.emplace_back(worker, 1234 + t);
  for (auto& t : threads) t.join();
  // A probe command outlives its SIGKILLed prober for a few milliseconds.
  const auto settle = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (probe_commands_running(pids) && std::chrono::steady_clock::now() < settle)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::vector<std::string> left = probe_namespaces_of(dir, pids);
  MESSAGE(fmt::format("100 SIGKILLs ({} while running) in {} ms; probe namespaces left before cleanup: {}",
                      killed_alive.load(),
                      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count(),
                      left.size()));
  Result clean = faultline(dir, {"cleanup"});
  INFO(clean.out << clean.err);
  CHECK(clean.code == 0);
  for (const auto& ns : left) CHECK(clean.out.find("deleted network namespace " + ns) != std::string::npos);
  CHECK(probe_namespaces_of(dir, pids).empty());
  CHECK(run_namespaces_left(dir, "run").empty());
  // The runs' own namespaces (10.99.62.0/24) went with their watchdogs or cleanup: no ledger is left unresolved.
  std::error_code ec;
  int ledgers = 0;
  for (const auto& e : fs::directory_iterator(dir / "state", ec)) ledgers += e.path().extension() == ".json";
  CHECK(ledgers == 0);
}
