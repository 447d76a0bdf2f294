// The fault matrix (issue 7): every reversible fault kind x every way the
// harness dies x every moment of a fault's life, and after each cell the
// system is read back to prove nothing of the run is left.
//
// Deaths: SIGINT and SIGTERM (the harness reverts, exit 130 / 143), SIGKILL
// with the watchdog alone recovering, and SIGKILL of the watchdog and then
// the harness, recovered by `faultline cleanup --run ID`.
//
// Moments: the run is made to wait at an exact point by the test hook
// FAULTLINE_TEST_BLOCK_IN (src/run/runner.cpp, Run::test_hook): it prints
// "faultline-test-hook: in MOMENT of fault 'NAME'" on stderr and waits for a
// signal, so the signal lands there and nowhere else, with no sleep:
//   inject  the injector applied the fault, the ledger still says "applying";
//   hold    the ledger says "applied" (the fault's hold);
//   revert  the revert began, the injector has not acted yet.
//
// Leftovers read back after each cell (the kLeftoverChecks table): live or
// stopped processes of the run's process groups, the watchdog, listening
// sockets the run had open (by socket inode, so that a port another cell
// binds later is not mistaken for ours), files an exec fault's apply created,
// an unresolved ledger, and the run's network namespaces, veths and nft
// tables (found by the run's tag, as `faultline cleanup` finds them); for
// the data faults (issue 19), a damaged file that is not its original again
// byte for byte, a saved copy left in the run directory, and a mount of the
// run's (a tmpfs, or file.io's FUSE passthrough, found by its source too);
// for the resource faults (issue 20), a cgroup of the run's (the ledger's
// resource_cgroups) and a stress-ng process of the run's; for clock.skew,
// its control files and any process still preloaded with them.
//
// Namespace kinds (network = "namespaces": nft partition, tbf, netem) run
// the same cells on a scenario of their own: a Redis server on a host of its
// own, probed from the hub. net.latency there needs sch_netem, which some
// kernels lack; the matrix takes it in only where `faultline doctor`
// reports netem (validate refuses it elsewhere, tested in
// test_namespaces.cpp).
//
// The cells run a few at a time (FAULTLINE_MATRIX_JOBS, default 3: each cell
// mostly waits), FAULTLINE_MATRIX_REPETITIONS times (default 5), for every
// kind or those FAULTLINE_MATRIX_KINDS names (label prefixes, comma-separated:
// "http.", "file.corrupt,disk.full"). The first repetition runs the build's
// own faultline (FAULTLINE_BIN: sanitized in CI), the others the optimized
// one when FAULTLINE_OPTIMIZED_BIN names it (tests/check.sh). The matrix
// is printed, in the form docs/reliability.md shows.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <ctime>
#include <functional>
#include <map>
#include <exception>
#include <mutex>
#include <thread>

#include "harness.hpp"
#include "matrix_scenario.hpp"

using namespace itest;
namespace json = boost::json;

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// A reversible fault kind and the [[fault]] keys that make it act.
struct KindCase {
  std::string kind;
  std::string keys;  ///< beside name, kind and duration; {mark} = a file the fault creates
  bool namespaces = false;  ///< network = "namespaces" (else proxied links)
  /// How the matrix names it ("net.partition [namespaces]").
  std::string label() const { return namespaces ? kind + " [namespaces]" : kind; }
};

// Every reversible kind that has landed. A new kind is one line here.
const std::vector<KindCase> kKinds = {
    {"process.pause", R"(target = "app")"},
    {"exec", R"(apply = ["touch", "{mark}"]
revert = ["rm", "-f", "{mark}"])"},
    {"net.latency", R"(target = "front"
latency = "100ms")"},
    {"net.bandwidth", R"(target = "front"
rate = "10KB/s")"},
    {"net.blackhole", R"(target = "front")"},
    {"net.reset", R"(target = "front")"},
    {"net.slow_close", R"(target = "front"
delay = "1s")"},
    {"net.slicer", R"(target = "front"
size = 1
delay = "1ms")"},
    {"net.partition", R"(isolate = "app")"},
    {"net.corrupt", R"(target = "front"
rate = 0.001)"},
    {"net.partition", R"(isolate = "app")", true},
    {"net.bandwidth", R"(target = "app"
rate = "10KB/s")", true},
    // Data faults (issue 19): a file of the app's, made by a setup step
    // (after the fault's keys: a table of its own), with a copy beside the
    // mark to compare the restore with; and the app's directory on a tmpfs.
    {"file.corrupt", R"(target = "app"
path = "data.bin"
mode = "flip"
bits = 64
[[setup]]
command = "head -c 65536 /dev/urandom > {run.dir}/services/app/data.bin && cp {run.dir}/services/app/data.bin {mark}.orig")"},
    {"disk.full", R"(target = "app"
size = "1MiB")"},
    // The app's directory served through the run's FUSE passthrough: the
    // rule fails the opening of one name with EIO.
    {"file.io", R"(target = "app"
path = "matrix-check"
ops = "open"
errno = "EIO")"},
    // The link is protocol = "http" for these (matrix_scenario.hpp).
    {"http.abort", R"(target = "front"
status = 503)"},
    {"http.delay", R"(target = "front"
delay = "200ms")"},
    {"http.replace", R"(target = "front"
status = 500)"},
    // Resource faults: the app runs in a cgroup of the run's (v1 or v2).
    {"resource.cpu", R"(target = "app"
share = "10%")"},
    {"resource.memory", R"(target = "app"
limit = "256MiB")"},
    {"stress", R"(target = "app"
cpu = 1
vm = 1
vm_bytes = "16MiB")"},
    {"resource.io", R"(target = "app"
write_bps = "1MiB"
read_iops = 100)"},
    // The app runs with libfaketime preloaded, and sends a Date header
    // (--date, matrix_scenario.hpp): without one the flaky server reads no
    // clock, and the injection fails as it must for a service that never
    // asks for the time (exit 4, "did not move").
    {"clock.skew", R"(target = "app"
offset = "+2d")"},
};

/// kKinds, plus net.latency with namespaces where the kernel has sch_netem;
/// only the kinds named in FAULTLINE_MATRIX_KINDS (comma-separated prefixes,
/// "http." say) when it is set, to run a slice of the matrix by hand.
std::vector<KindCase> matrix_kinds() {
  std::vector<KindCase> kinds = kKinds;
  if (const char* only = std::getenv("FAULTLINE_MATRIX_KINDS")) {
    std::vector<KindCase> chosen;
    std::istringstream list(only);
    std::string prefix;
    while (std::getline(list, prefix, ','))
      for (const auto& k : kinds)
        if (!prefix.empty() && k.label().rfind(prefix, 0) == 0) chosen.push_back(k);
    return chosen;
  }
  TempDir dir;
  const Result doctor = faultline(dir, {"doctor"});
  std::istringstream in(doctor.out);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("netem", 0) == 0 && line.find(" yes ") != std::string::npos)
      kinds.push_back({"net.latency", R"(target = "app"
latency = "100ms")", true});
  return kinds;
}

enum class Death { sigint, sigterm, sigkill_watchdog, sigkill_cleanup };
const std::vector<Death> kDeaths = {Death::sigint, Death::sigterm, Death::sigkill_watchdog, Death::sigkill_cleanup};
const std::vector<std::string> kMoments = {"inject", "hold", "revert"};

std::string death_name(Death d) {
  switch (d) {
    case Death::sigint: return "SIGINT";
    case Death::sigterm: return "SIGTERM";
    case Death::sigkill_watchdog: return "SIGKILL (watchdog)";
    case Death::sigkill_cleanup: return "SIGKILL (cleanup)";
  }
  return "?";
}

/// What a cell knows about its run, read while the run was alive.
struct RunFacts {
  fs::path dir;          ///< the cell's temporary directory
  fs::path run_dir;
  fs::path mark;         ///< the exec fault's file
  std::set<pid_t> pgids; ///< the services' process groups (from the ledger)
  pid_t watchdog = 0;
  std::string run_id;
  std::set<unsigned long> listen_inodes;  ///< the run's listening sockets
  std::string network_tag;  ///< namespaces: the tag in the run's namespace and device names
  std::vector<std::string> cgroups;  ///< the services' resource cgroups (from the ledger)
};

/// The lines of a command's output that contain `needle`.
std::string lines_with(const fs::path& dir, const std::vector<std::string>& argv, const std::string& needle) {
  static std::atomic<int> n{0};
  Spawned s = spawn(argv, dir, "read-back-" + std::to_string(++n));
  wait_for(s, std::chrono::seconds(10));
  std::istringstream in(read_file(s.out));
  std::string line, out;
  while (std::getline(in, line))
    if (line.find(needle) != std::string::npos) out += line + " ";
  return out;
}

/// Inodes of the listening TCP sockets on `ports` (/proc/net/tcp and tcp6).
std::set<unsigned long> listening_inodes(const std::set<int>& ports) {
  std::set<unsigned long> out;
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::istringstream in(read_file(file));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string sl, local, remote, st, queues, tr, retr, uid, timeout;
      unsigned long inode = 0;
      f >> sl >> local >> remote >> st >> queues >> tr >> retr >> uid >> timeout >> inode;
      if (st != "0A") continue;  // TCP_LISTEN
      const int port = std::stoi(local.substr(local.rfind(':') + 1), nullptr, 16);
      if (ports.count(port)) out.insert(inode);
    }
  }
  return out;
}

/// Every socket inode that still exists in /proc/net/tcp{,6}.
std::set<unsigned long> all_socket_inodes() {
  std::set<unsigned long> out;
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::istringstream in(read_file(file));
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string skip;
      for (int i = 0; i < 9; ++i) f >> skip;
      unsigned long inode = 0;
      if (f >> inode && inode) out.insert(inode);
    }
  }
  return out;
}

/// One leftover check: a name and what it finds ("" = nothing left).
struct LeftoverCheck {
  std::string name;
  std::function<std::string(const RunFacts&)> find;
};

// What "nothing left behind" means, read back from the system.
const std::vector<LeftoverCheck> kLeftoverChecks = {
    {"network namespace",
     [](const RunFacts& f) {
       return f.network_tag.empty() ? std::string()
                                    : lines_with(f.dir, {"ip", "netns", "list"}, "fl-" + f.network_tag);
     }},
    {"veth",
     [](const RunFacts& f) {
       return f.network_tag.empty() ? std::string() : lines_with(f.dir, {"ip", "-o", "link"}, "fl" + f.network_tag);
     }},
    {"nft table",
     [](const RunFacts& f) {
       return f.network_tag.empty() ? std::string()
                                    : lines_with(f.dir, {"nft", "list", "tables"}, "faultline_" + f.network_tag);
     }},
    {"process",
     [](const RunFacts& f) {
       std::string out;
       for (pid_t p : live_in_groups(f.pgids)) out += fmt::format("pid {} ({}) ", p, state_of(p));
       return out;
     }},
    {"watchdog",
     [](const RunFacts& f) {
       const char st = state_of(f.watchdog);
       return st == '-' || st == 'Z' ? std::string() : fmt::format("watchdog pid {} ({})", f.watchdog, st);
     }},
    {"listening socket",
     [](const RunFacts& f) {
       std::string out;
       const auto now = all_socket_inodes();
       for (unsigned long i : f.listen_inodes)
         if (now.count(i)) out += fmt::format("inode {} ", i);
       return out;
     }},
    {"file", [](const RunFacts& f) { return fs::exists(f.mark) ? f.mark.string() : std::string(); }},
    // file.corrupt: the damaged file is its original again, byte for byte,
    // and no saved copy is left (a restored one is dropped).
    {"saved original",
     [](const RunFacts& f) {
       const fs::path orig = f.mark.string() + ".orig";
       if (!fs::exists(orig)) return std::string();
       const fs::path data = f.run_dir / "services" / "app" / "data.bin";
       std::string out = read_file(data) == read_file(orig) ? "" : data.string() + " differs from its original ";
       std::error_code ec;
       for (const auto& e : fs::recursive_directory_iterator(f.run_dir / "saved", ec))
         if (e.is_regular_file()) out += "copy " + e.path().string() + " left ";
       return out;
     }},
    // disk.full: no mount of the run is left.
    {"mount",
     [](const RunFacts& f) {
       std::istringstream in(read_file("/proc/self/mountinfo"));
       std::string line, out;
       while (std::getline(in, line))
         if (line.find(" " + f.run_dir.string() + "/") != std::string::npos) out += line + " ";
       return out;
     }},
    // file.io: no FUSE mount of the run's anywhere (its source names the
    // directory it serves, wherever it was moved to). Its server is a thread
    // of the harness, gone with it in every cell.
    {"fuse mount",
     [](const RunFacts& f) {
       std::istringstream in(read_file("/proc/self/mountinfo"));
       std::string line, out;
       while (std::getline(in, line))
         if (line.find(" faultline-iofs:" + f.run_dir.string() + "/") != std::string::npos) out += line + " ";
       return out;
     }},
    // clock.skew: its control files (run_dir/clock/) and any process still
    // running with the run's preload (its environment names a control file).
    {"clock control file",
     [](const RunFacts& f) {
       std::error_code ec;
       return fs::exists(f.run_dir / "clock", ec) ? (f.run_dir / "clock").string() : std::string();
     }},
    {"preloaded process",
     [](const RunFacts& f) {
       std::string out;
       const std::string needle = "FAKETIME_TIMESTAMP_FILE=" + (f.run_dir / "clock").string();
       std::error_code ec;
       for (const auto& e : fs::directory_iterator("/proc", ec)) {
         const std::string pid = e.path().filename().string();
         if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
         if (read_file(e.path() / "environ").find(needle) != std::string::npos) out += "pid " + pid + " ";
       }
       return out;
     }},
    // resource.*: the services' cgroups (every hierarchy's directory) are gone.
    {"cgroup",
     [](const RunFacts& f) {
       std::string out;
       std::error_code ec;
       for (const auto& d : f.cgroups)
         if (fs::exists(d, ec)) out += d + " ";
       return out;
     }},
    // stress: no stress-ng of the run's (its workers rename themselves, so
    // found by name and working directory, which is in the run directory).
    {"stress-ng process",
     [](const RunFacts& f) {
       std::string out;
       std::error_code ec;
       for (const auto& e : fs::directory_iterator("/proc", ec)) {
         const std::string pid = e.path().filename().string();
         if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
         if (read_file(e.path() / "comm").rfind("stress-ng", 0) != 0) continue;
         std::error_code lec;
         if (fs::read_symlink(e.path() / "cwd", lec).string().find(f.run_dir.string()) != std::string::npos)
           out += "pid " + pid + " ";
       }
       return out;
     }},
    {"ledger",
     [](const RunFacts& f) {
       std::string out;
       if (!read_json(f.run_dir / "ledger.json").at("finished").as_bool()) out += "ledger.json unfinished ";
       std::error_code ec;
       if (fs::exists(f.dir / "state" / (f.run_id + ".json"), ec)) out += "state-dir ledger present";
       return out;
     }},
};

/// Every leftover, "" when none.
std::string leftovers(const RunFacts& f) {
  std::string out;
  for (const auto& c : kLeftoverChecks)
    if (auto what = c.find(f); !what.empty()) out += c.name + ": " + what + "; ";
  return out;
}

/// Polls until nothing is left or `timeout` passed; returns what is left.
std::string wait_clean(const RunFacts& f, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    std::string left = leftovers(f);
    if (left.empty() || Clock::now() >= deadline) return left;
    ::usleep(5000);  // re-read the system every 5 ms until the deadline
  }
}

std::string scenario(const KindCase& k, const std::string& moment, const fs::path& mark) {
  return matrix_scenario("matrix", k.namespaces, matrix_fault(k.kind, moment, k.keys, mark));
}

/// The ports a run printed ("{port.app} = 41234", "{link.front} = 41235").
std::set<int> printed_ports(const std::string& out) {
  std::set<int> ports;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find("} = ");
    if (eq == std::string::npos || (line.find("{port.") == std::string::npos && line.find("{link.") == std::string::npos))
      continue;
    ports.insert(std::stoi(line.substr(eq + 4)));
  }
  return ports;
}

/// The port a run printed for `{port.NAME}`; 0 when none.
int printed_port(const std::string& out, const std::string& name) {
  const std::string key = "{port." + name + "} = ";
  const auto at = out.find(key);
  return at == std::string::npos ? 0 : std::stoi(out.substr(at + key.size()));
}

/// The flaky server's view of the time: its Date header's epoch second
/// (an HTTP GET on 127.0.0.1:`port`); nullopt when it has none.
std::optional<std::time_t> server_date(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string reply;
  const std::string req = "GET / HTTP/1.1\r\nHost: matrix\r\n\r\n";
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
    char buf[1024];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto at = reply.find("\r\nDate: ");
  if (at == std::string::npos) return std::nullopt;
  std::tm tm{};
  if (!::strptime(reply.c_str() + at + 8, "%a, %d %b %Y %H:%M:%S GMT", &tm)) return std::nullopt;
  return ::timegm(&tm);
}

struct CellResult {
  std::string kind, moment;
  Death death{};
  std::string error;      ///< the cell could not be carried out as designed
  std::string left;       ///< leftovers after recovery ("" = none)
  milliseconds recovery{0};  ///< from the kill to nothing left (SIGKILL cells)
  milliseconds wall{0};
};

/// One cell, run by the faultline binary `bin`.
CellResult run_cell(const KindCase& k, const std::string& moment, Death death, const std::string& bin) {
  const auto t0 = Clock::now();
  CellResult r{k.label(), moment, death, "", "", milliseconds{0}, milliseconds{0}};
  TempDir dir;
  RunFacts f;
  f.dir = dir.path;
  f.run_dir = dir / "run";
  f.mark = dir / "applied.mark";
  const fs::path file = dir / "matrix.toml";
  write_file(file, scenario(k, moment, f.mark));
  Spawned run = spawn({bin, "run", file.string(), "--out", f.run_dir.string()}, dir.path, "run", {},
                      {"FAULTLINE_TEST_BLOCK_IN=" + moment});
  // If anything below throws, the run must not stay blocked at its hook:
  // SIGINT makes it revert and exit (a no-op once it is gone).
  struct InterruptOnThrow {
    pid_t pid;
    int entered = std::uncaught_exceptions();
    ~InterruptOnThrow() {
      if (pid > 0 && std::uncaught_exceptions() > entered) ::kill(pid, SIGINT);
    }
  } interrupt_on_throw{run.pid};
  // Waits for the run and disarms the guard: a reaped pid is never signalled.
  auto wait_run = [&](std::chrono::milliseconds timeout) {
    const int code = wait_for(run, timeout);
    interrupt_on_throw.pid = 0;
    return code;
  };
  auto fail = [&](std::string why) {
    if (interrupt_on_throw.pid > 0) {  // not reaped yet: still ours to stop
      ::kill(run.pid, SIGINT);
      wait_run(std::chrono::seconds(30));
    }
    r.error = why + "\n--- stdout\n" + read_file(run.out) + "--- stderr\n" + read_file(run.err);
    r.wall = std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
    return r;
  };
  if (!wait_for_text(run.err, "faultline-test-hook: in " + moment, std::chrono::seconds(60)))
    return fail("the run never reached the " + moment + " moment");

  // Everything the leftover checks need, read while the run is alive.
  const json::value ledger = read_json(f.run_dir / "ledger.json");
  f.run_id = std::string(ledger.at("run_id").as_string());
  f.watchdog = static_cast<pid_t>(ledger.at("watchdog_pid").as_int64());
  for (const auto& p : ledger.at("processes").as_array()) f.pgids.insert(static_cast<pid_t>(p.at("pid").as_int64()));
  if (f.pgids.size() != 2) return fail("the ledger does not list the 2 services");
  if (const auto* cg = ledger.as_object().if_contains("resource_cgroups"))
    for (const auto& d : cg->as_array()) f.cgroups.emplace_back(d.as_string());
  if (k.kind == "stress" && moment == "hold") {
    bool running = false;
    for (const auto& d : f.cgroups)
      running = running || !read_file(fs::path(d) / "cgroup.procs").empty();
    if (!running) return fail("stress-ng is not running in its cgroup while the fault holds");
  }
  if (k.kind.starts_with("resource.")) {
    if (f.cgroups.empty()) return fail("the ledger names no cgroup of the app");
    // The app's process is in its cgroup, and the limit is written while applied.
    std::istringstream procs(read_file(fs::path(f.cgroups.front()) / "cgroup.procs"));
    bool inside = false;
    for (pid_t p = 0; procs >> p;) inside = inside || f.pgids.count(p) > 0;
    if (!inside) return fail("the app's process is not in its cgroup " + f.cgroups.front());
    std::string limits;
    for (const auto& d : f.cgroups)
      for (const char* file : {"cpu.cfs_quota_us", "cpu.max", "memory.limit_in_bytes", "memory.max", "io.max",
                               "blkio.throttle.write_bps_device", "blkio.throttle.read_iops_device"})
        if (fs::exists(fs::path(d) / file)) limits += read_file(fs::path(d) / file);
    const std::string want = k.kind == "resource.cpu"   ? "10000"
                             : k.kind == "resource.io" ? "1048576"
                                                       : "268435456";
    if (moment == "hold" && limits.find(want) == std::string::npos)
      return fail("the limit is not written while the fault holds: " + limits);
  }
  if (k.namespaces) {
    // The sockets live in the run's namespaces: the namespaces are what must go.
    if (const auto* tag = ledger.as_object().if_contains("network_tag")) f.network_tag = std::string(tag->as_string());
    if (f.network_tag.empty()) return fail("the ledger names no network tag");
    if (lines_with(dir.path, {"ip", "netns", "list"}, "fl-" + f.network_tag).empty())
      return fail("the run's namespaces are not there");
  } else {
    const std::set<int> ports = printed_ports(read_file(run.out));
    f.listen_inodes = listening_inodes(ports);
    if (ports.size() != 2 || f.listen_inodes.size() != 2) return fail("the run does not listen on its 2 ports");
  }
  if (k.kind == "process.pause" && moment != "revert" && state_of(*f.pgids.begin()) != 'T')
    return fail("the service is not stopped while the pause is applied");
  if (k.kind == "exec" && moment != "revert" && !fs::exists(f.mark)) return fail("exec apply did not run");
  const fs::path app_data = f.run_dir / "services" / "app" / "data.bin";
  if (k.kind == "file.corrupt" && moment != "revert" && read_file(app_data) == read_file(f.mark.string() + ".orig"))
    return fail("file.corrupt did not change the file");
  if (k.kind == "file.io" && moment != "revert") {
    const fs::path check = f.run_dir / "services" / "app" / "matrix-check";
    const int fd = ::open(check.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    const int e = errno;
    if (fd >= 0) ::close(fd);
    if (fd >= 0 || e != EIO) return fail("file.io did not fail the open with EIO");
  }
  if (k.kind == "clock.skew" && moment != "revert") {
    // The server's own view of time is two days ahead while applied.
    const auto seen = server_date(printed_port(read_file(run.out), "app"));
    const std::time_t now = std::time(nullptr);
    if (!seen || *seen < now + 172800 - 5 || *seen > now + 172800 + 5)
      return fail(fmt::format("the app's Date header is not two days ahead while the skew is applied: {} s from now",
                              seen ? std::to_string(*seen - now) : std::string("none")));
  }
  struct statvfs space {};
  if (k.kind == "disk.full" && moment != "revert" &&
      (::statvfs((f.run_dir / "services" / "app").c_str(), &space) != 0 || space.f_bavail != 0))
    return fail("disk.full did not fill the app's filesystem");

  Clock::time_point killed;
  switch (death) {
    case Death::sigint:
    case Death::sigterm: {
      const int sig = death == Death::sigint ? SIGINT : SIGTERM;
      ::kill(run.pid, sig);
      const int code = wait_run(std::chrono::seconds(30));
      killed = Clock::now();
      const int want = sig == SIGINT ? 130 : 143;
      if (code != want) return fail(fmt::format("exit {} instead of {}", code, want));
      const json::value rec = read_json(f.run_dir / "run.json");
      if (rec.at("outcome").as_string() != "interrupted") return fail("the record is not interrupted");
      if (!rec.at("left_behind").as_array().empty()) return fail("the record lists faults left behind");
      break;
    }
    case Death::sigkill_watchdog:
      ::kill(run.pid, SIGKILL);
      killed = Clock::now();
      wait_run(std::chrono::seconds(5));
      break;
    case Death::sigkill_cleanup: {
      ::kill(f.watchdog, SIGKILL);
      const auto deadline = Clock::now() + std::chrono::seconds(5);
      while (state_of(f.watchdog) != '-' && state_of(f.watchdog) != 'Z' && Clock::now() < deadline) ::usleep(1000);
      ::kill(run.pid, SIGKILL);
      wait_run(std::chrono::seconds(5));
      // Nobody reverted anything: the clone is still there for cleanup to stop.
      if (live_in_groups(f.pgids).empty()) return fail("the clone died with the harness; cleanup would prove nothing");
      killed = Clock::now();
      Result clean = run_faultline_argv(dir, {bin, "cleanup", "--run", f.run_id}, std::chrono::seconds(60));
      if (clean.code != 0) return fail(fmt::format("cleanup exit {}: {}{}", clean.code, clean.out, clean.err));
      break;
    }
  }
  r.left = wait_clean(f, std::chrono::seconds(5));
  r.recovery = std::chrono::duration_cast<milliseconds>(Clock::now() - killed);
  r.wall = std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
  return r;
}

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::max(1, std::atoi(v)) : fallback;
}

}  // namespace

TEST_CASE("fault matrix: every reversible kind x SIGINT/SIGTERM/SIGKILL x inject/hold/revert leaves nothing behind") {
  const int reps = env_int("FAULTLINE_MATRIX_REPETITIONS", 5);
  const int jobs = env_int("FAULTLINE_MATRIX_JOBS", 3);
  struct Cell {
    const KindCase* kind;
    std::string moment;
    Death death;
    const std::string* bin;
  };
  // The first repetition runs the build's own faultline (sanitized in CI):
  // every cell's paths once under ASan and UBSan. The others, there for the
  // races, run the optimized one when FAULTLINE_OPTIMIZED_BIN names it: in
  // the sanitized binary the five repetitions took 1,100 s of a 54-minute
  // local run of tests/check.sh, in the optimized one 144 s
  // (docs/reliability.md).
  const std::string sanitized = faultline_bin(), optimized = optimized_faultline_bin();
  std::vector<KindCase> kinds = matrix_kinds();
  std::vector<Cell> cells;
  for (int rep = 0; rep < reps; ++rep)
    for (const auto& k : kinds)
      for (const auto& m : kMoments)
        for (Death d : kDeaths) cells.push_back({&k, m, d, rep == 0 ? &sanitized : &optimized});

  const auto t0 = Clock::now();
  std::vector<CellResult> results(cells.size());
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> workers;
  for (int j = 0; j < jobs; ++j)
    workers.emplace_back([&] {
      for (std::size_t i = next++; i < cells.size(); i = next++) {
        // An exception must not escape a worker thread (std::terminate would
        // leave the cells in flight blocked at their hook).
        try {
          results[i] = run_cell(*cells[i].kind, cells[i].moment, cells[i].death, *cells[i].bin);
        } catch (const std::exception& e) {
          results[i] = CellResult{cells[i].kind->label(), cells[i].moment, cells[i].death, e.what(), "",
                                  milliseconds{0}, milliseconds{0}};
        }
      }
    });
  for (auto& w : workers) w.join();
  const auto total = std::chrono::duration_cast<milliseconds>(Clock::now() - t0);

  // The matrix as docs/reliability.md shows it: one row per kind and moment,
  // one column per death, "0" when every repetition left nothing.
  std::map<std::pair<std::string, std::string>, std::map<Death, int>> left_count;
  milliseconds worst_watchdog{0}, worst_cleanup{0};
  int leftover_cells = 0, broken_cells = 0;
  for (const auto& r : results) {
    const bool left = !r.left.empty() || !r.error.empty();
    left_count[{r.kind, r.moment}][r.death] += left ? 1 : 0;
    leftover_cells += r.left.empty() ? 0 : 1;
    broken_cells += r.error.empty() ? 0 : 1;
    if (r.death == Death::sigkill_watchdog) worst_watchdog = std::max(worst_watchdog, r.recovery);
    if (r.death == Death::sigkill_cleanup) worst_cleanup = std::max(worst_cleanup, r.recovery);
    CHECK_MESSAGE(r.error.empty(), r.kind << " / " << r.moment << " / " << death_name(r.death) << ": " << r.error);
    CHECK_MESSAGE(r.left.empty(), r.kind << " / " << r.moment << " / " << death_name(r.death) << " left: " << r.left);
  }
  std::string table = "| kind | moment |";
  for (Death d : kDeaths) table += " " + death_name(d) + " |";
  table += "\n|---|---|";
  for (std::size_t i = 0; i < kDeaths.size(); ++i) table += "---|";
  table += "\n";
  for (const auto& k : kinds)
    for (const auto& m : kMoments) {
      table += fmt::format("| {} | {} |", k.label(), m);
      for (Death d : kDeaths) table += fmt::format(" {} |", left_count[{k.label(), m}][d]);
      table += "\n";
    }
  fmt::print("fault matrix: repetition 1 by {}, the others by {}\n", sanitized, optimized);
  fmt::print("fault matrix: {} cells ({} kinds x {} moments x {} deaths x {} repetition(s)), {} job(s), {:.1f} s\n"
             "cells with leftovers: {}; cells that could not be carried out: {}\n"
             "worst time from SIGKILL to nothing left, watchdog alone: {} ms; from cleanup start: {} ms\n"
             "leftovers per cell (0 = nothing left in any repetition):\n{}",
             cells.size(), kinds.size(), kMoments.size(), kDeaths.size(), reps, jobs, total.count() / 1000.0,
             leftover_cells, broken_cells, worst_watchdog.count(), worst_cleanup.count(), table);
  std::fflush(stdout);
}
