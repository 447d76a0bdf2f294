// process.kill — send a signal (default SIGKILL) to a service of the clone.
//
// How it works: the clone started every service as the leader of its own
// process group, so the signal goes to the whole group (`group = true`, the
// default: a server and the workers it forked die together, as in a host
// crash) or to the leader alone. The target is the service's *current*
// process as the clone supervises it; faultline never signals a PID it did
// not start.
//
// On a [[host]] (issue 14): the service's process there was found by
// prepare() (pid and /proc start time); the signal is sent by one script on
// the host that checks that start time right before kill(2)
// (os/remote_process.hpp), so a recycled pid is never signalled there either.
//
// How it is undone: it is not. A kill is instantaneous; restoring service is
// the system's job (here, the service's restart policy, or a runbook), and
// measuring how long that takes is the point of the drill. revert() therefore
// has nothing to do and succeeds.
#include "fault_injectors/process_kill.hpp"

#include <csignal>
#include <cstring>
#include <fmt/format.h>

#include "fault_injectors/injector.hpp"
#include "fault_injectors/service_fault.hpp"
#include "scenario/signals.hpp"
#include "system/clone.hpp"

namespace faultline {

namespace {

class ProcessKill final : public ServiceInjector<KillParams> {
 public:
  explicit ProcessKill(const FaultSpec& spec) : ServiceInjector(spec, "kill") {}

  asio::awaitable<void> inject(InjectorContext& ctx) override {
    if (remote_) {
      // One round trip: the identity check and the kill in the same shell on the host.
      pid_ = remote_proc_.pid;
      const auto said = co_await run_remote(ctx, *remote_->shell, signal_script(remote_proc_, params_.signal),
                                            fmt::format("{} to service '{}'", signal_name(params_.signal), target_), 3);
      if (said != "sent")
        throw FaultError(fmt::format("could not send {} to service '{}' (pid {}){}: it was already gone",
                                     signal_name(params_.signal), target_, pid_, on_host()));
      co_return;
    }
    Child& child = running(ctx);
    pid_ = child.pid();
    const bool sent = params_.group ? child.signal_group(params_.signal) : child.signal(params_.signal);
    if (!sent)
      throw FaultError(fmt::format("could not send {} to service '{}' (pid {}): it was already gone",
                                   signal_name(params_.signal), target_, pid_));
    co_return;
  }

  asio::awaitable<void> revert(InjectorContext&) override { co_return; }

  bool reversible() const override { return false; }

  std::string describe() const override {
    return fmt::format("{} to {} of service '{}'{}{}", signal_name(params_.signal), group_text(params_.group), target_,
                       on_host(), pid_ ? fmt::format(" (pid {})", pid_) : std::string());
  }

 private:
  bool group() const override { return params_.group; }

  pid_t pid_ = 0;
};

FaultParams read(ParamReader& r) {
  KillParams k;
  assign(k.signal, r.signal("signal"));
  assign(k.group, r.boolean("group"));
  return k;
}

std::string describe(const FaultSpec& f) {
  const auto* k = f.params.get_if<KillParams>();
  return k ? fmt::format("{} to {} of '{}'", signal_name(k->signal), group_text(k->group), f.target) : std::string();
}

}  // namespace

const InjectorKind& process_kill_kind() {
  static const InjectorKind kind{
      .kind =
          {
              .spec = {"process.kill",
                       "send a signal to the target service (its process group by default)",
                       false,
                       {
                           {"signal", "signal", "SIGKILL", "a name (\"SIGKILL\", \"KILL\", \"sigkill\") or a number 1..64", false},
                           {"group", "bool", "true", "signal the whole process group, not only the leader", false},
                       }},
              .target = FaultTarget::service,
              .duration = FaultDuration::not_allowed,
              .read = &read,
              .describe = &describe,
          },
      .make = &make_injector_of<ProcessKill>,
  };
  return kind;
}

}  // namespace faultline
