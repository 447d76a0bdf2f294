// exec — the escape hatch: user commands that apply and revert a fault.
//
// How it works: `apply` runs to completion (its own process group, captured
// output, `timeout`); the fault counts as injected when it exits with 0, and
// t_inject is that moment. Anything faultline has no kind for yet (a
// firewall rule, a config flip, an API call to a load balancer) fits here.
//
// How it is undone: `revert` runs the same way. faultline cannot read back
// state it does not understand, so the revert command itself must be
// idempotent and must fail (non-zero exit) when it could not undo the fault;
// revert is attempted even when apply failed or timed out, because a
// half-applied change is exactly what must not be left behind. Without a
// `revert` command the fault is not reversible and `duration` is ignored.
//
// With network = "namespaces" both commands run in the run's hub namespace
// (as probes and steps do), so that {addr.SERVICE} is reachable from them.
//
// With `host = "NAME"` (a declared [[host]], issue 14) both commands run on
// that host, each one round trip on the run's multiplexed ssh connection to
// it: the argv is quoted into a POSIX script run under the host's coreutils
// `timeout` (so a hanging command ends there too, not only its local ssh
// client). Before apply, a guardian is left on the host holding the revert
// command (os/guardian.hpp): it runs it when the controller says so, when
// the duration plus a margin has passed, or when the controller stops
// renewing its lease (killed, hung, cut off), so a lost controller leaves
// nothing applied beyond the lease. revert() asks the guardian to revert
// and, when it cannot say it did (the link cut, the command failed), runs
// the revert command directly once more (it is idempotent). The runner's
// inject start and return bracket the apply's round trip, as for every
// remote action. Without a revert command no guardian is left.
#include "fault_injectors/exec_fault.hpp"

#include <fmt/format.h>

#include "fault_injectors/injector.hpp"
#include "fault_injectors/remote_fault.hpp"
#include "os/netns.hpp"
#include "os/subprocess.hpp"
#include "scenario/command_text.hpp"

namespace faultline {

namespace {

std::string first_line(std::string s) {
  auto nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  if (s.size() > 200) s = s.substr(0, 200) + "...";
  return s;
}

/// The script that runs `argv` on a host, under coreutils' `timeout` there when it has one.
std::string host_script(const std::vector<std::string>& argv, Nanos timeout) {
  std::string line;
  for (const auto& a : argv) line += (line.empty() ? "" : " ") + shell_quote(a);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
  return fmt::format("if command -v timeout >/dev/null 2>&1; then exec timeout -k 1 {}.{:03}s {}; fi\nexec {}\n", ms / 1000,
                     ms % 1000, line, line);
}

class ExecFault final : public Injector {
 public:
  explicit ExecFault(const FaultSpec& spec) : params_(spec.params.get<ExecParams>()), duration_(spec.duration) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    if (params_.host.empty()) co_return;
    shell_ = ctx.remote && ctx.remote->host ? ctx.remote->host(params_.host) : nullptr;
    if (!shell_) throw FaultError(fmt::format("exec on host '{}': the host is not connected", params_.host));
  }

  asio::awaitable<void> inject(InjectorContext& ctx) override {
    if (shell_ && params_.revert) {
      const Nanos lease = ctx.remote ? ctx.remote->lease : kDefaultLease;
      guardian_ = co_await leave_guardian(ctx, *shell_, host_script(argv(*params_.revert, ctx), params_.timeout),
                                          guardian_cap(duration_, lease));
    }
    attempted_ = true;
    co_await run("apply", params_.apply, ctx);
  }

  asio::awaitable<void> revert(InjectorContext& ctx) override {
    if (!attempted_ || !params_.revert || reverted_) co_return;
    if (guardian_) {
      const GuardianEnd end = co_await guardian_->revert(params_.timeout + kRemoteStepTimeout);
      guardian_.reset();
      if (end.reverted()) {
        reverted_ = true;
        co_return;
      }
    }
    co_await run("revert", *params_.revert, ctx);
    reverted_ = true;
  }

  bool reversible() const override { return params_.revert.has_value(); }

  Undo undo_plan(InjectorContext& ctx) const override {
    Undo u;
    if (!params_.revert) return u;
    if (shell_) {
      u = remote_undo(*shell_, host_script(argv(*params_.revert, ctx), params_.timeout));
      u.timeout = params_.timeout + kRemoteStepTimeout;
      return u;
    }
    u.kind = Undo::Kind::command;
    u.argv = argv(*params_.revert, ctx);
    u.timeout = params_.timeout;
    return u;
  }

  std::string describe() const override {
    std::string d = fmt::format("run `{}`", short_command_text(params_.apply));
    if (params_.revert) d += fmt::format(", revert with `{}`", short_command_text(*params_.revert));
    if (!params_.host.empty())
      d += fmt::format(" on host '{}'{}", params_.host, params_.revert ? " (a guardian holds the revert)" : "");
    return d;
  }

 private:
  /// The command's argv with the run's placeholders substituted, in the
  /// hub namespace with network = "namespaces".
  static std::vector<std::string> argv(const Command& cmd, const InjectorContext& ctx) {
    std::vector<std::string> out;
    for (const auto& a : cmd.argv) out.push_back(substitute(a, ctx.bindings));
    if (ctx.network) out = in_netns(ctx.network->hub, std::move(out));
    return out;
  }

  asio::awaitable<void> run(const char* what, const Command& cmd, InjectorContext& ctx) {
    SpawnOptions opts;
    opts.argv = shell_ ? shell_->argv(host_script(argv(cmd, ctx), params_.timeout)) : argv(cmd, ctx);
    // On a host, its own `timeout` ends the command; the local bound is a backstop.
    CommandResult r = co_await run_command(ctx.ex, opts, params_.timeout + (shell_ ? kRemoteStepTimeout : Nanos::zero()));
    const std::string where = shell_ ? fmt::format(" on host '{}'", params_.host) : std::string();
    if (!r.start_error.empty())
      throw FaultError(fmt::format("{} command `{}`{} could not start: {}", what, cmd.display(), where, r.start_error));
    if (r.timed_out || (shell_ && r.status.code == 124))
      throw FaultError(fmt::format("{} command `{}`{} timed out after {}", what, cmd.display(), where,
                                   format_duration(params_.timeout)));
    if (!r.status.success()) {
      std::string out = first_line(r.err.empty() ? r.out : r.err);
      throw FaultError(fmt::format("{} command `{}`{} failed ({}){}", what, cmd.display(), where, r.status.describe(),
                                   out.empty() ? "" : ": " + out));
    }
  }

  ExecParams params_;
  std::optional<Nanos> duration_;
  const RemoteShell* shell_ = nullptr;  ///< the [[host]]'s shell, set by prepare() when `host` names one
  std::unique_ptr<Guardian> guardian_;  ///< holds the revert on the host while the fault is applied
  bool attempted_ = false;
  bool reverted_ = false;
};

FaultParams read(ParamReader& r) {
  ExecParams e;
  assign(e.apply, r.command("apply"));
  if (auto revert = r.command("revert")) e.revert = std::move(*revert);
  assign(e.timeout, r.duration("timeout", DurationMin::positive));
  assign(e.host, r.identifier("host"));
  return e;
}

void check(FaultCheck& c) {
  const auto* e = c.fault().params.get_if<ExecParams>();
  if (e && e->apply.argv.empty())
    c.error(c.fault().pos, fmt::format("missing required key 'apply' in {}: an exec fault needs the command that applies it",
                                       c.label()));
  if (e && !e->host.empty() && !find_host(c.scenario(), e->host)) {
    std::string known;
    for (const auto& h : c.scenario().hosts) known += (known.empty() ? "" : ", ") + h.name;
    c.error(c.at("host"), fmt::format("{}: unknown host '{}'", c.label(), e->host),
            known.empty() ? "declare it in a [[host]] table" : "declared hosts: " + known);
  }
}

std::string describe(const FaultSpec& f) {
  const auto* e = f.params.get_if<ExecParams>();
  if (!e) return {};
  return fmt::format("run `{}`{}{}", short_command_text(e->apply),
                     e->revert ? fmt::format(" (revert `{}`)", short_command_text(*e->revert)) : "",
                     e->host.empty() ? "" : fmt::format(" on host '{}'", e->host));
}

void commands(FaultParams& p, const CommandVisitor& visit) {
  auto* e = p.get_if<ExecParams>();
  if (!e) return;
  visit("apply", e->apply);
  if (e->revert) visit("revert", *e->revert);
}

}  // namespace

const InjectorKind& exec_kind() {
  static const InjectorKind kind{
      .kind =
          {
              .spec = {"exec",
                       "run user commands that apply and revert a fault (the escape hatch)",
                       true,
                       {
                           {"apply", "command", "", "command that applies the fault; must succeed (exit 0)", true},
                           {"revert", "command", "", "command that undoes it; run after 'duration', or at once when there is none", false},
                           {"timeout", "duration", "30s", "time limit of each of apply and revert; > 0", false},
                           {"host", "string", "", "a declared [[host]] both commands run on over ssh (a guardian holds the revert); default this machine", false},
                       }},
              .target = FaultTarget::none,
              .duration = FaultDuration::optional,
              .read = &read,
              .check = &check,
              .describe = &describe,
              .commands = &commands,
          },
      .make = &make_injector_of<ExecFault>,
  };
  return kind;
}

}  // namespace faultline
