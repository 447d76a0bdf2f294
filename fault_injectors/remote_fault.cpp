// The shared steps of remote faults (remote_fault.hpp): one script on a
// host, finding a remote service's process, leaving a guardian, the undo
// the crash ledger keeps.
#include "fault_injectors/remote_fault.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>

#include "os/subprocess.hpp"

namespace faultline {

namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

/// The last non-empty line of `text` (ssh's own message), at most 200 characters.
std::string last_line(const std::string& text) {
  std::string t = trimmed(text);
  const auto nl = t.rfind('\n');
  if (nl != std::string::npos) t.erase(0, nl + 1);
  if (t.size() > 200) t = t.substr(0, 200) + "...";
  return t;
}

std::string on_host(const RemoteShell& shell) {
  return shell.host().empty() ? std::string("this machine") : fmt::format("host '{}'", shell.host());
}

}  // namespace

std::optional<RemoteService> remote_service(const InjectorContext& ctx, const std::string& service) {
  if (!ctx.remote || !ctx.remote->service) return std::nullopt;
  return ctx.remote->service(service);
}

asio::awaitable<std::string> run_remote(InjectorContext& ctx, const RemoteShell& shell, const std::string& script,
                                        const std::string& what, int max_ok) {
  SpawnOptions opts;
  opts.argv = shell.argv(script);
  CommandResult r = co_await run_command(ctx.ex, opts, kRemoteStepTimeout);
  if (!r.start_error.empty()) throw FaultError(fmt::format("{} on {}: {}", what, on_host(shell), r.start_error));
  if (r.timed_out)
    throw FaultError(fmt::format("{} on {}: no answer within {}", what, on_host(shell), format_duration(kRemoteStepTimeout)));
  const bool ok = r.status.signal == 0 && r.status.code >= 0 && r.status.code <= max_ok;
  if (!ok) {
    std::string why = last_line(r.err);
    if (why.empty()) why = last_line(r.out);
    throw FaultError(fmt::format("{} on {} failed ({}){}", what, on_host(shell), r.status.describe(),
                                 why.empty() ? std::string() : ": " + why));
  }
  co_return trimmed(r.out);
}

asio::awaitable<RemoteProcess> locate_remote(InjectorContext& ctx, const RemoteService& svc, const std::string& service,
                                             bool group) {
  std::string out;
  try {
    out = co_await run_remote(ctx, *svc.shell, svc.locate, fmt::format("finding service '{}'", service));
  } catch (const FaultError& e) {
    throw FaultError(fmt::format("service '{}' is not running on host '{}', nothing to act on ({})", service,
                                 svc.shell->host(), e.what()));
  }
  if (svc.parse) {
    std::string why;
    auto found = svc.parse(out, why);
    if (!found || found->pid <= 1)
      throw FaultError(fmt::format("service '{}' on host '{}': {}", service, svc.shell->host(),
                                   why.empty() ? std::string("not found") : why));
    found->group = group;
    co_return *found;
  }
  RemoteProcess p;
  p.group = group;
  const char* b = out.data();
  const char* e = out.data() + out.size();
  auto r1 = std::from_chars(b, e, p.pid);
  if (r1.ec == std::errc() && r1.ptr < e && *r1.ptr == ' ') {
    auto r2 = std::from_chars(r1.ptr + 1, e, p.start_time);
    if (r2.ec == std::errc() && p.pid > 1) co_return p;
  }
  throw FaultError(fmt::format("service '{}' on host '{}': cannot read its process from \"{}\"", service,
                               svc.shell->host(), out));
}

asio::awaitable<std::unique_ptr<Guardian>> leave_guardian(InjectorContext& ctx, const RemoteShell& shell,
                                                          const std::string& revert, Nanos cap) {
  GuardianSpec spec;
  spec.id = fmt::format("{}-{}", ctx.remote ? ctx.remote->run_id : std::string("run"), ctx.event);
  spec.revert = revert;
  spec.lease = ctx.remote ? ctx.remote->lease : kDefaultLease;
  spec.cap = cap;
  if (ctx.remote && !ctx.remote->logs.empty()) spec.log = ctx.remote->logs / fmt::format("guardian-{}.log", ctx.event);
  try {
    co_return co_await Guardian::start(ctx.ex, shell, std::move(spec), kRemoteStepTimeout);
  } catch (const std::runtime_error& e) {
    throw FaultError(fmt::format("{}; the fault was not applied", e.what()));
  }
}

Undo remote_undo(const RemoteShell& shell, const std::string& script) {
  Undo u;
  u.kind = Undo::Kind::command;
  u.argv = shell.argv(script);
  u.timeout = kRemoteStepTimeout;
  u.host = shell.host();
  return u;
}

Nanos guardian_cap(std::optional<Nanos> duration, Nanos lease) {
  if (!duration) return Nanos::zero();
  return *duration + std::max<Nanos>(lease, std::chrono::seconds(5));
}

}  // namespace faultline
