// The guardian: a fault on another host that heals itself when the
// controller is lost (docs/design.md section 4, docs/distributed.md).
//
// Before a remote fault is applied, faultline starts on the host, through
// its RemoteShell (one more session on the host's SSH connection), a POSIX
// shell process that holds the fault's revert script. Nothing is installed:
// the script text is generated here (guardian_script) and passed as the
// command. The guardian runs the revert script exactly once, then exits,
// when the first of these happens:
//   - the controller says so: a line "revert" on its stdin (Guardian::revert);
//   - its lease runs out: the controller renews it with a line "renew"
//     every lease/3; a controller that is SIGKILLed, SIGSTOPped, starved or
//     cut off from the host stops renewing, and the host heals itself
//     within the lease (plus one tick of 200 ms and the revert's own time);
//   - the fault's duration plus a margin has passed (the cap);
//   - its stdin reaches end-of-file: only the controller's end holds it,
//     so EOF means the controller (or its ssh client) is gone, and nobody
//     could renew or revert any more; waiting out the lease would only make
//     the fault last longer, so it reverts at once. A link that is cut
//     rather than closed gives no EOF (TCP keeps the session for minutes):
//     the lease, not EOF, is what guarantees the heal;
//   - SIGTERM or SIGINT (`faultline cleanup` ends an orphan this way).
//
// POSIX sh has no timed read, so the guardian is two processes of one
// shell: a reader (a subshell blocked on stdin) that turns each line into a
// signal to the main shell (SIGUSR1 renew, SIGUSR2 revert, SIGHUP at EOF),
// and the main shell, a timer that wakes every 200 ms (a `sleep` it waits
// for, interrupted at once by those signals) and compares the host's
// /proc/uptime with the last renewal and the start. When it reverts it
// first kills and reaps the reader (and any sleeper it interrupted), so
// nothing of it outlives it, not even a zombie. Its first line on stdout is "armed PID" (its pid on the
// host), its last "reverted WHY STATUS" (WHY: controller, lease, duration,
// hangup, terminated; STATUS the revert script's exit status); the revert
// script's own output goes to its stderr. Revert scripts are idempotent
// (the controller, the watchdog or `faultline cleanup` may run them too).
#pragma once

#include <sys/types.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "os/remote_shell.hpp"
#include "scenario/duration.hpp"

namespace faultline {

namespace asio = boost::asio;

/// The default lease of a guardian: the longest a fault outlives a lost controller.
inline constexpr Nanos kDefaultLease = std::chrono::seconds(5);
/// How often the guardian looks at its clock.
inline constexpr Nanos kGuardianTick = std::chrono::milliseconds(200);

/// What a guardian holds.
struct GuardianSpec {
  std::string id;      ///< names it on the host: its command line holds "faultline-guardian ID"
  std::string revert;  ///< the POSIX script it runs once to revert (idempotent)
  Nanos lease = kDefaultLease;   ///< reverts when not renewed for this long
  Nanos cap = Nanos::zero();     ///< reverts this long after it started (duration + margin); 0 = no cap
  std::filesystem::path log;     ///< its stderr (the revert's output) appended here; empty = discarded
};

/// The marker in a guardian's command line on its host: "faultline-guardian ID".
std::string guardian_marker(const std::string& id);

/// The POSIX shell script of a guardian (described atop this file).
std::string guardian_script(const GuardianSpec& spec);

/// How a guardian ended.
struct GuardianEnd {
  /// Why it reverted: "controller", "lease", "duration", "hangup",
  /// "terminated"; "" when it never said (killed, or the link was cut).
  std::string reason;
  int revert_status = -1;  ///< the revert script's exit status; -1 when unknown
  bool reverted() const { return !reason.empty() && revert_status == 0; }
};

/// Parses its last line "reverted WHY STATUS"; nullopt for any other line.
std::optional<GuardianEnd> parse_guardian_end(std::string_view line);

/// The controller's end of one guardian. While it lives it renews the lease
/// every lease/3 on the executor's event loop (a hung loop stops renewing,
/// which is the point).
class Guardian {
 public:
  /// Starts a guardian on `shell`'s host and waits (at most `timeout`) until
  /// it reports armed. Throws std::runtime_error naming the host when it
  /// cannot be started or does not arm in time (nothing is left running).
  static asio::awaitable<std::unique_ptr<Guardian>> start(asio::any_io_executor ex, const RemoteShell& shell,
                                                          GuardianSpec spec, Nanos timeout);
  /// Closes the guardian's stdin (it reverts at EOF) and stops renewing;
  /// revert() is the normal way to end one.
  ~Guardian();
  Guardian(const Guardian&) = delete;
  Guardian& operator=(const Guardian&) = delete;

  /// Its pid on the host.
  pid_t remote_pid() const;
  /// The host's name (RemoteShell::host()).
  const std::string& host() const;
  /// Renews the lease now. False when the guardian's stdin is closed.
  bool renew();
  /// Asks it to revert and waits (at most `timeout`) until it has and
  /// exited; returns how it ended (also when it had already reverted on its
  /// own). Its local end is stopped in any case.
  asio::awaitable<GuardianEnd> revert(Nanos timeout);

  struct State;

 private:
  explicit Guardian(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace faultline
