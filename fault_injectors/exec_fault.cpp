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
#include "fault_injectors/exec_fault.hpp"

#include <fmt/format.h>

#include "fault_injectors/injector.hpp"
#include "os/netns.hpp"
#include "os/subprocess.hpp"

namespace faultline {

namespace {

std::string first_line(std::string s) {
  auto nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  if (s.size() > 200) s = s.substr(0, 200) + "...";
  return s;
}

class ExecFault final : public Injector {
 public:
  explicit ExecFault(const FaultSpec& spec) : params_(spec.params.get<ExecParams>()) {}

  asio::awaitable<void> prepare(InjectorContext&) override { co_return; }

  asio::awaitable<void> inject(InjectorContext& ctx) override {
    attempted_ = true;
    co_await run("apply", params_.apply, ctx);
  }

  asio::awaitable<void> revert(InjectorContext& ctx) override {
    if (!attempted_ || !params_.revert || reverted_) co_return;
    co_await run("revert", *params_.revert, ctx);
    reverted_ = true;
  }

  bool reversible() const override { return params_.revert.has_value(); }

  Undo undo_plan(InjectorContext& ctx) const override {
    Undo u;
    if (!params_.revert) return u;
    u.kind = Undo::Kind::command;
    for (const auto& a : params_.revert->argv) u.argv.push_back(substitute(a, ctx.bindings));
    if (ctx.network) u.argv = in_netns(ctx.network->hub, std::move(u.argv));
    u.timeout = params_.timeout;
    return u;
  }

  std::string describe() const override {
    std::string d = fmt::format("run `{}`", params_.apply.display());
    if (params_.revert) d += fmt::format(", revert with `{}`", params_.revert->display());
    return d;
  }

 private:
  asio::awaitable<void> run(const char* what, const Command& cmd, InjectorContext& ctx) {
    SpawnOptions opts;
    for (const auto& a : cmd.argv) opts.argv.push_back(substitute(a, ctx.bindings));
    if (ctx.network) opts.argv = in_netns(ctx.network->hub, std::move(opts.argv));
    CommandResult r = co_await run_command(ctx.ex, opts, params_.timeout);
    if (!r.start_error.empty())
      throw FaultError(fmt::format("{} command `{}` could not start: {}", what, cmd.display(), r.start_error));
    if (r.timed_out)
      throw FaultError(fmt::format("{} command `{}` timed out after {}", what, cmd.display(),
                                   format_duration(params_.timeout)));
    if (!r.status.success()) {
      std::string out = first_line(r.err.empty() ? r.out : r.err);
      throw FaultError(fmt::format("{} command `{}` failed ({}){}", what, cmd.display(), r.status.describe(),
                                   out.empty() ? "" : ": " + out));
    }
  }

  ExecParams params_;
  bool attempted_ = false;
  bool reverted_ = false;
};

FaultParams read(ParamReader& r) {
  ExecParams e;
  assign(e.apply, r.command("apply"));
  if (auto revert = r.command("revert")) e.revert = std::move(*revert);
  assign(e.timeout, r.duration("timeout", DurationMin::positive));
  return e;
}

void check(FaultCheck& c) {
  const auto* e = c.fault().params.get_if<ExecParams>();
  if (e && e->apply.argv.empty())
    c.error(c.fault().pos, fmt::format("missing required key 'apply' in {}: an exec fault needs the command that applies it",
                                       c.label()));
}

std::string describe(const FaultSpec& f) {
  const auto* e = f.params.get_if<ExecParams>();
  if (!e) return {};
  return fmt::format("run `{}`{}", e->apply.display(), e->revert ? fmt::format(" (revert `{}`)", e->revert->display()) : "");
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
