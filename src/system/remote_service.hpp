// Services on declared [[host]]s (issue 14; docs/distributed.md): the run's
// connections to its hosts and the POSIX scripts that start and stop a
// service there.
//
// RemoteHosts owns one SshMaster (os/ssh.hpp) per declared host, its control
// socket in a run-owned ControlDir. open() starts every master at once and
// awaits them together (bring-up costs one connection time, not one per
// host), then creates the run's directory on each host (`mkdir -p -m 700
// /tmp/faultline-RUNID`). close() removes that directory (after a SIGKILL to
// every process group whose pid file is still there) and closes the
// connections; it runs on every exit path (the destructor calls it). Should
// the harness die instead (SIGKILL), the crash ledger names each host, the
// run's directory there and host_cleanup_script() over a fresh ssh
// (ledger_hosts()): the watchdog or `faultline cleanup` runs it.
//
// A remote service is started by a local Child running
//   ssh ... /bin/sh -c 'cd DIR; export K=V...; exec setsid -w /bin/sh -c
//     "echo \"$$ STARTTIME\" > PIDFILE; exec \"$@\"" PIDFILE ARGV...'
// so the service is the leader of its own session and process group on the
// host (a dropped connection sends it no SIGHUP), its pid and start time
// (its identity) are in RUNDIR/pids/NAME there before it runs the service's
// command, its stdout and stderr come back through ssh into
// the service's log in the run directory, and `setsid -w` hands its exit
// status back to the local Child, so the clone's restart policy works as for
// a local service. It is stopped by stop_script(): the stop signal to the
// remote group, then SIGKILL after the grace.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "os/ledger.hpp"
#include "os/ssh.hpp"
#include "os/stop.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

/// The run's directory on every host: /tmp/faultline-RUNID.
std::string remote_run_dir(const std::string& run_id);

/// Where a remote service runs: its `workdir`, else RUNDIR/services/NAME.
std::string remote_service_dir(const std::string& run_dir, const ServiceSpec& svc);

/// The script that starts `svc` (argv already resolved) on its host, as
/// described atop this file.
std::string start_script(const std::string& run_dir, const ServiceSpec& svc);

/// The script that stops the remote group of `service`: `signal` to the
/// group, then SIGKILL when it still lives after `grace`. Before each signal
/// it checks that the group's leader is still the process the pid file
/// names (pid and /proc start time; or, the leader gone, that members of
/// its group live on), so a reused pid is never signalled. Prints
/// "stopped", "killed" or "gone" (no pid file, not that process, or no such group).
std::string stop_script(const std::string& run_dir, const std::string& service, int signal, Nanos grace);

/// The script that prints "PID STARTTIME" of the service's process (field 22
/// of /proc/PID/stat), or fails when it is not running; waits up to 5 s for
/// the pid file of a service that has only just been started.
std::string pid_script(const std::string& run_dir, const std::string& service);

/// The script that, on a host, SIGKILLs every process group of the run whose
/// leader is still the process its pid file names (pid and start time), then
/// removes the run's directory `run_dir`; fails when the directory is left.
/// Run by close() through the master, and by the watchdog and `faultline
/// cleanup` through a fresh connection (LedgerHost::cleanup).
std::string host_cleanup_script(const std::string& run_dir);

/// The SshTarget of a declared host (files resolved against the scenario
/// file; control_path set by RemoteHosts).
SshTarget ssh_target(const Scenario& s, const HostSpec& h);

/// The run's connections to its declared hosts.
class RemoteHosts {
 public:
  /// `logs`: the run directory's logs folder (ssh-HOST.log per master).
  RemoteHosts(const Scenario& s, std::string run_id, std::filesystem::path logs);
  ~RemoteHosts();  ///< close()
  RemoteHosts(const RemoteHosts&) = delete;
  RemoteHosts& operator=(const RemoteHosts&) = delete;

  /// Connects to every host at once and creates the run directory on each.
  /// Returns "" when all are up, else one line per host that failed:
  /// "host 'NAME' (FILE:LINE:COL): WHY" (ssh's own message). Cancelled by `stop`.
  asio::awaitable<std::string> open(asio::any_io_executor ex, StopSource& stop, Nanos timeout);
  /// Removes the run directory from every connected host and closes the
  /// connections. Returns what could not be removed (one line each). Idempotent.
  std::vector<std::string> close();

  /// The shell of host `name` (through its master), or nullptr.
  const SshShell* shell(const std::string& name) const;
  const std::string& run_dir() const { return dir_; }
  bool empty() const { return hosts_.empty(); }
  /// What the crash ledger keeps of every host: its name, the run's
  /// directory there and the host_cleanup_script over a fresh ssh (no
  /// control socket).
  std::vector<LedgerHost> ledger_hosts() const;
  /// The local directory of the control sockets ("" without hosts).
  std::string control_dir() const;

 private:
  struct Host {
    HostSpec spec;
    std::unique_ptr<SshShell> shell;
    std::unique_ptr<SshMaster> master;
    bool dir_made = false;
  };
  std::vector<Host> hosts_;
  std::string dir_;
  std::filesystem::path logs_;
  std::unique_ptr<ControlDir> control_;
  std::string file_;
};

/// What `plan` shows of the remote actions of a run: one line each.
std::vector<std::string> remote_plan(const Scenario& s);

}  // namespace faultline
