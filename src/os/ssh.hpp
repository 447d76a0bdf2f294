// Reaching a declared [[host]] through OpenSSH: the `ssh` client of the
// machine, so the user's ssh_config, agent, ProxyJump, certificates and
// known_hosts work as they do for the user, and nothing is installed on the
// host.
//
// SshShell is the RemoteShell (os/remote_shell.hpp) of one host: its argv is
//   ssh [-F CONFIG] [-S CONTROL_PATH] -o BatchMode=yes
//       -o StrictHostKeyChecking=yes [-o UserKnownHostsFile=FILE]
//       -o ConnectTimeout=N -o ServerAliveInterval=N -o ServerAliveCountMax=N
//       [-i IDENTITY] [-p PORT] -- [USER@]ADDRESS "/bin/sh -c 'SCRIPT'"
// BatchMode: never a prompt (a passphrase, a password, a new host key); a
// connection that needs one fails at once with ssh's own message.
// StrictHostKeyChecking: an unknown or changed host key fails. The argv
// carries paths and names only, never a secret (a key's content, a
// password): the record and `plan` may show it as it is.
//
// SshMaster is the host's one multiplexed connection for the run: a
// foreground `ssh -M -N -o ControlMaster=yes -o ControlPersist=no -S PATH`
// child of faultline (its own process group, so the watchdog stops it should
// faultline die, and the host then sees the connection drop), which every
// SshShell of that host reuses through -S, so a remote action costs one
// round trip instead of a TCP and key exchange. It is checked with
// `ssh -O check`, and closed with `ssh -O exit` (then SIGTERM, then SIGKILL
// of its group) by close() and by the destructor, so on every exit path.
// A foreground master rather than ControlPersist's background one: a
// background master is no child of faultline and would outlive it.
//
// The control sockets live in a run-owned directory with a short path
// (ControlDir: /tmp/flssh-XXXXXX, mode 0700, one socket per host named by
// its index), because a Unix socket path is limited to 107 bytes and ssh
// adds a 17-character suffix while it binds.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "os/remote_shell.hpp"
#include "scenario/duration.hpp"

namespace faultline {

/// How to reach one host with `ssh` (a [[host]] table, resolved).
struct SshTarget {
  std::string name;     ///< the host's name in the scenario
  std::string address;  ///< host name or IP address ssh connects to
  std::string user;     ///< "" = ssh's default (config, then the local user)
  int port = 0;         ///< 0 = ssh's default (config, then 22)
  std::filesystem::path identity;     ///< private key file; empty = ssh's default
  std::filesystem::path ssh_config;   ///< -F file; empty = the user's ~/.ssh/config
  std::filesystem::path known_hosts;  ///< UserKnownHostsFile; empty = ssh's default
  std::filesystem::path control_path; ///< the master's socket; empty = no multiplexing
  int connect_timeout_s = 10;         ///< ConnectTimeout
  int alive_interval_s = 5;           ///< ServerAliveInterval (and 3 missed = dead)
};

/// `ssh` and every option and the destination, without a command: the
/// common prefix of SshShell::argv and of the master's commands.
std::vector<std::string> ssh_prefix(const SshTarget& t);

/// "[user@]address" as ssh is given it.
std::string ssh_destination(const SshTarget& t);

/// The RemoteShell of a host reached with ssh (see atop this file).
class SshShell final : public RemoteShell {
 public:
  explicit SshShell(SshTarget target);
  const std::string& host() const override { return target_.name; }
  /// ssh_prefix(target) + {"/bin/sh -c " + shell_quote(script)}.
  std::vector<std::string> argv(const std::string& script) const override;
  const SshTarget& target() const { return target_; }

 private:
  SshTarget target_;
};

/// A run-owned directory for control sockets: /tmp/flssh-XXXXXX (0700),
/// removed with its content by the destructor.
class ControlDir {
 public:
  /// Creates it; throws std::system_error.
  ControlDir();
  ~ControlDir();
  ControlDir(const ControlDir&) = delete;
  ControlDir& operator=(const ControlDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  /// The socket path of the host with index `i`: DIR/I.
  std::filesystem::path socket(std::size_t i) const;

 private:
  std::filesystem::path path_;
};

/// The master's argv: ssh_prefix with -M -N -o ControlMaster=yes -o
/// ControlPersist=no (the target's control_path must be set).
std::vector<std::string> master_argv(const SshTarget& t);
/// `ssh -S PATH -O check|exit DEST` (op = "check" or "exit").
std::vector<std::string> control_argv(const SshTarget& t, const std::string& op);

/// The one multiplexed connection to a host (see atop this file).
class SshMaster {
 public:
  /// `log` receives the master's stderr (ssh's messages); empty = /dev/null.
  SshMaster(SshTarget target, std::filesystem::path log);
  ~SshMaster();  ///< close()
  SshMaster(const SshMaster&) = delete;
  SshMaster& operator=(const SshMaster&) = delete;

  /// Where a master is after launch().
  enum class State { connecting, up, failed };
  /// Starts the master process without waiting; false (with `why`) when it
  /// could not be started at all.
  bool launch(std::string& why);
  /// Whether the launched master is up (`ssh -O check` answers), still
  /// connecting, or failed (it ended; `why` is ssh's last message).
  State poll(std::string& why);
  /// Starts the master and waits until `ssh -O check` answers, at most
  /// `timeout` or until `*cancel` turns true. False with `why` (ssh's own
  /// last message, e.g. "Permission denied (publickey)." or "Host key
  /// verification failed.") when it could not connect; the master is then
  /// gone.
  bool open(Nanos timeout, std::string& why, const bool* cancel = nullptr);
  /// Whether the master answers `ssh -O check` now.
  bool check() const;
  /// Closes it: `ssh -O exit`, then SIGTERM and SIGKILL of its group; reaps
  /// it and removes the socket. Idempotent.
  void close();
  /// The master's pid (-1 when not running).
  pid_t pid() const { return pid_; }
  const SshTarget& target() const { return target_; }

 private:
  SshTarget target_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

/// The last non-empty line of ssh's messages in `text`, without a trailing
/// "\r"; "" when none.
std::string last_ssh_message(const std::string& text);

}  // namespace faultline
