// Benchmark: what does faultline itself cost while probing hard? Runs 5 tcp
// and 5 http probes, each at 1 kHz (10,000 probe executions a second)
// against tests/fixtures/flaky_server for a set time, and reads from /proc
// the CPU time and peak RSS of the faultline process itself (not its
// children). The peer measured in the same run is the server answering the
// same 10,000 connections a second: its CPU time is the yardstick for what
// the work costs on this machine.
//
//   ninja -C build tests/bench/probe_load
//   FAULTLINE_BIN=build/faultline FAULTLINE_FLAKY_SERVER=build/tests/flaky_server FAULTLINE_SOURCE_ROOT=. build/tests/bench/probe_load [--beside] [seconds, default 60] [mixed|tcp|http] [rounds, default 1]
//
// The second argument picks the probes: 5 tcp and 5 http (mixed, the
// default), or 10 of one kind, for the harness and the floor alike. With
// several rounds (each the floor's first half, faultline's run and the
// floor's second half), it ends with every round's ratio, their median and
// the worst: on this VM one round's ratio strays up to 0.15 from the median
// of ten with nothing else running, which a single round cannot show.
//
// --beside: the floor probes in the same seconds as faultline (against its
// own server, from 1 s after faultline starts to 1 s before its injection)
// instead of before and after it. The machine's cost per system call drifts
// within seconds here, by up to a third; measured side by side both feel
// the same drift, and one round's ratio spread over 1.08-1.20 instead of
// 0.99-1.49 (docs/benchmarks.md). Together they use about 1.5 of the 2
// cores, so neither is starved.
//
// Targets (issue 3): harness <= 5% of one core and <= 30 MB peak RSS.
// Targets (issue 15): CPU per probe execution at most 1.25x the floor's,
// measured in the same run; peak RSS under 30 MB for a 1-hour run, shown by
// the resident size sampled over the run and its growth rate over the second
// half (MB per minute), projected to one hour. It also prints the probes'
// scheduling lateness (p99, max) and the stalls the record holds.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "harness.hpp"

using namespace itest;

namespace {

struct ProcUsage {
  double cpu_s = 0;     ///< utime + stime of the process itself
  double user_s = 0;    ///< utime alone (the rest is time in the kernel)
  long peak_rss_kb = 0; ///< VmHWM
  long rss_kb = 0;      ///< VmRSS now
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
    else if (line.rfind("VmRSS:", 0) == 0) u.rss_kb = std::stol(line.substr(6));
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

/// The 1-minute load average (/proc/loadavg).
double load_average() {
  std::istringstream in(read_file("/proc/loadavg"));
  double v = 0;
  in >> v;
  return v;
}

/// A free loopback port (bound once and released; a benchmark accepts the race).
int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("no free port");
  ::close(s);
  return ntohs(a.sin_port);
}

/// One blocking probe: connect (and for http, one GET read to the end).
bool bare_probe(const sockaddr_in& to, bool http) {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool ok = ::connect(s, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0;
  if (ok && http) {
    static const char request[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    ok = ::write(s, request, sizeof request - 1) == static_cast<ssize_t>(sizeof request - 1);
    char buf[512];
    ssize_t n = 0, total = 0;
    while (ok && (n = ::read(s, buf, sizeof buf)) > 0) total += n;
    ok = ok && total >= 12 && std::string_view(buf, 12) == "HTTP/1.1 200";
  }
  ::close(s);
  return ok;
}

/// Waits until a server accepts on `port` (5 s at most).
void wait_until_accepting(int port) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < 500; ++i) {
    if (bare_probe(to, false)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("the floor's server did not start");
}

/// The floor peer, in a child process: 5 tcp and 5 http probes every 1 ms
/// tick (absolute deadlines, a late tick is skipped like faultline skips
/// overruns) for `seconds`. Returns its CPU time and the probes it completed.
struct FloorResult {
  ProcUsage usage;
  long probes = 0, ok = 0;
};
/// Which probes a run makes: 5 of each kind, or 10 of one.
enum class Mix { mixed, tcp, http };

/// Whether probe `i` of 10 is an http probe under `mix`.
bool is_http(Mix mix, int i) { return mix == Mix::http || (mix == Mix::mixed && i % 2 == 1); }

FloorResult run_floor(int port, int seconds, Mix mix) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe");
  const pid_t child = ::fork();
  if (child == 0) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    long counts[2] = {0, 0};
    timespec origin{};
    ::clock_gettime(CLOCK_MONOTONIC, &origin);
    const std::int64_t start = origin.tv_sec * 1'000'000'000LL + origin.tv_nsec;
    const std::int64_t end = start + seconds * 1'000'000'000LL;
    for (std::int64_t due = start; due < end; due += 1'000'000) {
      timespec now{};
      ::clock_gettime(CLOCK_MONOTONIC, &now);
      const std::int64_t t = now.tv_sec * 1'000'000'000LL + now.tv_nsec;
      if (t > due + 1'000'000) continue;  // this tick is already over: skipped
      const timespec at{static_cast<time_t>(due / 1'000'000'000), static_cast<long>(due % 1'000'000'000)};
      ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr);
      for (int i = 0; i < 10; ++i) {
        ++counts[0];
        if (bare_probe(to, is_http(mix, i))) ++counts[1];
      }
    }
    [[maybe_unused]] auto w = ::write(pipe_fds[1], counts, sizeof counts);
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  FloorResult r;
  long counts[2] = {0, 0};
  if (::read(pipe_fds[0], counts, sizeof counts) != sizeof counts) throw std::runtime_error("floor prober failed");
  ::close(pipe_fds[0]);
  if (auto u = usage_of(child)) r.usage = *u;  // a zombie-to-be: read before reaping
  rusage ru{};
  int status = 0;
  ::wait4(child, &status, 0, &ru);
  r.usage.user_s = static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) / 1e6;
  r.usage.cpu_s = r.usage.user_s + static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) / 1e6;
  r.usage.peak_rss_kb = ru.ru_maxrss;
  r.probes = counts[0];
  r.ok = counts[1];
  return r;
}

/// One round: the floor's first half, faultline's run, the floor's second
/// half. Prints its figures; returns the ratio of CPU per probe execution
/// (nullopt if faultline failed).
std::optional<double> run_round(int seconds, Mix mix, const std::string& mix_name, bool beside) {
  TempDir dir;
  std::string probes;
  for (int i = 0; i < 10; ++i)
    probes += fmt::format("[[probe]]\nname = \"p{}\"\nkind = \"{}\"\nport = \"{{port.app}}\"\ninterval = \"1ms\"\n"
                          "timeout = \"100ms\"\n",
                          i, is_http(mix, i) ? "http" : "tcp");
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
  // The floor runs half its time before faultline and half after, each
  // against a server of its own, so that a load that drifts over the run
  // weighs on both alike.
  const int port = free_port();
  Spawned floor_server = spawn({flaky_server_bin(), "--port", std::to_string(port)}, dir.path, "floor-server");
  wait_until_accepting(port);
  const double floor_load_before = load_average();
  const FloorResult floor_first = beside ? FloorResult{} : run_floor(port, seconds / 2, mix);
  const double floor_load_mid = load_average();

  const double load_before = load_average();
  Spawned run = spawn({faultline_bin(), "run", file.string(), "--out", (dir / "run").string(), "--quiet"},
                      dir.path, "run");
  // Sample /proc once a second until the run ends; keep the last readings.
  ProcUsage harness, server;
  pid_t server_pid = 0;
  std::vector<std::pair<double, double>> rss;  ///< (seconds since spawn, VmRSS MB)
  std::vector<double> cpu;                     ///< CPU seconds at each of those readings
  const auto spawned_at = std::chrono::steady_clock::now();
  // --beside: the floor probes during faultline's probing, from 1 s after
  // its start to 1 s before its injection, on the machine as it is in those
  // very seconds.
  std::optional<FloorResult> floor_beside;
  std::thread beside_thread;
  if (beside)
    beside_thread = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      floor_beside = run_floor(port, std::max(1, seconds - 2), mix);
    });
  for (;;) {
    if (auto u = usage_of(run.pid)) {
      harness = *u;
      rss.emplace_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - spawned_at).count(),
                       static_cast<double>(u->rss_kb) / 1024);
      cpu.push_back(u->cpu_s);
    }
    if (!server_pid) server_pid = child_named(run.pid, "flaky_server");
    if (server_pid)
      if (auto u = usage_of(server_pid)) server = *u;
    // Done once faultline has exited (a zombie until we reap it below).
    const std::string stat = read_file("/proc/" + std::to_string(run.pid) + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos || stat.substr(close + 2, 1) == "Z") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (beside_thread.joinable()) beside_thread.join();
  const int code = wait_for(run, std::chrono::minutes(5));
  // Exit 3 (inconclusive) is what a starved harness honestly says on a
  // loaded machine (the fault's absorption was not seen by a trustworthy
  // sample): its costs are still measured.
  if (code != 0 && code != 3) {
    fmt::print(stderr, "faultline exited {}:\n{}\n", code, read_file(run.err));
    return std::nullopt;
  }
  const auto rec = read_json(dir / "run" / "run.json");
  std::size_t samples = 0, overruns = 0;
  std::int64_t late_p99 = 0, late_max = 0;
  for (const auto& p : rec.at("probes").as_array()) {
    samples += static_cast<std::size_t>(p.at("sample_count").as_int64());
    overruns += static_cast<std::size_t>(p.at("overruns").as_int64());
    if (const auto* l = p.as_object().if_contains("lateness")) {
      late_p99 = std::max(late_p99, l->at("p99_ns").as_int64());
      late_max = std::max(late_max, l->at("max_ns").as_int64());
    }
  }
  // The record's stalls: its entries (a span may hold several stalls: count).
  std::size_t stalls = 0, stall_entries = 0;
  if (const auto* list = rec.as_object().if_contains("stalls"))
    for (const auto& st : list->as_array()) {
      ++stall_entries;
      const auto* n = st.as_object().if_contains("count");
      stalls += n ? static_cast<std::size_t>(n->as_int64()) : 1;
    }
  const double wall = static_cast<double>(rec.at("environment").at("duration_ns").as_int64()) / 1e9;
  fmt::print("10 probes ({}) at 1 kHz for {} s; faultline exit {}; load average before {:.2f}, after {:.2f}\n",
             mix == Mix::mixed ? "5 tcp, 5 http" : "all " + mix_name, seconds, code, load_before, load_average());
  fmt::print("  samples recorded: {} ({:.0f}/s), ticks skipped as overruns: {}\n", samples,
             static_cast<double>(samples) / wall, overruns);
  auto line = [](const char* who, const ProcUsage& u, const char* note, double wall) {
    fmt::print("  {:<13} CPU {:7.2f} s = {:5.1f}% of one core ({:4.1f}% user, {:4.1f}% kernel), peak RSS {:6.1f} MB{}\n",
               who, u.cpu_s, 100 * u.cpu_s / wall, 100 * u.user_s / wall, 100 * (u.cpu_s - u.user_s) / wall,
               static_cast<double>(u.peak_rss_kb) / 1024, note);
  };
  fmt::print("  lateness of sample starts after their tick, worst probe: p99 {:.3f} ms, max {:.3f} ms; {} stall(s)\n",
             late_p99 / 1e6, late_max / 1e6, stalls);
  line("faultline:", harness, "  (target <= 5%, <= 30 MB)", wall);
  // Resident size over the run, and its growth over the second half of the
  // probing (least squares; the readings after `seconds`, when the run
  // injects, measures and writes its record, are left out), projected to a
  // 1-hour run.
  std::size_t probing = rss.size();
  while (probing > 0 && rss[probing - 1].first > seconds) --probing;
  if (probing >= 4) {
    const std::size_t from = probing / 2;
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (std::size_t i = from; i < probing; ++i) {
      n += 1;
      sx += rss[i].first;
      sy += rss[i].second;
      sxx += rss[i].first * rss[i].first;
      sxy += rss[i].first * rss[i].second;
    }
    const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);  // MB per second
    std::string points;
    for (std::size_t k = 1; k <= 5; ++k) {
      const auto& [t, mb] = rss[std::min(rss.size() - 1, k * rss.size() / 5 - 1)];
      points += fmt::format("{}{:.0f} s: {:.1f} MB", k > 1 ? ", " : "", t, mb);
    }
    const double last = rss[probing - 1].second;
    fmt::print("  faultline CPU by the end of probing ({:.0f} s): {:.2f} s; after it (injection, measurement, the record): "
               "{:.2f} s\n",
               rss[probing - 1].first, cpu[probing - 1], harness.cpu_s - cpu[probing - 1]);
    fmt::print("  faultline RSS over the run: {}; at the end of probing ({:.0f} s): {:.1f} MB\n", points,
               rss[probing - 1].first, last);
    fmt::print("  growth over the second half of the probing: {:.3f} MB/min; projected RSS after 1 hour of probing: "
               "{:.1f} MB (target < 30 MB)\n",
               slope * 60, last + slope * std::max(0.0, 3600.0 - rss[probing - 1].first));
    fmt::print("  the record's stalls: {} in {} entries (spans; {:.2f} MB in memory at 72 bytes each)\n", stalls,
               stall_entries, static_cast<double>(stall_entries) * 72 / 1e6);
  }
  line("peer, server:", server, "", wall);
  fmt::print("  ratio harness/server CPU: {:.2f}\n", server.cpu_s > 0 ? harness.cpu_s / server.cpu_s : 0.0);

  // The floor's second half: the same probe executions with bare blocking
  // calls, right after faultline's run.
  const FloorResult floor_second = beside ? floor_beside.value_or(FloorResult{}) : run_floor(port, seconds - seconds / 2, mix);
  ::kill(floor_server.pid, SIGTERM);
  wait_for(floor_server, std::chrono::seconds(5));
  FloorResult floor;
  floor.probes = floor_first.probes + floor_second.probes;
  floor.ok = floor_first.ok + floor_second.ok;
  floor.usage.cpu_s = floor_first.usage.cpu_s + floor_second.usage.cpu_s;
  floor.usage.user_s = floor_first.usage.user_s + floor_second.usage.user_s;
  floor.usage.peak_rss_kb = std::max(floor_first.usage.peak_rss_kb, floor_second.usage.peak_rss_kb);
  if (beside)
    fmt::print("  floor prober, beside faultline for {} s: {} probe executions in {:.2f} s of CPU\n", std::max(1, seconds - 2),
               floor_second.probes, floor_second.usage.cpu_s);
  else
    fmt::print("  floor prober, first half: {} probe executions in {:.2f} s of CPU (load average before {:.2f}, after {:.2f}); "
               "second half: {} in {:.2f} s (after {:.2f})\n",
               floor_first.probes, floor_first.usage.cpu_s, floor_load_before, floor_load_mid, floor_second.probes,
               floor_second.usage.cpu_s, load_average());
  fmt::print("  floor prober: {} probe executions ({:.0f}/s, {} ok)\n", floor.probes,
             static_cast<double>(floor.probes) / (beside ? std::max(1, seconds - 2) : seconds), floor.ok);
  line("peer, floor:", floor.usage, "", static_cast<double>(beside ? std::max(1, seconds - 2) : seconds));
  const double ratio =
      floor.usage.cpu_s > 0 && floor.probes > 0 && samples > 0
          ? (harness.cpu_s / static_cast<double>(samples)) / (floor.usage.cpu_s / static_cast<double>(floor.probes))
          : 0.0;
  fmt::print("  CPU per probe execution: faultline {:.1f} us, floor {:.1f} us\n",
             samples ? 1e6 * harness.cpu_s / static_cast<double>(samples) : 0.0,
             floor.probes ? 1e6 * floor.usage.cpu_s / static_cast<double>(floor.probes) : 0.0);
  fmt::print("  ratio harness/floor CPU per probe execution: {:.2f} (target <= 1.25)\n", ratio);
  return ratio;
}

}  // namespace

int main(int argc, char** argv) {
  // --beside: the floor probes at the same time as faultline (its own
  // server, the same seconds) instead of before and after it.
  std::vector<std::string> args;
  bool beside = false;
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--beside") beside = true;
    else args.emplace_back(argv[i]);
  const int seconds = args.size() > 0 ? std::atoi(args[0].c_str()) : 60;
  const std::string mix_name = args.size() > 1 ? args[1] : "mixed";
  const int rounds = args.size() > 2 ? std::atoi(args[2].c_str()) : 1;
  if (mix_name != "mixed" && mix_name != "tcp" && mix_name != "http") {
    fmt::print(stderr, "probe_load: the probes are mixed, tcp or http, not {}\n", mix_name);
    return 2;
  }
  if (seconds < 2 || rounds < 1) {
    fmt::print(stderr, "probe_load: at least 2 seconds and 1 round\n");
    return 2;
  }
  const Mix mix = mix_name == "tcp" ? Mix::tcp : mix_name == "http" ? Mix::http : Mix::mixed;
  std::vector<double> ratios;
  for (int r = 1; r <= rounds; ++r) {
    if (rounds > 1) fmt::print("round {} of {}:\n", r, rounds);
    const auto ratio = run_round(seconds, mix, mix_name, beside);
    if (!ratio) return 1;
    ratios.push_back(*ratio);
  }
  if (rounds > 1) {
    std::vector<double> sorted = ratios;
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted.size() % 2 ? sorted[sorted.size() / 2]
                                            : (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]) / 2;
    fmt::print("ratio harness/floor CPU per probe execution, by round: {:.2f}; median {:.2f}, worst {:.2f} (target <= 1.25)\n",
               fmt::join(ratios, ", "), median, sorted.back());
  }
  return 0;
}
