// Test hosts for the multi-host drills (issue 14): N "machines" on this one,
// each a network namespace with its own IPv4 address and a real OpenSSH
// server (/usr/sbin/sshd from Debian's openssh-server), reached by the
// controller (the test, in the root namespace) only through `ssh`.
//
// Layout of one fixture instance (k counts the instances of this process):
//   - a bridge `fh<pid>_<k>` in the root namespace holding 10.79.X.254/24,
//     X chosen so that no address of the root namespace is in 10.79.X.0/24;
//   - per host i (1-based): namespace `flsh-<pid>-<k>-<i>`, a veth pair whose
//     root end `fh<pid>_<k>_<i>` is a port of the bridge and whose other end
//     is `eth0` in the namespace, holding 10.79.X.i/24. The hosts reach each
//     other across the bridge (layer 2: no forwarding is switched on in the
//     root namespace) and the controller reaches them at their address;
//   - a directory (mkdtemp) with the client key (ed25519, no passphrase), a
//     host key per host, known_hosts listing each host's key at its
//     address, an ssh_config naming each host (Host h1 ... hN, User root,
//     IdentitiesOnly, no agent, StrictHostKeyChecking yes, BatchMode yes),
//     and per host an sshd_config (ListenAddress the host's address, its
//     own HostKey, PidFile, AuthorizedKeysFile the client's public key,
//     UsePAM no, StrictModes no since the directory is under /tmp).
// sshd runs as `ip netns exec NS /usr/sbin/sshd -D -e -f CONFIG`, a child of
// the test, its log (stderr) in the directory.
//
// A test that needs a login other than root (sudo = true without a sudo
// rule) asks for make_user(): a temporary account `flsu<pid>_<k>` of this
// machine (hence of every host: the namespaces share its files), shell
// /bin/sh, home /tmp, no password ("*", not locked: sshd without PAM
// refuses a locked account), no sudo rule, logging in with the fixture's
// client key (AuthorizedKeysFile names one file for every user, which sshd
// reads with the user's rights: the fixture's directory is then made
// traversable, 0711, and that file readable, 0644). It is
// deleted at teardown (userdel, after the sshds and their sessions are
// gone), read back by leftovers() and swept like the rest when its test
// process died.
//
// Teardown (the destructor, or teardown()) stops each sshd (SIGTERM, then
// SIGKILL of every process left in the namespace: sessions, their
// children, anything a drill started there), deletes each namespace (its
// veth end goes with it, and the root end with its peer) and the bridge,
// then reads `ip netns list`, `ip link` and the namespaces' process lists
// back: leftovers() is "" when nothing is left. The names carry the pid of
// the test process, so a later instance sweeps what a crashed one left
// (sweep_stale(): only names whose pid no longer exists).
//
// Root only (namespaces, links, sshd); the tests that use it run in CI as root.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace itest {

/// One test host.
struct SshTestHost {
  std::string name;              ///< "h1", "h2", ... (the Host alias in ssh_config)
  std::string netns;             ///< its network namespace
  std::string address;           ///< its IPv4 address
  std::filesystem::path host_key;  ///< its private host key (public: + ".pub")
  std::filesystem::path sshd_config;
  std::filesystem::path sshd_log;  ///< sshd's stderr (-e)
  pid_t sshd_pid = -1;           ///< -1 while stopped
};

/// The result of a command the fixture ran to its end.
struct HostCommand {
  int code = -1;        ///< exit code; 128+N for signal N; -1 timed out
  std::string out, err;
};

/// N hosts over OpenSSH on this machine (see the comment atop this file).
class SshHosts {
 public:
  /// Brings up `n` hosts (1..200); throws std::runtime_error naming the
  /// step that failed, after deleting whatever it had made.
  explicit SshHosts(int n);
  ~SshHosts();
  SshHosts(const SshHosts&) = delete;
  SshHosts& operator=(const SshHosts&) = delete;

  const std::vector<SshTestHost>& hosts() const { return hosts_; }
  const SshTestHost& host(int i) const { return hosts_.at(static_cast<std::size_t>(i)); }  ///< 0-based
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path client_key() const { return dir_ / "client_key"; }  ///< private; ".pub" beside
  std::filesystem::path known_hosts() const { return dir_ / "known_hosts"; }
  std::filesystem::path ssh_config() const { return dir_ / "ssh_config"; }
  /// The controller's address on the hosts' subnet (the bridge's).
  const std::string& controller_address() const { return controller_; }
  /// The subnet, "10.79.X.0/24".
  std::string subnet() const;
  /// The time bring-up took (namespaces, keys, sshd listening on every host).
  std::chrono::nanoseconds bring_up_time() const { return bring_up_time_; }

  /// `ssh -F ssh_config NAME -- COMMAND` for host i (0-based).
  std::vector<std::string> ssh_argv(int i, const std::string& command) const;
  /// Runs `command` on host i through ssh and waits (timeout 20 s).
  HostCommand ssh(int i, const std::string& command) const;
  /// Runs argv on this machine and waits (the fixture's own `ip`, `ssh-keygen`...).
  HostCommand run(const std::vector<std::string>& argv,
                  std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;

  /// `[[host]]` tables for a scenario, one per host: name, address, user =
  /// "root", identity, known_hosts (the fixture's files). `extra` is added
  /// to every table (e.g. "sudo = false\n").
  std::string toml_hosts(const std::string& extra = "") const;

  /// Stops host i's sshd (and every process in its namespace): the host is
  /// then "down" (connections refused).
  void stop_sshd(int i);
  /// Starts host i's sshd again and waits until it listens.
  void start_sshd(int i);
  /// A second client key that no host accepts (for refused-key cases).
  std::filesystem::path stranger_key();
  /// A known_hosts file listing every host except host i (for unknown-host-key cases).
  std::filesystem::path known_hosts_without(int i);
  /// A temporary non-root login on every host (see atop), made on first
  /// call; returns its name. Throws std::runtime_error when useradd fails.
  std::string make_user();

  /// Tears everything down (idempotent); leftovers() tells what is left.
  void teardown();
  /// What is left of this instance on the machine, one item a line; "" = nothing.
  std::string leftovers() const;
  /// Deletes namespaces, links and processes of instances whose test
  /// process no longer exists. Returns what it removed, one a line.
  static std::string sweep_stale();

 private:
  void make_keys();
  void make_network();
  void write_configs();
  void wait_listening(const SshTestHost& h) const;
  std::string tag() const;  // "<pid>_<k>"

  std::filesystem::path dir_;
  std::string bridge_;
  std::string prefix_;       // "10.79.X."
  std::string controller_;   // "10.79.X.254"
  int instance_ = 0;
  std::vector<SshTestHost> hosts_;
  std::chrono::nanoseconds bring_up_time_{0};
  bool torn_down_ = false;
  std::string user_;  // made by make_user(); "" = none
};

}  // namespace itest
