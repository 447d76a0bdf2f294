// What the kinds that act on another host share (issue 14,
// docs/distributed.md): how the runner tells an injector where a service
// runs (RemoteContext, in InjectorContext::remote), running one script on a
// host as a fault step, and leaving a guardian there before a fault is
// applied (os/guardian.hpp).
//
// The process kinds (process.kill, process.pause) act on a remote service
// through the same identity rule as locally: prepare() finds the service's
// current process on its host ("PID START", RemoteService::locate) and
// every signal is sent by a script that checks that start time first
// (os/remote_process.hpp). A remote action is one round trip on the host's
// multiplexed connection; it is timed by the runner's inject start and
// return like any other (FaultEvent), so the round trip is visible.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "fault_injectors/injector.hpp"
#include "os/guardian.hpp"
#include "os/remote_process.hpp"
#include "os/remote_shell.hpp"

namespace faultline {

/// A service that runs on a [[host]], as the process kinds reach it.
struct RemoteService {
  const RemoteShell* shell = nullptr;  ///< its host's shell
  /// A script that prints "PID START" of the service's current process on
  /// its host (START: field 22 of /proc/PID/stat), or fails when it has none.
  std::string locate;
  /// Reads what `locate` printed when it is not "PID START" (an attached
  /// service found by a command-line match); nullopt with `why` when nothing fits.
  std::function<std::optional<RemoteProcess>(const std::string& output, std::string& why)> parse;
  std::string address;  ///< its host's address as the [[host]] declares it (net.partition's rules)
  bool sudo = false;    ///< its host says sudo = true: privileged commands through `sudo -n`
};

/// What the runner gives injectors about the run's hosts.
struct RemoteContext {
  /// The host of `service` and how to find its process there; nullopt when
  /// the service runs on this machine.
  std::function<std::optional<RemoteService>(const std::string& service)> service;
  std::string run_id;               ///< names the guardians ("faultline-guardian RUNID-EVENT")
  Nanos lease = kDefaultLease;      ///< each guardian's lease
  std::filesystem::path logs;       ///< guardian-EVENT.log files go here; empty = discarded
  /// The shell of declared host `name` (exec's `host`), or nullptr.
  std::function<const RemoteShell*(const std::string& name)> host;
};

/// How long a remote step (a signal, a pause with its read-back) may take.
inline constexpr Nanos kRemoteStepTimeout = std::chrono::seconds(15);

/// The service's host, or nullopt when it runs here (or no host is declared).
std::optional<RemoteService> remote_service(const InjectorContext& ctx, const std::string& service);

/// Runs `script` on `shell`'s host; returns its stdout (trimmed). Throws
/// FaultError ("WHAT on host 'H': ...") when it cannot start, times out, or
/// exits with a status above `max_ok` (the scripts' verdicts are 0..4;
/// ssh's own failures are 255).
asio::awaitable<std::string> run_remote(InjectorContext& ctx, const RemoteShell& shell, const std::string& script,
                                        const std::string& what, int max_ok = 0);

/// Finds the remote service's current process; throws FaultError naming
/// the service and host when it has none.
asio::awaitable<RemoteProcess> locate_remote(InjectorContext& ctx, const RemoteService& svc,
                                             const std::string& service, bool group);

/// Leaves a guardian holding `revert` on `shell`'s host, capped at `cap`
/// (0 = no cap); throws FaultError when it cannot be left (nothing is then
/// applied).
asio::awaitable<std::unique_ptr<Guardian>> leave_guardian(InjectorContext& ctx, const RemoteShell& shell,
                                                          const std::string& revert, Nanos cap);

/// An Undo that runs `script` on `shell`'s host (the watchdog and `faultline
/// cleanup` run it with a fresh ssh when the run's connection is gone).
Undo remote_undo(const RemoteShell& shell, const std::string& script);

/// The cap of a guardian for a fault held `duration`: the duration plus a
/// margin of one lease (at least 5 s), so the controller's own revert comes first.
Nanos guardian_cap(std::optional<Nanos> duration, Nanos lease);

}  // namespace faultline
