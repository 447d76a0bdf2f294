// process.kill — send a signal (default SIGKILL) to a service of the clone.
//
// How it works: the clone started every service as the leader of its own
// process group, so the signal goes to the whole group (`group = true`, the
// default: a server and the workers it forked die together, as in a host
// crash) or to the leader alone. The target is the service's *current*
// process as the clone supervises it; faultline never signals a PID it did
// not start.
//
// How it is undone: it is not. A kill is instantaneous; restoring service is
// the system's job (here, the service's restart policy, or a runbook), and
// measuring how long that takes is the point of the drill. revert() therefore
// has nothing to do and succeeds.
#include <csignal>
#include <cstring>
#include <fmt/format.h>

#include "fault_injectors/injector.hpp"
#include "os/signals.hpp"
#include "system/clone.hpp"

namespace faultline {

namespace {

class ProcessKill final : public Injector {
 public:
  explicit ProcessKill(const FaultSpec& spec)
      : target_(spec.target), params_(std::get<KillParams>(spec.params)) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    if (!ctx.clone.current(target_))
      throw FaultError(fmt::format("service '{}' is not running, nothing to kill", target_));
    co_return;
  }

  asio::awaitable<void> inject(InjectorContext& ctx) override {
    Child* child = ctx.clone.current(target_);
    if (!child) throw FaultError(fmt::format("service '{}' is not running, nothing to kill", target_));
    pid_ = child->pid();
    const bool sent = params_.group ? child->signal_group(params_.signal) : child->signal(params_.signal);
    if (!sent)
      throw FaultError(fmt::format("could not send {} to service '{}' (pid {}): it was already gone",
                                   signal_name(params_.signal), target_, pid_));
    co_return;
  }

  asio::awaitable<void> revert(InjectorContext&) override { co_return; }

  bool reversible() const override { return false; }

  std::string describe() const override {
    return fmt::format("{} to {} of service '{}'{}", signal_name(params_.signal),
                       params_.group ? "the process group" : "the process", target_,
                       pid_ ? fmt::format(" (pid {})", pid_) : std::string());
  }

 private:
  std::string target_;
  KillParams params_;
  pid_t pid_ = 0;
};

}  // namespace

std::unique_ptr<Injector> make_process_kill(const FaultSpec& spec) {
  return std::make_unique<ProcessKill>(spec);
}

}  // namespace faultline
