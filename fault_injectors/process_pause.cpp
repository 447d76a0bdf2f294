// process.pause — freeze a service for `duration`, then let it go on.
//
// How it works: SIGSTOP to the service's process group (or only its leader
// with `group = false`). A stopped process keeps its sockets open: peers can
// still connect (the kernel completes the handshake into the backlog) but
// nothing is answered, which is what a GC pause, a hung disk or an overloaded
// host looks like from outside, and the hardest failure for clients to
// detect. The injection is verified by reading /proc/PID/stat until the
// kernel reports every process of the group (or the leader alone) stopped.
//
// How it is undone: SIGCONT to the same process group, recorded at inject
// time. Revert reads /proc back for every member of the group and is done
// only when none is left stopped; a group that no longer exists counts as
// reverted. Sending SIGCONT to a running process is harmless, so revert is
// idempotent and safe after a failed or absent inject.
//
// On a [[host]] (issue 14): before the SIGSTOP, a guardian (os/guardian.hpp)
// is left on the host holding the SIGCONT script, so that the host resumes
// the service by itself within the lease when the controller dies, hangs
// or is cut off, and at the latest at duration + one lease. The pause (an
// identity-checked SIGSTOP and the read-back until every process reports
// stopped) is one script, one round trip (os/remote_process.hpp). Revert
// asks the guardian, which runs the SIGCONT and its read-back; when the
// guardian cannot answer, the same script runs directly. The crash ledger
// holds that script as the host's command for the watchdog and cleanup.
#include "fault_injectors/process_pause.hpp"

#include <csignal>
#include <fmt/format.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "fault_injectors/injector.hpp"
#include "fault_injectors/service_fault.hpp"
#include "os/process_signal.hpp"
#include "os/procfs.hpp"
#include "os/subprocess.hpp"
#include "system/clone.hpp"

namespace faultline {

namespace {

// How long the kernel may take to deliver SIGSTOP/SIGCONT and report the new
// state; far longer than it ever takes, short enough to fail a drill promptly.
constexpr auto kStateDeadline = 2s;
constexpr auto kStatePoll = 200us;

/// Waits until `done()` holds or kStateDeadline passes; returns done().
template <typename Pred>
asio::awaitable<bool> await_state(asio::any_io_executor ex, Pred done) {
  asio::steady_timer timer(ex);
  const auto deadline = SteadyClock::now() + kStateDeadline;
  while (!done() && SteadyClock::now() < deadline) {
    timer.expires_after(kStatePoll);
    co_await timer.async_wait(asio::use_awaitable);
  }
  co_return done();
}

class ProcessPause final : public ServiceInjector<PauseParams> {
 public:
  explicit ProcessPause(const FaultSpec& spec) : ServiceInjector(spec, "pause"), duration_(spec.duration) {}

  asio::awaitable<void> inject(InjectorContext& ctx) override {
    if (remote_) {
      co_await inject_remote(ctx);
      co_return;
    }
    Child& child = running(ctx);
    pid_ = child.pid();
    pgid_ = child.pgid();
    start_ = process_start_time(pid_).value_or(0);
    const bool sent = params_.group ? child.signal_group(SIGSTOP) : child.signal(SIGSTOP);
    if (!sent) throw FaultError(fmt::format("service '{}' (pid {}) was gone before SIGSTOP", target_, pid_));
    // The kernel delivers SIGSTOP to each member on its own schedule: the
    // fault is in place once every process it targets reports stopped.
    const bool group = params_.group;
    const pid_t pid = pid_, pgid = pgid_;
    const bool stopped = co_await await_state(ctx.ex, [=] { return all_stopped(group, pid, pgid); });
    if (!stopped)
      throw FaultError(fmt::format("service '{}' (pid {}) did not stop within {} after SIGSTOP", target_,
                                   pid_, format_duration(kStateDeadline)));
  }

  asio::awaitable<void> revert(InjectorContext& ctx) override {
    if (!pid_) co_return;  // never injected: nothing to undo
    if (remote_) {
      co_await revert_remote(ctx);
      co_return;
    }
    // Only to the process (group) paused at inject, never to a recycled
    // pid: a pidfd for the leader, the identity check for the group.
    if (params_.group)
      signal_group(pgid_, start_, SIGCONT);
    else
      signal_process(pid_, start_, SIGCONT);
    const bool group = params_.group;
    const pid_t pid = pid_, pgid = pgid_;
    const bool running = co_await await_state(ctx.ex, [=] { return none_stopped(group, pid, pgid); });
    if (!running)
      throw FaultError(fmt::format("service '{}' (process group {}) is still stopped after SIGCONT",
                                   target_, pgid_));
  }

  bool reversible() const override { return true; }

  Undo undo_plan(InjectorContext& ctx) const override {
    if (remote_) return remote_undo(*remote_->shell, resume_script(remote_proc_, kStateDeadline));
    Undo u;
    Child* child = ctx.clone.current(target_);
    if (!child) return u;
    const auto start = process_start_time(child->pid());
    if (!start) return u;
    u.kind = Undo::Kind::sigcont;
    u.pid = child->pid();
    u.start_time = *start;
    u.group = params_.group;
    return u;
  }

  std::string describe() const override {
    return fmt::format("SIGSTOP to {} of service '{}'{}{}, SIGCONT at revert", group_text(params_.group), target_,
                       on_host(), pid_ ? fmt::format(" (pid {})", pid_) : std::string());
  }

 private:
  bool group() const override { return params_.group; }

  /// On a host: a guardian holding the SIGCONT first, then the pause and
  /// its read-back in one round trip.
  asio::awaitable<void> inject_remote(InjectorContext& ctx) {
    pid_ = pgid_ = remote_proc_.pid;
    start_ = remote_proc_.start_time;
    const Nanos lease = ctx.remote ? ctx.remote->lease : kDefaultLease;
    guardian_ = co_await leave_guardian(ctx, *remote_->shell, resume_script(remote_proc_, kStateDeadline),
                                        guardian_cap(duration_, lease));
    const auto said = co_await run_remote(ctx, *remote_->shell, pause_script(remote_proc_, kStateDeadline),
                                          fmt::format("SIGSTOP to service '{}'", target_), 4);
    if (said == "gone")
      throw FaultError(fmt::format("service '{}' (pid {}){} was gone before SIGSTOP", target_, pid_, on_host()));
    if (said != "stopped")
      throw FaultError(fmt::format("service '{}' (pid {}){} did not stop within {} after SIGSTOP", target_, pid_,
                                   on_host(), format_duration(kStateDeadline)));
  }

  /// On a host: the guardian sends the SIGCONT and reads it back; when it
  /// cannot say it did (gone, link cut), the same script runs directly.
  asio::awaitable<void> revert_remote(InjectorContext& ctx) {
    if (guardian_) {
      const GuardianEnd end = co_await guardian_->revert(kRemoteStepTimeout);
      guardian_.reset();
      if (end.reverted()) co_return;
    }
    const auto said = co_await run_remote(ctx, *remote_->shell, resume_script(remote_proc_, kStateDeadline),
                                          fmt::format("SIGCONT to service '{}'", target_), 4);
    if (said != "running" && said != "gone")
      throw FaultError(fmt::format("service '{}' (process group {}){} is still stopped after SIGCONT", target_,
                                   pgid_, on_host()));
  }

  static bool stopped(pid_t p) {
    auto s = process_state(p);
    return s && (*s == 'T' || *s == 't');
  }
  static bool all_stopped(bool group, pid_t pid, pid_t pgid) {
    // A process that is gone (or a zombie) cannot run: it counts as stopped.
    auto held = [](pid_t p) {
      auto s = process_state(p);
      return !s || *s == 'T' || *s == 't' || *s == 'Z';
    };
    if (!group) return held(pid);
    for (pid_t p : processes_in_group(pgid))
      if (!held(p)) return false;
    return true;
  }
  static bool none_stopped(bool group, pid_t pid, pid_t pgid) {
    if (!group) return !stopped(pid);
    for (pid_t p : processes_in_group(pgid))
      if (stopped(p)) return false;
    return true;
  }

  pid_t pid_ = 0;
  pid_t pgid_ = 0;
  unsigned long long start_ = 0;  ///< the leader's start time, its identity
  std::optional<Nanos> duration_;      ///< the fault's duration: the guardian's cap
  std::unique_ptr<Guardian> guardian_;  ///< on a host: holds the SIGCONT while paused
};

FaultParams read(ParamReader& r) {
  PauseParams p;
  assign(p.group, r.boolean("group"));
  return p;
}

std::string describe(const FaultSpec& f) {
  const auto* p = f.params.get_if<PauseParams>();
  return p ? fmt::format("SIGSTOP {} of '{}'", group_text(p->group), f.target) : std::string();
}

}  // namespace

const InjectorKind& process_pause_kind() {
  static const InjectorKind kind{
      .kind =
          {
              .spec = {"process.pause",
                       "stop the target service with SIGSTOP for 'duration', then SIGCONT",
                       true,
                       {
                           {"group", "bool", "true", "pause the whole process group, not only the leader", false},
                       }},
              .target = FaultTarget::service,
              .duration = FaultDuration::required,
              .duration_why = "needs to know how long to keep the service paused",
              .read = &read,
              .describe = &describe,
          },
      .make = &make_injector_of<ProcessPause>,
  };
  return kind;
}

}  // namespace faultline
