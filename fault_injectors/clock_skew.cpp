// clock.skew — step a service's clock forward or back, make it run fast or
// slow, or stop it, for `duration`; then give it back the real time.
//
// How it works: a service that a clock.skew may target (its `target`, or
// every candidate of a dynamic target; no other service) is started with
// Debian's libfaketime preloaded (LD_PRELOAD) and a control file of its own
// in the run directory (run_dir/clock/SERVICE.faketime), named by
// FAKETIME_TIMESTAMP_FILE and read again on every clock call
// (FAKETIME_NO_CACHE=1). Until a fault it holds "+0 x1": no offset, real
// speed. The fault renames a new specification over it: "+172800 x1" for
// offset = "+2d", "-30 x1" for "-30s", an epoch second for a freeze
// (FAKETIME_FMT=%s), and for a rate "OFFSET xR" with the offset that keeps
// the clock continuous at the moment of injection (libfaketime speeds time
// up from its own start, which is the process's start time in /proc). Only
// the processes of that service see it: libfaketime replaces the libc
// functions that read the clock (time, gettimeofday, clock_gettime, and the
// stat family's timestamps) inside the process; the kernel's clock, other
// processes and faultline's own measurements are untouched. libfaketime
// also shifts CLOCK_MONOTONIC and scales sleeps by the rate
// (FAKETIME_DONT_FAKE_MONOTONIC=1 would keep monotonic time real, but makes
// Python's time.sleep fail with EINVAL in Debian's 0.9.10, measured), so
// the service's timers see the step too.
//
// What cannot take effect is refused, not ignored. Validation reads the
// ELF headers of the service's program (its argv[0], or the first word of
// its shell line, found in PATH): a Go program (.go.buildinfo: Go reads the
// clock through the vDSO, never libc) and a statically linked one (no
// PT_INTERP: no dynamic loader, no preload) are errors at the fault's
// `target`. A program started through a script is seen only at run time:
// each injection checks every process of the service's group (its
// /proc/PID/exe is neither Go nor static, and /proc/PID/maps shows
// libfaketime loaded); then, with an inotify watch set before the write,
// waits (3 s at most) until some process opens the control file, which
// libfaketime does on every clock call of a process that has the control
// file in its environment (nginx clears its workers' environment unless
// told `env FAKETIME_TIMESTAMP_FILE;`: that is caught here, measured);
// then runs `date` with the same environment and control file and checks
// that it shows the skewed time (within 1 s). What this verifies: the
// library is in every process of the service, a process of it computed
// the time from the new specification, and libfaketime reads that
// specification as meant. What it cannot: which process read it (inotify
// names no pid), and that every clock read of the program goes through
// libc (raw clock_gettime system calls would not see the skew); no check
// from outside a process sees its view of time in general. A service that
// reads no clock for 3 s after the injection (idle, no timers) fails too:
// exit 4 rather than a skew that may not have happened. A program that
// breaks under the preload fails to start (redis-server: jemalloc calls
// clock_gettime while libfaketime initialises, "Unexpected recursive calls
// to clock_gettime()"): the run stops before any fault, naming the preload.
//
// How it is undone: revert renames "+0 x1" over the control file again
// (idempotent; nothing to do before an inject) and reads it back. If the
// harness dies, the services die with it (watchdog or `faultline cleanup`,
// from the ledger's processes and the run's cgroup) and the control files,
// named in the ledger, are removed with the rest of the run's state; at the
// end of a run they are removed after the services stop. The preload is in
// the environment faultline starts the service with for this run only: a
// service restarted after the run (by anyone) has none.
#include "fault_injectors/clock_skew.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <sys/inotify.h>
#include <unistd.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>

#include "fault_injectors/injector.hpp"
#include "fault_injectors/service_fault.hpp"
#include "os/elf_facts.hpp"
#include "os/faketime.hpp"
#include "os/fd.hpp"
#include "os/procfs.hpp"
#include "os/subprocess.hpp"
#include "system/clone.hpp"

namespace faultline {

namespace fs = std::filesystem;

namespace {

/// How far the probe's view of time may be from what was written (its own
/// start-up and the command's round trip are well inside it).
constexpr double kProbeSlack = 1.0;
/// How long a process of the service has to read its clock after the skew:
/// a server reads it for every event; longer than any probe interval.
constexpr auto kConsultDeadline = 3s;
constexpr auto kConsultPoll = 5ms;
/// Rounds of the per-process check, and the pause between them (a process
/// just exec'd gets its preload mapped within microseconds).
constexpr int kRecheck = 4;
constexpr auto kRecheckPause = 50ms;

double real_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A process's start as wall-clock seconds since the epoch (/proc/PID/stat's
/// start time in clock ticks after boot, plus the boot time); nullopt when gone.
std::optional<double> process_started_at(pid_t pid) {
  const auto ticks = process_start_time(pid);
  if (!ticks) return std::nullopt;
  std::ifstream stat("/proc/stat");
  std::string key;
  long long btime = 0;
  while (stat >> key)
    if (key == "btime" && (stat >> btime)) break;
  if (btime == 0) return std::nullopt;
  return static_cast<double>(btime) + static_cast<double>(*ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// Why a process of the service cannot see the skew; "" when it can.
std::string process_refusal(pid_t p) {
  const fs::path exe = fmt::format("/proc/{}/exe", p);
  std::error_code ec;
  const fs::path target = fs::read_symlink(exe, ec);
  if (ec) return {};  // gone or a zombie: it reads no clock
  if (auto facts = read_elf_facts(exe); facts && !preload_refusal(*facts).empty())
    return fmt::format("process {} ({}) {}", p, target.string(), preload_refusal(*facts));
  const std::string maps = read_text(fmt::format("/proc/{}/maps", p));
  if (maps.empty()) return {};  // gone meanwhile
  if (maps.find("libfaketime") == std::string::npos)
    return fmt::format("process {} ({}) has no libfaketime loaded (/proc/{}/maps): the preload did not take "
                       "(its environment was cleared, or it is a set-user-ID program)",
                       p, target.string(), p);
  return {};
}

/// The program a service runs: argv[0], or the first word of its shell
/// line (after `exec` and VAR=value words) when the line is that simple.
std::optional<fs::path> service_program(const ServiceSpec& svc) {
  std::string first;
  if (!svc.command.shell || svc.command.argv.size() < 3) {
    if (svc.command.argv.empty()) return std::nullopt;
    first = svc.command.argv[0];
  } else {
    std::istringstream words(svc.command.argv[2]);
    std::string w;
    while (words >> w) {
      if (w == "exec" || (w.find('=') != std::string::npos && w.find('/') == std::string::npos)) continue;
      first = w;
      break;
    }
    if (first.find_first_of("$`(){}<>|&;'\"\\*?[") != std::string::npos ||
        svc.command.argv[2].find_first_of("\n;&|") != std::string::npos)
      return std::nullopt;  // a script: its programs are checked at each injection
  }
  if (first.empty() || first.find('{') != std::string::npos) return std::nullopt;
  std::string path_var = svc.env.contains("PATH") ? svc.env.at("PATH") : std::string();
  if (path_var.empty())
    if (const char* p = std::getenv("PATH")) path_var = p;
  return find_program(first, path_var);
}

class ClockSkew final : public ServiceInjector<ClockSkewParams> {
 public:
  explicit ClockSkew(const FaultSpec& spec) : ServiceInjector(spec, "skew the clock of") {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    co_await ServiceInjector::prepare(ctx);
    if (remote_) throw FaultError(fmt::format("service '{}' runs on a [[host]]: clock.skew acts only on services "
                                              "faultline starts on this machine", target_));
    const auto env = ctx.clone.env(target_);
    const auto it = env.find("FAKETIME_TIMESTAMP_FILE");
    const auto lib = env.find("LD_PRELOAD");
    if (it == env.end() || lib == env.end())
      throw FaultError(fmt::format("service '{}' was not started with libfaketime preloaded", target_));
    control_ = it->second;
    library_ = lib->second.substr(0, lib->second.find(':'));
  }

  asio::awaitable<void> inject(InjectorContext& ctx) override {
    Child& child = running(ctx);
    pid_ = child.pid();
    co_await check_processes(ctx, child.pgid());
    // Watched from before the write: an open of the control file after it
    // is a process of the service asking libfaketime for the time.
    UniqueFd watch(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!watch || ::inotify_add_watch(watch.get(), fs::path(control_).parent_path().c_str(), IN_OPEN) < 0)
      throw FaultError(fmt::format("cannot watch the clock control file of service '{}': {}", target_,
                                   std::strerror(errno)));
    const double now = real_now();
    const std::string spec = clock_skew_spec(params_, now, process_started_at(pid_).value_or(now));
    written_ = true;  // from here on revert restores the neutral file
    try {
      write_faketime_control(control_, spec + "\n");
    } catch (const std::exception& e) {
      throw FaultError(fmt::format("cannot write the clock control file of service '{}': {}", target_, e.what()));
    }
    spec_ = spec;
    if (!co_await consulted(ctx, watch.get()))
      throw FaultError(fmt::format(
          "the clock of service '{}' did not move: none of its processes read its control file {} within {} s of "
          "the skew, so none asks libfaketime for the time (a program that clears its environment, as nginx does "
          "for its workers unless its configuration says `env FAKETIME_TIMESTAMP_FILE;`), or it read no clock at "
          "all meanwhile",
          target_, control_, std::chrono::duration_cast<std::chrono::seconds>(kConsultDeadline).count()));
    co_await verify(ctx, spec);
  }

  asio::awaitable<void> revert(InjectorContext&) override {
    if (!written_) co_return;
    std::error_code ec;
    if (!fs::exists(control_, ec)) co_return;  // removed with the run: nothing reads it any more
    try {
      write_faketime_control(control_, kFaketimeNeutral);
    } catch (const std::exception& e) {
      throw FaultError(fmt::format("cannot restore the clock control file of service '{}': {}", target_, e.what()));
    }
    if (read_text(control_) != kFaketimeNeutral)
      throw FaultError(fmt::format("the clock control file {} of service '{}' does not read back neutral", control_,
                                   target_));
  }

  bool reversible() const override { return true; }

  std::string describe() const override {
    return fmt::format("libfaketime control file of service '{}'{} set to \"{}\", \"+0 x1\" at revert", target_,
                       pid_ ? fmt::format(" (pid {})", pid_) : std::string(), spec_.empty() ? "..." : spec_);
  }

 private:
  /// Checks every process of the group (process_refusal). A process caught
  /// between its exec and the dynamic loader's mapping of the preload (a
  /// shell's short-lived command) has no libfaketime yet: one that still
  /// lacks it after kRecheck rounds, and still runs, fails the injection.
  asio::awaitable<void> check_processes(InjectorContext& ctx, pid_t pgid) {
    std::vector<pid_t> suspects = processes_in_group(pgid);
    if (suspects.empty()) suspects = {pid_};
    asio::steady_timer timer(ctx.ex);
    std::string why;
    for (int round = 0; round < kRecheck && !suspects.empty(); ++round) {
      if (round > 0) {
        timer.expires_after(kRecheckPause);
        co_await timer.async_wait(asio::use_awaitable);
      }
      std::vector<pid_t> left;
      for (pid_t p : suspects)
        if (std::string w = process_refusal(p); !w.empty()) {
          left.push_back(p);
          why = std::move(w);
        }
      suspects = std::move(left);
    }
    if (!suspects.empty())
      throw FaultError(fmt::format("the clock of service '{}' cannot be skewed: {}", target_, why));
  }

  /// Waits until a process opens the control file (an inotify IN_OPEN
  /// naming it in its directory) or kConsultDeadline passes.
  asio::awaitable<bool> consulted(InjectorContext& ctx, int fd) {
    const std::string name = fs::path(control_).filename().string();
    asio::steady_timer timer(ctx.ex);
    const auto deadline = SteadyClock::now() + kConsultDeadline;
    alignas(inotify_event) char buf[4096];
    while (SteadyClock::now() < deadline) {
      for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
        for (ssize_t off = 0; off < n;) {
          const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
          if (ev->len > 0 && name == ev->name) co_return true;
          off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
        }
      timer.expires_after(kConsultPoll);
      co_await timer.async_wait(asio::use_awaitable);
    }
    co_return false;
  }

  /// Runs `date` with the service's preload and control file: it must show
  /// the time `spec` says (a freeze's second, or real time plus the offset).
  asio::awaitable<void> verify(InjectorContext& ctx, const std::string& spec) {
    SpawnOptions o;
    o.argv = {"date", "+%s.%N"};
    o.env = faketime_env(library_, control_);
    const double before = real_now();
    auto r = co_await run_command(ctx.ex, std::move(o), std::chrono::seconds(10));
    const double after = real_now();
    double seen = 0;
    const std::string out = r.out.substr(0, r.out.find('\n'));
    const auto [end, ec] = std::from_chars(out.data(), out.data() + out.size(), seen);
    if (!r.status.success() || ec != std::errc() || end != out.data() + out.size())
      throw FaultError(fmt::format("the clock of service '{}' could not be checked: `date` under libfaketime with "
                                   "its control file {} ({}): {}",
                                   target_, r.status.describe(), control_, r.out + r.err));
    const bool freeze = spec.find(' ') == std::string::npos;
    const double offset = freeze ? 0 : std::strtod(spec.c_str(), nullptr);
    const bool ok = freeze ? std::abs(seen - std::strtod(spec.c_str(), nullptr)) <= kProbeSlack
                           : seen >= before + offset - kProbeSlack && seen <= after + offset + kProbeSlack;
    if (!ok)
      throw FaultError(fmt::format("the clock of service '{}' did not move: `date` under libfaketime with its control "
                                   "file \"{}\" showed {:.3f}, {:+.3f} s from real time",
                                   target_, spec, seen, seen - after));
  }

  std::string control_;  ///< the service's control file
  std::string library_;  ///< the preloaded libfaketime
  pid_t pid_ = 0;
  bool written_ = false;
  std::string spec_;  ///< what inject wrote
};

FaultParams read(ParamReader& r) {
  ClockSkewParams p;
  assign(p.offset, r.text("offset"));
  assign(p.rate, r.text("rate"));
  assign(p.freeze, r.boolean("freeze"));
  return p;
}

void check(FaultCheck& c) {
  const auto* p = c.fault().params.get_if<ClockSkewParams>();
  if (!p) return;
  std::string why;
  if (!p->offset.empty() && !parse_clock_offset(p->offset, &why)) c.error(c.at("offset"), c.label() + ": " + why);
  if (!p->rate.empty() && !parse_clock_rate(p->rate, &why)) c.error(c.at("rate"), c.label() + ": " + why);
  if (p->freeze && !p->rate.empty())
    c.error(c.at("rate"), c.label() + ": a frozen clock has no rate", "remove 'rate' or 'freeze'");
  if (p->offset.empty() && p->rate.empty() && !p->freeze)
    c.error(c.at("kind"), c.label() + ": a clock.skew needs 'offset', 'rate' or 'freeze'",
            "e.g. offset = \"+2d\" (forward two days) or offset = \"-30s\"");
  const std::string& target = c.fault().target;
  const ServiceSpec* svc = nullptr;
  for (const auto& s : c.scenario().services)
    if (s.name == target) svc = &s;
  if (!svc) return;  // reported by the common checks
  if (svc->attach.attached() || service_host(c.scenario(), *svc)) {
    c.error(c.at("target"), fmt::format("{}: service '{}' runs on host '{}': clock.skew acts only on services "
                                        "faultline starts on this machine (libfaketime preloaded at their start)",
                                        c.label(), target, svc->host));
    return;
  }
  const auto program = service_program(*svc);
  if (!program) return;  // a script or a program not found yet: checked at each injection
  const auto facts = read_elf_facts(*program);
  if (!facts) return;
  if (const std::string refusal = preload_refusal(*facts); !refusal.empty())
    c.error(c.at("target"), fmt::format("{}: service '{}' runs {}, which {}; clock.skew cannot take effect", c.label(),
                                        target, program->string(), refusal),
            "skew a service whose program calls libc for the time (nginx, PostgreSQL, Python, curl)");
}

std::string describe(const FaultSpec& f) {
  const auto* p = f.params.get_if<ClockSkewParams>();
  if (!p) return {};
  std::string what;
  if (p->freeze) what = "freeze";
  if (!p->offset.empty()) what += (what.empty() ? "step " : " at ") + p->offset;
  if (!p->rate.empty()) what += (what.empty() ? "run at " : ", run at ") + p->rate;
  return fmt::format("{} the clock of '{}' (libfaketime: its own view of time only)", what, f.target);
}

}  // namespace

std::optional<long long> parse_clock_offset(std::string_view text, std::string* why) {
  auto bad = [&](const std::string& what) -> std::optional<long long> {
    if (why)
      *why = fmt::format("invalid clock offset '{}': {}; write a sign, then a number with a unit, e.g. \"+2d\", "
                         "\"-30s\", \"+1h30m\" (units: s, m, h, d)",
                         text, what);
    return std::nullopt;
  };
  if (text.empty() || (text[0] != '+' && text[0] != '-')) return bad("it has no sign ('+' forward, '-' back)");
  const long long sign = text[0] == '-' ? -1 : 1;
  std::string_view rest = text.substr(1);
  if (rest.empty()) return bad("it has no number");
  long long total = 0;
  while (!rest.empty()) {
    long long n = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
    if (ec != std::errc() || end == rest.data() || n < 0) return bad("a whole number must come before each unit");
    rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
    if (rest.empty()) return bad("the last number has no unit");
    long long unit = 0;
    switch (rest[0]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      default: return bad(fmt::format("unknown unit '{}'", rest[0]));
    }
    rest.remove_prefix(1);
    if (n > 100LL * 365 * 86400 / unit) return bad("it is more than 100 years");
    total += n * unit;
  }
  if (total > 100LL * 365 * 86400) return bad("it is more than 100 years");
  return sign * total;
}

std::optional<double> parse_clock_rate(std::string_view text, std::string* why) {
  auto bad = [&](const std::string& what) -> std::optional<double> {
    if (why)
      *why = fmt::format("invalid clock rate '{}': {}; write a factor followed by 'x', e.g. \"2x\" (twice as fast) "
                         "or \"0.5x\" (half speed)",
                         text, what);
    return std::nullopt;
  };
  if (text.empty() || text.back() != 'x') return bad("it does not end in 'x'");
  const std::string_view num = text.substr(0, text.size() - 1);
  double v = 0;
  const auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
  if (num.empty() || ec != std::errc() || end != num.data() + num.size()) return bad("the factor is not a number");
  if (!(v > 0) || v > 1000) return bad("the factor must be more than 0 and at most 1000");
  return v;
}

std::string clock_skew_spec(const ClockSkewParams& p, double now, double start) {
  const double offset = p.offset.empty() ? 0.0 : static_cast<double>(parse_clock_offset(p.offset, nullptr).value_or(0));
  if (p.freeze) return fmt::format("{}", static_cast<long long>(std::floor(now + offset)));
  const double rate = p.rate.empty() ? 1.0 : parse_clock_rate(p.rate, nullptr).value_or(1.0);
  // libfaketime shows start + (t - start) * rate + written offset: continuous at `now` when
  // written = offset - (now - start) * (rate - 1).
  const double written = offset - (rate == 1.0 ? 0.0 : (now - start) * (rate - 1.0));
  if (rate == 1.0) return fmt::format("{:+d} x1", static_cast<long long>(offset));
  return fmt::format("{:+.3f} x{}", written, rate);
}

std::vector<std::string> clock_skew_services(const Scenario& s) {
  std::vector<std::string> out;
  auto add = [&](const std::string& name) {
    if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  for (const auto& f : s.faults) {
    if (f.kind != "clock.skew") continue;
    if (f.select)
      for (const auto& c : f.select->among) add(c);
    else
      add(f.target);
  }
  return out;
}

fs::path clock_control_path(const fs::path& run_dir, const std::string& service) {
  return run_dir / "clock" / (service + ".faketime");
}

void arm_clock_skew(Clone& clone, const Scenario& s, const fs::path& run_dir) {
  const auto services = clock_skew_services(s);
  if (services.empty()) return;
  const auto lib = libfaketime_path();
  if (!lib)
    throw std::runtime_error("clock.skew needs libfaketime (Debian: apt-get install libfaketime); "
                             "libfaketime.so.1 was found in no /usr/lib/*/faketime/");
  fs::create_directories(run_dir / "clock");
  for (const auto& name : services) {
    const fs::path control = clock_control_path(run_dir, name);
    write_faketime_control(control, kFaketimeNeutral);
    const auto env = clone.env(name);
    const auto pre = env.find("LD_PRELOAD");
    clone.set_env(name, faketime_env(*lib, control, pre == env.end() ? std::string() : pre->second));
  }
}

std::string clock_skew_start_note(const Scenario& s, const std::string& service) {
  const auto services = clock_skew_services(s);
  if (std::find(services.begin(), services.end(), service) == services.end()) return {};
  return fmt::format("\n(service '{}' was started with libfaketime preloaded, for clock.skew: some programs fail "
                     "under it; redis-server, whose jemalloc reads the clock while libfaketime starts, exits with "
                     "\"Unexpected recursive calls to clock_gettime()\". clock.skew cannot act on such a service.)",
                     service);
}

const InjectorKind& clock_skew_kind() {
  static const InjectorKind kind{
      .kind =
          {
              .spec = {"clock.skew",
                       "step the target service's clock by 'offset', run it at 'rate' or freeze it for 'duration' "
                       "(libfaketime: its own view of time only)",
                       true,
                       {
                           {"offset", "string", "",
                            "step the clock forward ('+') or back ('-'): \"+2d\", \"-30s\", \"+1h30m\" (units s, m, "
                            "h, d; at most 100 years)",
                            false},
                           {"rate", "string", "",
                            "run the clock at this multiple of real time from the injection on: \"2x\", \"0.5x\" "
                            "(more than 0, at most 1000; sleeps are scaled too)",
                            false},
                           {"freeze", "bool", "false",
                            "stop the clock at the moment of injection (plus 'offset') for the whole duration", false},
                       }},
              .target = FaultTarget::service,
              .duration = FaultDuration::required,
              .duration_why = "needs to know how long to keep the clock skewed",
              .read = &read,
              .check = &check,
              .describe = &describe,
          },
      .make = &make_injector_of<ClockSkew>,
  };
  return kind;
}

}  // namespace faultline
