// stress — a noisy neighbour: stress-ng (Debian's stress-ng) runs CPU,
// memory and disk workers beside the target service for `duration`, then
// is killed. The failure it models is a host shared with a batch job, or a
// failover target that gets the load of the member it replaced.
//
// Where it runs: `inside = false` (the default), beside the service, in a
// cgroup of the fault's own (faultline-RUNID-stress-NAME: the kernel
// schedules it against the service like any other process of the host);
// `inside = true`, in the service's own cgroup, so that the service's limits
// (a resource.cpu share, a resource.memory limit) are shared with it: the
// workers take what the service would have had, and may get a process of the
// service OOM-killed. Either cgroup is made by the run before the clone
// starts and written to the crash ledger before it exists
// (src/run/run_cgroups.cpp), which is what makes the workers findable after
// a crash: they are in it from their first instruction (a shell joins the
// cgroup, then execs stress-ng).
//
// How it works: inject starts `stress-ng --cpu N --vm M --vm-bytes B --hdd K
// --temp-path RUN_DIR/stress/NAME --timeout T` in a process group of its
// own, its output in RUN_DIR/logs/stress-NAME.log, and checks that it is
// still running 200 ms later (stress-ng refuses bad options at once). `io`
// workers are stress-ng's hdd stressors: they write and read back files in
// the run directory (the same disk as the services' data), not sync(2)
// storms that would reach every disk of the host.
//
// How it is undone: revert kills stress-ng's process group (SIGKILL), waits
// until no member is left, and removes its temporary directory. The cgroup
// goes at the end of the run, what is left in it killed first; should the
// harness die, the watchdog or `faultline cleanup` does that from the
// ledger (and stress-ng's own --timeout, the fault's duration plus a
// minute, ends it even if nothing else did).
#include "fault_injectors/stress.hpp"

#include <fmt/format.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <cstdlib>

#include "fault_injectors/injector.hpp"
#include "fault_injectors/resource_fault.hpp"
#include "os/elf_facts.hpp"
#include "os/subprocess.hpp"
#include "scenario/byte_size.hpp"
#include "system/clone.hpp"

namespace faultline {

namespace fs = std::filesystem;

namespace {

/// The cgroup a stress fault runs in, when not its target's.
std::string own_cgroup(const FaultSpec& f) {
  const auto* p = f.params.get_if<StressParams>();
  if (p && p->inside) return {};
  return "stress-" + (f.name.empty() ? f.target : f.name);
}

class Stress final : public Injector {
 public:
  explicit Stress(const FaultSpec& spec)
      : target_(spec.target),
        owner_(own_cgroup(spec)),
        name_(spec.name.empty() ? spec.target : spec.name),
        params_(spec.params.get<StressParams>()),
        hold_s_(spec.duration ? std::chrono::duration_cast<std::chrono::seconds>(*spec.duration).count() : 0) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    cgroup_ = ctx.clone.cgroup(owner_.empty() ? target_ : owner_);
    if (cgroup_.empty())
      throw FaultError(fmt::format("stress '{}' has no cgroup of the run to run in", name_));
    if (ctx.run_dir.empty()) throw FaultError("stress needs the run directory");
    temp_ = ctx.run_dir / "stress" / name_;
    log_ = ctx.run_dir / "logs" / ("stress-" + name_ + ".log");
    co_return;
  }

  asio::awaitable<void> inject(InjectorContext& ctx) override {
    std::error_code ec;
    fs::create_directories(temp_, ec);
    fs::create_directories(log_.parent_path(), ec);
    SpawnOptions o;
    o.argv = join_cgroups_argv(cgroup_, stress_argv(params_, temp_.string(), hold_s_ + 60));
    o.cwd = temp_;
    o.log = log_;
    try {
      child_ = Child::spawn(ctx.ex, o);
    } catch (const std::exception& e) {
      throw FaultError(fmt::format("stress-ng could not start: {}", e.what()));
    }
    asio::steady_timer t(ctx.ex);
    t.expires_after(std::chrono::milliseconds(200));
    co_await t.async_wait(asio::use_awaitable);
    if (!child_->running())
      throw FaultError(fmt::format("stress-ng ended at once (see {})", log_.string()));
  }

  asio::awaitable<void> revert(InjectorContext&) override {
    if (child_) {
      co_await child_->stop(SIGKILL, Nanos{0});
      child_.reset();
    }
    std::error_code ec;
    if (!temp_.empty()) fs::remove_all(temp_, ec);
    if (ec) throw FaultError(fmt::format("cannot remove {}: {}", temp_.string(), ec.message()));
    if (!temp_.empty()) fs::remove(temp_.parent_path(), ec);  // the run's stress/ once no other fault's is in it
  }

  bool reversible() const override { return true; }

  std::string describe() const override {
    return fmt::format("stress-ng ({}) {} service '{}'{}", workers(params_),
                       params_.inside ? "inside the cgroup of" : "beside", target_,
                       child_ ? fmt::format(", process group {}", child_->pgid()) : std::string());
  }

  static std::string workers(const StressParams& p) {
    std::string out;
    auto add = [&](std::int64_t n, const std::string& what) {
      if (n > 0) out += (out.empty() ? "" : ", ") + fmt::format("{} {}", n, what);
    };
    add(p.cpu, "cpu");
    add(p.vm, fmt::format("vm of {}", format_size(p.vm_bytes)));
    add(p.io, "io");
    return out;
  }

 private:
  std::string target_, owner_, name_;
  StressParams params_;
  long long hold_s_ = 0;
  std::vector<fs::path> cgroup_;
  fs::path temp_, log_;
  std::unique_ptr<Child> child_;
};

FaultParams read(ParamReader& r) {
  StressParams p;
  if (auto v = r.integer("cpu", 0, 256)) p.cpu = *v;
  if (auto v = r.integer("vm", 0, 256)) p.vm = *v;
  if (auto v = r.integer("io", 0, 256)) p.io = *v;
  if (auto v = r.boolean("inside")) p.inside = *v;
  if (const auto text = r.text("vm_bytes")) {
    std::string error;
    if (auto v = parse_size(*text, &error); v && *v >= 4096)
      p.vm_bytes = *v;
    else
      p.bad.emplace_back("vm_bytes", v ? fmt::format("vm_bytes '{}' is below 4 KiB", *text) : error);
  }
  return p;
}

void check(FaultCheck& c) {
  const auto* p = c.fault().params.get_if<StressParams>();
  if (!p) return;
  for (const auto& [key, why] : p->bad) c.error(c.at(key), fmt::format("{}: {}", c.label(), why));
  if (p->cpu + p->vm + p->io == 0)
    c.error(c.at("kind"), c.label() + ": a stress fault needs workers: 'cpu', 'vm' or 'io' above 0",
            "e.g. cpu = 2 (two busy CPU workers)");
  const char* path = std::getenv("PATH");
  if (!find_program("stress-ng", path ? path : "/usr/bin:/bin"))
    c.error(c.at("kind"), c.label() + ": stress-ng is not installed (not found in PATH)",
            "Debian: apt-get install stress-ng");
  check_cgroup_fault(c, CgroupController::cpu, "kind");
}

std::string describe(const FaultSpec& f) {
  const auto* p = f.params.get_if<StressParams>();
  return p ? fmt::format("stress-ng ({}) {} '{}'", Stress::workers(*p), p->inside ? "inside the cgroup of" : "beside",
                         f.target)
           : std::string();
}

std::vector<CgroupController> controllers(const FaultSpec&) { return {CgroupController::cpu}; }

}  // namespace

std::vector<std::string> stress_argv(const StressParams& p, const std::string& temp, long long timeout_s) {
  std::vector<std::string> a = {"stress-ng"};
  if (p.cpu > 0) a.insert(a.end(), {"--cpu", std::to_string(p.cpu)});
  if (p.vm > 0) a.insert(a.end(), {"--vm", std::to_string(p.vm), "--vm-bytes", std::to_string(p.vm_bytes)});
  if (p.io > 0) a.insert(a.end(), {"--hdd", std::to_string(p.io), "--hdd-bytes", "64M"});
  a.insert(a.end(), {"--temp-path", temp, "--timeout", std::to_string(std::max(1LL, timeout_s)) + "s"});
  return a;
}

const InjectorKind& stress_kind() {
  static const InjectorKind kind{
      .kind =
          {
              .spec = {"stress",
                       "run a noisy neighbour (stress-ng: CPU, memory and disk workers) beside the target service, "
                       "or inside its cgroup, for 'duration' (root)",
                       true,
                       {
                           {"cpu", "integer", "0", "CPU workers (busy loops), 0..256", false},
                           {"vm", "integer", "0", "memory workers, each touching 'vm_bytes' over and over, 0..256",
                            false},
                           {"vm_bytes", "size", "\"64MiB\"", "the memory each 'vm' worker keeps touching (at least 4 KiB)",
                            false},
                           {"io", "integer", "0",
                            "disk workers (stress-ng's hdd: write and read back files in the run directory), 0..256",
                            false},
                           {"inside", "bool", "false",
                            "run in the target's cgroup (its resource.* limits are shared with the workers) instead "
                            "of beside it",
                            false},
                       }},
              .target = FaultTarget::service,
              .duration = FaultDuration::required,
              .duration_why = "needs to know how long the neighbour stays",
              .read = &read,
              .check = &check,
              .describe = &describe,
          },
      .make = &make_injector_of<Stress>,
      .cgroup = &controllers,
      .cgroup_owner = &own_cgroup,
  };
  return kind;
}

}  // namespace faultline
