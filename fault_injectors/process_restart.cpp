// process.restart — stop a service the way an operator would and start it again.
//
// How it works: the clone stops the service as at teardown (its stop_signal,
// stop_grace, then SIGKILL to the process group), starts it again with the
// same command and environment, and awaits its readiness probe. Unlike
// process.kill this is an orderly restart (a deploy, a config reload gone
// wrong), so the measured outage is what a rolling restart costs.
//
// On a [[host]] (issue 14): prepare() finds the service's process there
// (pid and /proc start time, as process.kill does). A service faultline
// started there is stopped by the clone's stop script, which checks the
// group leader's start time against the pid file before each signal
// (system/remote_service.hpp), and started again over the host's
// connection; its readiness is awaited as locally. An attached service is
// restarted through its own supervisor (`systemctl restart UNIT` for
// attach = { systemd = ... }), in one script on the host that first checks
// that the process prepare() found is still there (pid and start time);
// the clone then finds its new process and awaits its readiness probe. An
// attached service with no supervisor to go through (a pid file, a command
// line match) is refused at validation: faultline starts nothing it did not
// start.
//
// How it is undone: it is not; the service is running again when inject
// returns. revert() has nothing to do.
#include "fault_injectors/process_restart.hpp"

#include <fmt/format.h>

#include "fault_injectors/injector.hpp"
#include "fault_injectors/remote_fault.hpp"
#include "fault_injectors/service_fault.hpp"
#include "system/attach.hpp"
#include "system/clone.hpp"

namespace faultline {

namespace {

class ProcessRestart final : public Injector {
 public:
  explicit ProcessRestart(const FaultSpec& spec) : target_(spec.target) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    if ((remote_ = remote_service(ctx, target_))) {
      found_ = co_await locate_remote(ctx, *remote_, target_, true);
      co_return;
    }
    running_service(ctx, target_, "restart");
  }

  asio::awaitable<void> inject(InjectorContext& ctx) override {
    try {
      if (remote_ && ctx.clone.attached(target_))
        co_await ctx.clone.restart(target_, ctx.stop, AttachedProcess{found_.pid, found_.start_time});
      else
        co_await ctx.clone.restart(target_, ctx.stop);
    } catch (const std::exception& e) {
      throw FaultError(fmt::format("restarting service '{}'{} failed: {}", target_, on_host(), e.what()));
    }
  }

  asio::awaitable<void> revert(InjectorContext&) override { co_return; }

  bool reversible() const override { return false; }

  std::string describe() const override {
    return fmt::format("orderly restart of service '{}'{} (stop signal, grace, start, readiness){}", target_, on_host(),
                       found_.pid ? fmt::format(" (was pid {})", found_.pid) : std::string());
  }

 private:
  std::string on_host() const { return remote_ ? fmt::format(" on host '{}'", remote_->shell->host()) : std::string(); }

  std::string target_;
  std::optional<RemoteService> remote_;  ///< set by prepare() when the service runs on a [[host]]
  RemoteProcess found_;                  ///< its process there, found by prepare()
};

/// An attached service with no supervisor to restart it through (a pid
/// file, a command line match) cannot be restarted: refused here.
void check(FaultCheck& c) {
  std::vector<std::string> names{c.fault().target};
  if (c.fault().select) names = c.fault().select->among;
  for (const auto& name : names) {
    const ServiceSpec* svc = nullptr;
    for (const auto& s : c.scenario().services)
      if (s.name == name) svc = &s;
    if (!svc || !svc->attach.attached() || !supervisor_restart_script(svc->attach).empty()) continue;
    c.error(c.at("target"),
            fmt::format("{}: service '{}' is attached by {}, which names no supervisor to restart it through "
                        "(faultline starts nothing it did not start)",
                        c.label(), name, describe_attach(svc->attach)),
            "use process.kill and let its own supervisor restart it, or attach it with { systemd = \"UNIT\" }");
  }
}

std::string describe(const FaultSpec& f) {
  return f.params.holds<RestartParams>() ? fmt::format("orderly restart of '{}'", f.target) : std::string();
}

}  // namespace

const InjectorKind& process_restart_kind() {
  static const InjectorKind kind{
      .kind =
          {
              .spec = {"process.restart",
                       "stop the target service (stop signal, grace, SIGKILL) and start it again",
                       false,
                       {}},
              .target = FaultTarget::service,
              .duration = FaultDuration::not_allowed,
              .read = [](ParamReader&) -> FaultParams { return RestartParams{}; },
              .check = &check,
              .describe = &describe,
          },
      .make = &make_injector_of<ProcessRestart>,
  };
  return kind;
}

}  // namespace faultline
