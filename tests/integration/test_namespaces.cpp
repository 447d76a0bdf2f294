// network = "namespaces" end to end, through the faultline binary, as root:
// a real Redis primary, replica and three Sentinels split by an nftables
// partition; nothing of a run left in `ip netns list`, `ip link` or `nft list
// tables` after it ended, was killed with its watchdog and cleaned up, or was
// refused for a capability the host lacks.
#include <doctest/doctest.h>

#include <signal.h>

#include <thread>

#include "harness.hpp"

using namespace itest;
namespace json = boost::json;

namespace {

/// A command's combined output (for `ip` and `nft` read-backs).
std::string output_of(const TempDir& dir, const std::vector<std::string>& argv) {
  static int n = 0;
  Spawned s = spawn(argv, dir.path, "cmd-" + std::to_string(++n));
  wait_for(s, std::chrono::seconds(10));
  return read_file(s.out) + read_file(s.err);
}

/// What the host still shows of the run with `run_id`: namespaces (fl-TAG*),
/// links (flTAG*) and nft tables (faultline_TAG*), one per line; "" = nothing.
std::string leftovers(const TempDir& dir, const std::string& run_id) {
  const std::string tag = run_id.substr(run_id.size() - 6);
  std::string out;
  auto scan = [&](const std::vector<std::string>& argv, const std::string& needle) {
    std::istringstream in(output_of(dir, argv));
    std::string line;
    while (std::getline(in, line))
      if (line.find(needle) != std::string::npos) out += line + "\n";
  };
  scan({"ip", "netns", "list"}, "fl-" + tag);
  scan({"ip", "-o", "link"}, "fl" + tag);
  scan({"nft", "list", "tables"}, "faultline_" + tag);
  return out;
}

/// Runs faultline with `args` to its end, as faultline() does, and puts in
/// `left` the network namespaces named after its pid that `ip netns list`
/// still shows (a capability probe's fl-probe-PID-START), one per line: only
/// its own, since other tests may add and delete namespaces meanwhile (the
/// integration suite runs in shards at once, tests/meson.build).
Result faultline_probed(const TempDir& dir, const std::vector<std::string>& args, std::string& left) {
  static int n = 0;
  std::vector<std::string> argv{faultline_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  Spawned s = spawn(argv, dir.path, "probed-" + std::to_string(++n), dir.path);
  Result r;
  r.code = wait_for(s, std::chrono::minutes(1));
  r.out = read_file(s.out);
  r.err = read_file(s.err);
  const std::string mine = "fl-probe-" + std::to_string(s.pid);
  std::istringstream in(output_of(dir, {"ip", "netns", "list"}));
  std::string line;
  while (std::getline(in, line)) {
    const std::string name = line.substr(0, line.find(' '));
    if (name == mine || name.starts_with(mine + "-")) left += name + "\n";
  }
  return r;
}

/// Deletes whatever a failed test left of a run (a leftover namespace
/// breaks later runs), whatever the checks said.
struct NetworkJanitor {
  const TempDir& dir;
  std::string run_id;
  ~NetworkJanitor() {
    if (run_id.size() < 6) return;
    const std::string tag = run_id.substr(run_id.size() - 6);
    std::istringstream in(output_of(dir, {"ip", "netns", "list"}));
    std::string line;
    while (std::getline(in, line)) {
      const std::string name = line.substr(0, line.find(' '));
      if (name == "fl-" + tag || name.starts_with("fl-" + tag + "-")) output_of(dir, {"ip", "netns", "delete", name});
    }
  }
};

/// Two sleeping services on hosts of their own, a partition held for
/// `hold`, and a probe from the hub that always passes.
std::string two_hosts(const std::string& hold) {
  return fmt::format(R"(name = "ns-hold"
network = "namespaces"
subnet = "10.99.7.0/24"
steady_for = "100ms"
watch = "100ms"
[[service]]
name = "a"
command = "exec sleep 300"
[[service]]
name = "b"
command = "exec sleep 300"
[[probe]]
name = "hub-to-nothing"
kind = "exec"
command = "true"
interval = "20ms"
timeout = "1s"
[[fault]]
name = "split"
kind = "net.partition"
isolate = "a"
duration = "{}"
[[verify]]
name = "b-is-at-its-address"
command = "ip -o addr show | grep -F {{addr.b}}/32"
from = "b"
)",
                     hold);
}

}  // namespace

TEST_CASE("namespaces: a run with a partition leaves nothing in ip netns, ip link or nft tables") {
  TempDir dir;
  // An exec fault's command runs in the hub, where {addr.b} is reachable.
  write_file(dir / "s.toml", two_hosts("300ms") + fmt::format(R"(
[[fault]]
name = "look"
kind = "exec"
apply = "ip -o addr show > {}/hub-addrs"
)",
                                                                 dir.path.string()));
  Result r = itest::faultline_judged(dir, {"run", (dir / "s.toml").string(), "--out", (dir / "run").string()});
  INFO(r.out << r.err);
  const json::value rec = read_json(dir / "run" / "run.json");
  NetworkJanitor janitor{dir, std::string(rec.at("run_id").as_string())};
  CHECK(r.code == 0);
  // The run really built and used its network: addresses, the partition's table, the verify in b's namespace.
  CHECK(r.out.find("network: host 'b' (b) in fl-") != std::string::npos);
  CHECK(r.out.find("10.99.7.3") != std::string::npos);
  CHECK(r.out.find("nft table inet faultline_") != std::string::npos);
  CHECK(r.out.find("verify 'b-is-at-its-address' ok") != std::string::npos);
  CHECK(r.out.find("network: deleted 3 namespace(s)") != std::string::npos);
  CHECK(read_file(dir / "hub-addrs").find("10.99.7.1/32") != std::string::npos);
  CHECK(leftovers(dir, janitor.run_id) == "");
}

TEST_CASE("namespaces: harness and watchdog SIGKILLed during a partition; faultline cleanup --run removes the network") {
  TempDir dir;
  write_file(dir / "s.toml", two_hosts("5m"));
  Spawned run = spawn({faultline_bin(), "run", (dir / "s.toml").string(), "--out", (dir / "run").string()}, dir.path, "run");
  REQUIRE_MESSAGE(wait_for_text(run.out, "inject split", std::chrono::seconds(30)), read_file(run.out) << read_file(run.err));
  const json::value ledger = read_json(dir / "run" / "ledger.json");
  const std::string run_id(ledger.at("run_id").as_string());
  NetworkJanitor janitor{dir, run_id};
  CHECK(std::string(ledger.at("network_tag").as_string()) == run_id.substr(run_id.size() - 6));
  ::kill(static_cast<pid_t>(ledger.at("watchdog_pid").as_int64()), SIGKILL);
  ::kill(run.pid, SIGKILL);
  CHECK(wait_for(run, std::chrono::seconds(5)) == 128 + SIGKILL);
  // Nobody tore it down: the namespaces and the partition's table are still there.
  const std::string before = leftovers(dir, run_id);
  CHECK(before.find("fl-" + run_id.substr(run_id.size() - 6) + "-a") != std::string::npos);
  const std::string hub = "fl-" + run_id.substr(run_id.size() - 6);
  CHECK(output_of(dir, {"ip", "netns", "exec", hub, "nft", "list", "tables"}).find("faultline_") != std::string::npos);

  Result clean = faultline(dir, {"cleanup", "--run", run_id});
  INFO(clean.out << clean.err);
  CHECK(clean.code == 0);
  CHECK(clean.out.find("nft table inet faultline_") != std::string::npos);
  CHECK(clean.out.find("network: deleted 3 namespace(s)") != std::string::npos);
  CHECK(leftovers(dir, run_id) == "");
}

TEST_CASE("namespaces: after SIGKILL of the harness alone, the watchdog deletes the network") {
  TempDir dir;
  write_file(dir / "s.toml", two_hosts("5m"));
  Spawned run = spawn({faultline_bin(), "run", (dir / "s.toml").string(), "--out", (dir / "run").string()}, dir.path, "run");
  REQUIRE_MESSAGE(wait_for_text(run.out, "inject split", std::chrono::seconds(30)), read_file(run.out) << read_file(run.err));
  const std::string run_id(read_json(dir / "run" / "ledger.json").at("run_id").as_string());
  NetworkJanitor janitor{dir, run_id};
  ::kill(run.pid, SIGKILL);
  CHECK(wait_for(run, std::chrono::seconds(5)) == 128 + SIGKILL);
  REQUIRE(wait_for_text(dir / "run" / "logs" / "watchdog.log", "network: deleted", std::chrono::seconds(10)));
  CHECK(read_file(dir / "run" / "logs" / "watchdog.log").find("LEFT BEHIND") == std::string::npos);
  CHECK(leftovers(dir, run_id) == "");
}

TEST_CASE("namespaces: net.latency without sch_netem is refused in one line naming it, and nothing is built") {
  TempDir dir;
  Result doctor = faultline(dir, {"doctor"});
  INFO(doctor.out << doctor.err);
  CHECK(doctor.out.find("netem (sch_netem)") != std::string::npos);
  CHECK(doctor.out.find("nftables") != std::string::npos);
  const auto row = doctor.out.find("netem (sch_netem)");
  REQUIRE(row != std::string::npos);
  const std::string netem_row = doctor.out.substr(row, doctor.out.find('\n', row) - row);
  const bool has_netem = netem_row.find(" yes ") != std::string::npos;
  CHECK(doctor.code == (has_netem ? 0 : 3));
  std::string text = two_hosts("1s");
  text += R"(
[[fault]]
name = "lag"
kind = "net.latency"
target = "b"
latency = "50ms"
duration = "1s"
)";
  write_file(dir / "lag.toml", text);
  const std::string where =
      fmt::format("lag.toml:{}:", 1 + std::count(text.begin(), text.begin() + static_cast<long>(text.find("kind = \"net.latency\"")), '\n'));
  std::string left;  // what validate, plan and run leave of their probes
  for (const char* cmd : {"validate", "plan", "run"}) {
    Result r = std::string(cmd) == "run"
                   ? faultline_probed(dir, {cmd, (dir / "lag.toml").string(), "--out", (dir / "run").string()}, left)
                   : faultline_probed(dir, {cmd, (dir / "lag.toml").string()}, left);
    CAPTURE(cmd);
    INFO(r.out << r.err);
    if (has_netem) {
      CHECK(r.code != 2);
      continue;
    }
    CHECK(r.code == 2);
    // One line: where, what is missing, and what to use instead.
    CHECK(r.err.find(where) != std::string::npos);
    CHECK(r.err.find("sch_netem") != std::string::npos);
    CHECK(r.err.find("proxied links") != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  if (!has_netem) {
    CHECK_FALSE(fs::exists(dir / "run"));  // run started nothing
    CHECK(left == "");
  }
}

TEST_CASE("namespaces: Redis Sentinel fails over across a real partition; the old primary rejoins as a replica") {
  TempDir dir;
  const fs::path scenario = source_root() / "scenarios" / "redis-sentinel-partition.toml";
  Result r = itest::faultline_judged(dir, {"run", scenario.string(), "--out", (dir / "run").string()}, std::chrono::minutes(3));
  INFO(r.out << r.err);
  REQUIRE(fs::exists(dir / "run" / "run.json"));
  const json::value rec = read_json(dir / "run" / "run.json");
  NetworkJanitor janitor{dir, std::string(rec.at("run_id").as_string())};
  CHECK(r.code == 0);
  const auto& its = rec.at("iterations").as_array();
  REQUIRE(its.size() == 1);
  const auto& it = its[0];
  CHECK(it.at("impact").as_bool());
  REQUIRE(it.at("ttd_ns").is_int64());
  REQUIRE(it.at("recovery_time_ns").is_int64());
  const auto ttd = std::chrono::nanoseconds(it.at("ttd_ns").as_int64());
  const auto recovery = std::chrono::nanoseconds(it.at("recovery_time_ns").as_int64());
  MESSAGE("TTD " << ttd.count() / 1e6 << " ms, recovery " << recovery.count() / 1e6 << " ms");
  // The failover cannot come before Sentinel's down-after-milliseconds (1000 ms)
  // has passed, minus one probe interval (100 ms) of uncertainty.
  CHECK(recovery > std::chrono::milliseconds(900));
  CHECK(recovery < std::chrono::seconds(15));
  CHECK(ttd <= std::chrono::milliseconds(1000));
  bool verified = false;
  for (const auto& v : rec.at("verdicts").as_array())
    if (v.at("threshold").as_string() == "verify") verified = v.at("passed").as_bool();
  CHECK(verified);
  std::string verify_output;
  for (const auto& st : rec.at("steps").as_array())
    if (st.at("phase").as_string() == "verify") verify_output = std::string(st.at("output").as_string());
  CHECK(verify_output.find("role:slave") != std::string::npos);
  CHECK(leftovers(dir, janitor.run_id) == "");
}

TEST_CASE("namespaces: plan shows each host's address and what the partition cuts, and builds nothing") {
  TempDir dir;
  std::string left;
  Result r = faultline_probed(dir, {"plan", (source_root() / "scenarios" / "redis-sentinel-partition.toml").string()}, left);
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK(r.out.find("network: namespaces, subnet 10.77.0.0/24; hub fl-RUNTAG at 10.77.0.1") != std::string::npos);
  CHECK(r.out.find("host primary: 10.77.0.2 (primary)") != std::string::npos);
  CHECK(r.out.find("host s3: 10.77.0.6 (s3)") != std::string::npos);
  // isolate = "primary", both directions: 4 peers x 2 directions.
  CHECK(r.out.find("'split-primary' drops (an nft table in the hub): 10.77.0.2 -> 10.77.0.3") != std::string::npos);
  CHECK(r.out.find("10.77.0.6 -> 10.77.0.2") != std::string::npos);
  CHECK(left == "");
}
