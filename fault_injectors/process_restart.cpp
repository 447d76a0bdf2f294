// process.restart — stop a service the way an operator would and start it again.
//
// How it works: the clone stops the service as at teardown (its stop_signal,
// stop_grace, then SIGKILL to the process group), starts it again with the
// same command and environment, and awaits its readiness probe. Unlike
// process.kill this is an orderly restart (a deploy, a config reload gone
// wrong), so the measured outage is what a rolling restart costs.
//
// How it is undone: it is not; the service is running again when inject
// returns. revert() has nothing to do.
#include "fault_injectors/process_restart.hpp"

#include <fmt/format.h>

#include "fault_injectors/injector.hpp"
#include "fault_injectors/service_fault.hpp"
#include "system/clone.hpp"

namespace faultline {

namespace {

class ProcessRestart final : public Injector {
 public:
  explicit ProcessRestart(const FaultSpec& spec) : target_(spec.target) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    running_service(ctx, target_, "restart");
    co_return;
  }

  asio::awaitable<void> inject(InjectorContext& ctx) override {
    try {
      co_await ctx.clone.restart(target_, ctx.stop);
    } catch (const std::exception& e) {
      throw FaultError(fmt::format("restarting service '{}' failed: {}", target_, e.what()));
    }
  }

  asio::awaitable<void> revert(InjectorContext&) override { co_return; }

  bool reversible() const override { return false; }

  std::string describe() const override {
    return fmt::format("orderly restart of service '{}' (stop signal, grace, start, readiness)", target_);
  }

 private:
  std::string target_;
};

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
              .describe = &describe,
          },
      .make = &make_injector_of<ProcessRestart>,
  };
  return kind;
}

}  // namespace faultline
