// Benchmark: what does faultline itself cost while probing hard? Runs 5 tcp
// and 5 http probes, each at 1 kHz (10,000 probe executions a second)
// against tests/fixtures/flaky_server for a set time, and reads from /proc
// the CPU time and peak RSS of the faultline process itself (not its
// children). The peer measured in the same run is the server answering the
// same 10,000 connections a second: its CPU time is the yardstick for what
// the work costs on this machine.
//
//   ninja -C build tests/bench/probe_load
//   FAULTLINE_BIN=build/faultline FAULTLINE_FLAKY_SERVER=build/tests/flaky_server FAULTLINE_SOURCE_ROOT=. build/tests/bench/probe_load [seconds, default 60]
//
// Targets (issue 3): harness <= 5% of one core and <= 30 MB peak RSS.
#include <unistd.h>

#include <fmt/format.h>
#include <thread>

#include "harness.hpp"

using namespace itest;

namespace {

struct ProcUsage {
  double cpu_s = 0;     ///< utime + stime of the process itself
  double user_s = 0;    ///< utime alone (the rest is time in the kernel)
  long peak_rss_kb = 0; ///< VmHWM
};

std::optional<ProcUsage> usage_of(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(stat.substr(close + 2));
  std::string field;
  std::vector<std::string> f;
  while (in >> field) f.push_back(field);
  if (f.size() < 13) return std::nullopt;
  ProcUsage u;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  u.user_s = std::stod(f[11]) / tick;  // field 14: utime
  u.cpu_s = u.user_s + std::stod(f[12]) / tick;  // field 15: stime
  std::istringstream status(read_file("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) u.peak_rss_kb = std::stol(line.substr(6));
  if (u.peak_rss_kb == 0) return std::nullopt;  // a zombie: keep the last live reading
  return u;
}

/// The child of `parent` whose command name is `comm`.
pid_t child_named(pid_t parent, const std::string& comm) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = read_file(e.path() / "stat");
    const auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent && stat.substr(open + 1, close - open - 1) == comm) return std::stoi(name);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 60;
  TempDir dir;
  std::string probes;
  for (int i = 0; i < 10; ++i)
    probes += fmt::format("[[probe]]\nname = \"p{}\"\nkind = \"{}\"\nport = \"{{port.app}}\"\ninterval = \"1ms\"\n"
                          "timeout = \"100ms\"\n",
                          i, i % 2 ? "http" : "tcp");
  const fs::path file = dir / "load.toml";
  write_file(file, fmt::format(R"(name = "probe-load"
steady_for = "100ms"
watch = "0s"
[[service]]
name = "app"
command = ["{server}", "--port", "{{port.app}}", "--mode", "refuse"]
ports = ["app"]
[service.ready]
kind = "tcp"
port = "{{port.app}}"
{probes}
[[fault]]
kind = "exec"
apply = ["true"]
at = "{seconds}s"
)",
                               fmt::arg("server", flaky_server_bin()), fmt::arg("probes", probes),
                               fmt::arg("seconds", seconds)));
  Spawned run = spawn({faultline_bin(), "run", file.string(), "--out", (dir / "run").string(), "--quiet"},
                      dir.path, "run");
  // Sample /proc once a second until the run ends; keep the last readings.
  ProcUsage harness, server;
  pid_t server_pid = 0;
  for (;;) {
    if (auto u = usage_of(run.pid)) harness = *u;
    if (!server_pid) server_pid = child_named(run.pid, "flaky_server");
    if (server_pid)
      if (auto u = usage_of(server_pid)) server = *u;
    // Done once faultline has exited (a zombie until we reap it below).
    const std::string stat = read_file("/proc/" + std::to_string(run.pid) + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos || stat.substr(close + 2, 1) == "Z") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const int code = wait_for(run, std::chrono::minutes(5));
  const auto rec = read_json(dir / "run" / "run.json");
  std::size_t samples = 0, overruns = 0;
  for (const auto& p : rec.at("probes").as_array()) {
    samples += static_cast<std::size_t>(p.at("sample_count").as_int64());
    overruns += static_cast<std::size_t>(p.at("overruns").as_int64());
  }
  const double wall = static_cast<double>(rec.at("environment").at("duration_ns").as_int64()) / 1e9;
  fmt::print("10 probes (5 tcp, 5 http) at 1 kHz for {} s; faultline exit {}\n", seconds, code);
  fmt::print("  samples recorded: {} ({:.0f}/s), ticks skipped as overruns: {}\n", samples,
             static_cast<double>(samples) / wall, overruns);
  auto line = [&](const char* who, const ProcUsage& u, const char* note) {
    fmt::print("  {:<13} CPU {:7.2f} s = {:5.1f}% of one core ({:4.1f}% user, {:4.1f}% kernel), peak RSS {:6.1f} MB{}\n",
               who, u.cpu_s, 100 * u.cpu_s / wall, 100 * u.user_s / wall, 100 * (u.cpu_s - u.user_s) / wall,
               static_cast<double>(u.peak_rss_kb) / 1024, note);
  };
  line("faultline:", harness, "  (target <= 5%, <= 30 MB)");
  line("peer, server:", server, "");
  fmt::print("  ratio harness/server CPU: {:.2f}\n", server.cpu_s > 0 ? harness.cpu_s / server.cpu_s : 0.0);
  return code == 0 ? 0 : 1;
}
