// resource.cpu — throttle a service to a share of one CPU core for
// `duration`, then give it back all it can use.
//
// How it works: a service that a resource.cpu may target (its `target`, or
// every candidate of a dynamic target) is started by the run inside a cgroup
// of its own (src/run/run_cgroups.cpp; named faultline-RUNID-SERVICE, in the
// crash ledger before it is made): a shell joins the cgroup, then execs the
// service's command, so the service and every process it forks are inside
// from their first instruction, restarts included. The fault writes the
// kernel's CFS bandwidth limit: on cgroup v2 `cpu.max` = "QUOTA PERIOD", on
// cgroup v1 `cpu.cfs_period_us` = PERIOD and `cpu.cfs_quota_us` = QUOTA,
// with PERIOD 100 ms and QUOTA = share x PERIOD ("10%" = 10 ms of CPU time
// per 100 ms, summed over every thread and process of the service; "150%"
// lets it use one and a half cores). The scheduler stops the cgroup's
// threads once they have used their quota in a period and runs them again
// at the next one: a busy service gets its share on average over periods,
// and sees latencies of up to PERIOD - QUOTA where it had none. Which
// interface is used is what the host offers (resource_cgroup.hpp): v2 where
// its cgroup2 hierarchy has the cpu controller, else v1's cpu hierarchy.
//
// Needs root and a cpu controller: refused at validation otherwise (the
// reason, and `faultline doctor` shows which controllers this host has).
//
// How it is undone: revert writes "max 100000" (v2) or -1 (v1) to the quota:
// unlimited again. The cgroup itself outlives the fault and goes at the end
// of the run, after the service stopped; should the harness die, the
// watchdog or `faultline cleanup` kills what is left in it and removes it
// (the ledger's resource_cgroups), which also ends the throttle.
#include "fault_injectors/resource_cpu.hpp"

#include <fmt/format.h>

#include <charconv>
#include <thread>

#include "fault_injectors/injector.hpp"
#include "fault_injectors/resource_fault.hpp"

namespace faultline {

namespace {

constexpr std::int64_t kPeriodUs = 100000;

/// "10%" of one core -> 0.1; between 1% and 100% per CPU of the machine.
std::optional<double> parse_share(const std::string& text, std::string& why) {
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  why = fmt::format("invalid share '{}': write a percentage of one CPU core, e.g. \"10%\" (at least 1%, at most {}% "
                    "on this {}-CPU machine)",
                    text, 100 * cpus, cpus);
  if (text.size() < 2 || text.back() != '%') return std::nullopt;
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, v);
  if (ec != std::errc() || end != text.data() + text.size() - 1 || !(v >= 1) || v > 100.0 * cpus) return std::nullopt;
  return v / 100;
}

class ResourceCpu final : public Injector {
 public:
  explicit ResourceCpu(const FaultSpec& spec) : target_(spec.target), params_(spec.params.get<ResourceCpuParams>()) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    controls_ = service_cgroup(ctx, target_);
    co_return;
  }
  asio::awaitable<void> inject(InjectorContext&) override {
    written_ = true;
    try {
      controls_->set_cpu(params_.cores, kPeriodUs);
    } catch (const std::exception& e) {
      throw FaultError(fmt::format("cannot throttle service '{}': {}", target_, e.what()));
    }
    co_return;
  }
  asio::awaitable<void> revert(InjectorContext&) override {
    if (!written_ || !controls_) co_return;
    try {
      controls_->clear_cpu();
    } catch (const std::exception& e) {
      throw FaultError(fmt::format("cannot lift the CPU throttle of service '{}': {}", target_, e.what()));
    }
    co_return;
  }
  bool reversible() const override { return true; }
  std::string describe() const override {
    return fmt::format("throttle service '{}' to {} of one CPU core ({} ms per {} ms period; {})", target_,
                       params_.share, std::llround(params_.cores * kPeriodUs) / 1000.0, kPeriodUs / 1000,
                       controls_ ? controls_->version() : std::string("cgroup"));
  }

 private:
  std::string target_;
  ResourceCpuParams params_;
  std::unique_ptr<CgroupControls> controls_;
  bool written_ = false;
};

FaultParams read(ParamReader& r) {
  ResourceCpuParams p;
  if (r.require("share"))
    if (const auto text = r.text("share")) {
      p.share = *text;
      if (const auto v = parse_share(*text, p.bad)) {
        p.cores = *v;
        p.bad.clear();
      }
    }
  return p;
}

void check(FaultCheck& c) {
  const auto* p = c.fault().params.get_if<ResourceCpuParams>();
  if (!p) return;
  if (!p->bad.empty()) c.error(c.at("share"), c.label() + ": " + p->bad);
  check_cgroup_fault(c, CgroupController::cpu, "kind");
}

std::string describe(const FaultSpec& f) {
  const auto* p = f.params.get_if<ResourceCpuParams>();
  return p ? fmt::format("throttle '{}' to {} of one CPU core (cgroup)", f.target, p->share) : std::string();
}

std::vector<CgroupController> controllers(const FaultSpec&) { return {CgroupController::cpu}; }

}  // namespace

const InjectorKind& resource_cpu_kind() {
  static const InjectorKind kind{
      .kind =
          {
              .spec = {"resource.cpu",
                       "throttle the target service (every process of it) to 'share' of one CPU core for "
                       "'duration' (a run-owned cgroup: cpu.max or cpu.cfs_quota_us; root)",
                       true,
                       {
                           {"share", "string", "",
                            "the CPU time it may use, as a percentage of one core per 100 ms period: \"10%\" (at "
                            "least 1%; \"150%\" = one and a half cores)",
                            true},
                       }},
              .target = FaultTarget::service,
              .duration = FaultDuration::required,
              .duration_why = "needs to know how long to keep the service throttled",
              .read = &read,
              .check = &check,
              .describe = &describe,
          },
      .make = &make_injector_of<ResourceCpu>,
      .cgroup = &controllers,
  };
  return kind;
}

}  // namespace faultline
