// The staging clone: the scenario's services as supervised processes. Each is
// started in dependency order in its own process group with its output in
// logs/NAME.log in the run directory, awaited until ready, restarted by its
// policy when it exits, and torn down (stop signal, grace, SIGKILL to the
// group) on every exit path.
#pragma once

#include <sys/types.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "os/clock.hpp"
#include "os/stop.hpp"
#include "os/subprocess.hpp"
#include "record/record.hpp"
#include "scenario/scenario.hpp"
#include "system/attach.hpp"

namespace faultline {

namespace asio = boost::asio;
class RemoteHosts;

/// A service that could not be brought up; what() names it and says why.
struct CloneError : std::runtime_error {
  CloneError(std::string service, const std::string& what, std::string log_tail)
      : std::runtime_error(what), service(std::move(service)), log_tail(std::move(log_tail)) {}
  std::string service;
  std::string log_tail;  ///< the last lines of the service's log
};

/// Supervises the services of one run.
class Clone {
 public:
  /// `resolved` must have its placeholders substituted; logs go to
  /// run_dir/logs/NAME.log and each service's default workdir is
  /// run_dir/services/NAME (created here).
  Clone(asio::any_io_executor ex, const RunClock& clock, const Scenario& resolved,
        std::filesystem::path run_dir);
  ~Clone();

  /// Starts every service in dependency order, each awaited until ready (or
  /// its ready_timeout). Throws CloneError for the first one that fails to
  /// start or to get ready. Returns early (without error) when `stop` is requested.
  asio::awaitable<void> start(StopSource& stop);
  /// Tears everything down in reverse order; restart policies are off from
  /// the first moment. Never throws; safe to call twice.
  asio::awaitable<void> stop();

  /// An attached service's process as found on its host at start; nullopt
  /// for a service faultline started (or an unknown name).
  std::optional<AttachedProcess> attached(const std::string& service) const;
  /// The current process of a service, or nullptr while it is not running
  /// (exited and waiting for its restart backoff, or never started).
  Child* current(const std::string& service);
  /// Stops a service (its stop signal, grace, SIGKILL) and starts it again,
  /// awaiting readiness; for process.restart. Throws CloneError. An attached
  /// service is restarted through its supervisor (supervisor_restart_script)
  /// only while `expected` (its process as the fault found it; else as found
  /// at attach) is still there, then its new process is found and its
  /// readiness awaited; one without a supervisor is refused.
  asio::awaitable<void> restart(const std::string& service, StopSource& stop,
                                std::optional<AttachedProcess> expected = std::nullopt);

  /// The run's connections to its [[host]]s: a service whose `host` names
  /// one is started, stopped and restarted there (remote_service.hpp). Set
  /// before start(); the hosts outlive the clone's stop().
  void use_hosts(const RemoteHosts* hosts);
  /// Called right after every process the clone starts (first start and
  /// every restart), so that the crash ledger always knows what to stop.
  void on_started(std::function<void(const std::string& service, pid_t pid)> cb);

  /// How many processes stop() had to kill outside their service's process
  /// group: descendants that left it (setsid, a daemon's double fork).
  int escaped() const;

  /// Adds (or replaces) environment variables of a service faultline starts,
  /// for every start from now on (clock.skew's preload, set before start()).
  void set_env(const std::string& service, const std::map<std::string, std::string>& env);
  /// Starts every process of a service faultline starts in the cgroups
  /// `dirs` (each joined before the command execs), for every start from
  /// now on (resource faults: set before start()). `name` may also name a
  /// cgroup of the run that is no service's (a stress fault's own): kept
  /// for cgroup() only.
  void set_cgroup(const std::string& name, const std::vector<std::filesystem::path>& dirs);
  /// The cgroups set_cgroup gave `name`; empty when none.
  std::vector<std::filesystem::path> cgroup(const std::string& name) const;
  /// The environment a service is started with on top of the inherited one
  /// (its `env` and what set_env added); empty for an unknown name.
  std::map<std::string, std::string> env(const std::string& service) const;

  /// Every event so far, in order.
  const std::vector<ServiceEvent>& events() const;
  /// The directory a service faultline starts runs in (its `workdir`, else
  /// run_dir/services/NAME); empty for an unknown name.
  std::filesystem::path dir(const std::string& service) const;
  /// The log file of a service.
  std::filesystem::path log_path(const std::string& service) const;
  /// The last `lines` lines of a service's log.
  std::string log_tail(const std::string& service, int lines = 20) const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace faultline
