// resource.memory — lower a service's memory limit for `duration`: first
// pressure (the kernel reclaims its page cache, then, on v2 above `high`,
// throttles it), then, when it still needs more, the kernel's OOM killer
// kills a process of it. That kill is a real failure mode: the service's
// restart policy sees its process die (SIGKILL) and restarts it, in the same
// cgroup and under the same limit while the fault holds; the probes and the
// workload measure what that cost.
//
// How it works: the service runs in a run-owned cgroup, as for resource.cpu
// (made before it starts, in the crash ledger first: src/run/run_cgroups.cpp).
// The fault writes the limit: on cgroup v2 `memory.max` = `limit` (and
// `memory.high` = `high` when given: reclaim and throttling above it, no
// kill), on cgroup v1 `memory.limit_in_bytes` = `limit` (and
// `memory.memsw.limit_in_bytes`, memory plus swap, to the same, where the
// kernel accounts swap, so that the service cannot escape into swap). The
// kernel charges to the cgroup the anonymous memory and page cache of its
// processes, summed. Cgroup v1 refuses a limit below what the service uses
// and cannot reclaim (anonymous memory without swap): the write fails with
// EBUSY and so does the fault, saying so; v2 accepts it and OOM-kills at
// once. v1 has no `high`: refused at validation on such a host. The
// number of OOM kills in the service's cgroup (memory.events' or
// memory.oom_control's oom_kill) is counted at revert into the run's log.
//
// Needs root and a memory controller: refused at validation otherwise.
//
// How it is undone: revert writes "max" (v2) or -1 (v1; memsw first, which
// may never be below the memory limit) and reads the kill count. The cgroup
// goes at the end of the run; should the harness die, the watchdog or
// `faultline cleanup` kills what is left in it and removes it.
#include "fault_injectors/resource_memory.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "fault_injectors/injector.hpp"
#include "fault_injectors/resource_fault.hpp"
#include "scenario/byte_size.hpp"

namespace faultline {

namespace {

constexpr std::int64_t kMinLimit = 1 << 20;

class ResourceMemory final : public Injector {
 public:
  explicit ResourceMemory(const FaultSpec& spec)
      : target_(spec.target), params_(spec.params.get<ResourceMemoryParams>()) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    controls_ = service_cgroup(ctx, target_);
    co_return;
  }
  asio::awaitable<void> inject(InjectorContext&) override {
    written_ = true;
    kills_before_ = controls_->oom_kills();
    try {
      controls_->set_memory(params_.limit, params_.high);
    } catch (const std::exception& e) {
      const bool busy = std::strstr(e.what(), std::strerror(EBUSY)) != nullptr;
      throw FaultError(fmt::format(
          "cannot lower the memory limit of service '{}' to {}: {}{}", target_, format_size(params_.limit), e.what(),
          busy ? " (cgroup v1 refuses a limit below what the service uses and the kernel cannot reclaim: give a "
                 "limit above its current use; it is OOM-killed when it grows past it)"
               : ""));
    }
    co_return;
  }
  asio::awaitable<void> revert(InjectorContext&) override {
    if (!written_ || !controls_) co_return;
    try {
      controls_->clear_memory();
    } catch (const std::exception& e) {
      throw FaultError(fmt::format("cannot lift the memory limit of service '{}': {}", target_, e.what()));
    }
    kills_ = controls_->oom_kills() - kills_before_;
    co_return;
  }
  bool reversible() const override { return true; }
  std::string describe() const override {
    return fmt::format("limit service '{}' to {} of memory{} ({}){}", target_, format_size(params_.limit),
                       params_.high ? fmt::format(", throttled above {}", format_size(*params_.high)) : std::string(),
                       controls_ ? controls_->version() : std::string("cgroup"),
                       kills_ ? fmt::format("; {} OOM kill(s) in its cgroup", *kills_) : std::string());
  }
  FaultDone done() const override {
    return {kills_ ? fmt::format("{} OOM kill(s) in the cgroup of service '{}'", *kills_, target_) : std::string(),
            std::nullopt};
  }

 private:
  std::string target_;
  ResourceMemoryParams params_;
  std::unique_ptr<CgroupControls> controls_;
  bool written_ = false;
  std::int64_t kills_before_ = 0;
  std::optional<std::int64_t> kills_;
};

std::optional<std::int64_t> read_size(ParamReader& r, const char* key, ResourceMemoryParams& p) {
  const auto text = r.text(key);
  if (!text) return std::nullopt;
  std::string error;
  const auto v = parse_size(*text, &error);
  if (!v) {
    p.bad.emplace_back(key, error);
    return std::nullopt;
  }
  if (*v < kMinLimit) {
    p.bad.emplace_back(key, fmt::format("{} '{}' is below 1 MiB: no service runs in that", key, *text));
    return std::nullopt;
  }
  return v;
}

FaultParams read(ParamReader& r) {
  ResourceMemoryParams p;
  if (r.require("limit"))
    if (auto v = read_size(r, "limit", p)) p.limit = *v;
  p.high = read_size(r, "high", p);
  return p;
}

void check(FaultCheck& c) {
  const auto* p = c.fault().params.get_if<ResourceMemoryParams>();
  if (!p) return;
  for (const auto& [key, why] : p->bad) c.error(c.at(key), fmt::format("{}: {}", c.label(), why));
  if (p->high && p->limit && *p->high >= p->limit)
    c.error(c.at("high"), fmt::format("{}: high ({}) must be below limit ({})", c.label(), format_size(*p->high),
                                      format_size(p->limit)));
  if (p->high && host_cgroup_layout().at(CgroupController::memory).version == 1)
    c.error(c.at("high"),
            fmt::format("{}: 'high' is memory.high, a cgroup v2 control; this host's memory controller is cgroup v1, "
                        "which has none",
                        c.label()),
            "remove 'high' (the limit alone applies pressure, then the OOM kill)");
  check_cgroup_fault(c, CgroupController::memory, "kind");
}

std::string describe(const FaultSpec& f) {
  const auto* p = f.params.get_if<ResourceMemoryParams>();
  return p ? fmt::format("limit '{}' to {} of memory (cgroup; the kernel OOM-kills past it)", f.target,
                         format_size(p->limit))
           : std::string();
}

std::vector<CgroupController> controllers(const FaultSpec&) { return {CgroupController::memory}; }

}  // namespace

const InjectorKind& resource_memory_kind() {
  static const InjectorKind kind{
      .kind =
          {
              .spec = {"resource.memory",
                       "lower the target service's memory limit to 'limit' for 'duration' (a run-owned cgroup: "
                       "memory.max or memory.limit_in_bytes; root): pressure, then the kernel's OOM kill",
                       true,
                       {
                           {"limit", "size", "",
                            "the most memory (anonymous and page cache, every process of it summed) the service may "
                            "use: \"64MiB\" (at least 1 MiB); past it the kernel OOM-kills a process of it",
                            true},
                           {"high", "size", "",
                            "cgroup v2 only: above this, reclaim and throttling without a kill (memory.high); below "
                            "'limit'",
                            false},
                       }},
              .target = FaultTarget::service,
              .duration = FaultDuration::required,
              .duration_why = "needs to know how long to keep the memory limit lowered",
              .read = &read,
              .check = &check,
              .describe = &describe,
          },
      .make = &make_injector_of<ResourceMemory>,
      .cgroup = &controllers,
  };
  return kind;
}

}  // namespace faultline
