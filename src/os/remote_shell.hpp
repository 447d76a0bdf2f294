// Where a POSIX shell script runs: on this machine, or on a declared
// [[host]] through its OpenSSH connection (os/ssh.hpp). This is the seam
// between faultline and the machines it drills: everything that acts on a
// host (a remote service, a remote fault, its guardian, a revert by the
// watchdog or `faultline cleanup`) builds a script and asks a RemoteShell
// for the argv that runs it there; tests fake a host with LocalShell.
//
// A script always runs under /bin/sh (POSIX), whatever the login shell of
// the remote user is, and receives the spawned process's own stdin, stdout
// and stderr, so a long-lived script (a guardian) can be talked to through
// pipes exactly as a local child.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace faultline {

/// Runs POSIX shell scripts on one host. Implementations: LocalShell (this
/// machine) and SshShell (os/ssh.hpp).
class RemoteShell {
 public:
  virtual ~RemoteShell() = default;
  /// The host's name as the scenario declares it ("" = this machine).
  virtual const std::string& host() const = 0;
  /// The argv (argv[0] looked up in PATH) that runs `script` with /bin/sh
  /// on the host; the script sees the spawned process's stdin, stdout and
  /// stderr, and its exit status is the process's.
  virtual std::vector<std::string> argv(const std::string& script) const = 0;
};

/// Runs scripts on this machine: {"/bin/sh", "-c", script}.
class LocalShell final : public RemoteShell {
 public:
  /// `host` names the machine in messages and records ("" = this machine).
  explicit LocalShell(std::string host = "") : host_(std::move(host)) {}
  const std::string& host() const override { return host_; }
  std::vector<std::string> argv(const std::string& script) const override {
    return {"/bin/sh", "-c", script};
  }

 private:
  std::string host_;
};

/// `s` quoted for a POSIX shell: in single quotes, each ' written as '\''.
/// shell_quote("it's") == "'it'\\''s'"; the empty string is "''".
inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

}  // namespace faultline
