// Attach (issue 14, docs/distributed.md "Attach"): a drill against services
// that already run, the way one is run against a staging environment. The
// test starts plain processes on two test hosts over ssh (ssh_hosts.hpp),
// outside faultline, each the leader of its own session: on h1 one found by
// its pid file and one by a command-line match, on h2 one by its pid file.
// The scenario attaches to all three, kills the first and pauses the second
// for 300 ms, and leaves the third alone. Afterwards the environment must be
// exactly as found apart from the kill: the paused one runs again (not 'T')
// with the same pid and start time, the untouched one has the same pid and
// start time, and nothing of faultline is left on either host (no
// /tmp/faultline-RUNID, no guardian) nor here (no ssh toward the hosts).
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>
#include <string>

#include "harness.hpp"
#include "os/procfs.hpp"
#include "ssh_hosts.hpp"

using namespace itest;
using namespace std::chrono_literals;

namespace {

/// A process started on host i outside faultline.
struct Existing {
  pid_t pid = 0;
  unsigned long long start_time = 0;
};

/// Starts `command` on host i in a session of its own (as a daemon would
/// run), writing its pid to `pidfile` when one is given.
Existing start_existing(const SshHosts& hosts, int i, const std::string& command, const std::string& pidfile = "") {
  HostCommand r = hosts.ssh(i, fmt::format("setsid {} </dev/null >/dev/null 2>&1 & p=$!; {}echo $p", command,
                                           pidfile.empty() ? "" : "echo $p > " + pidfile + "; "));
  REQUIRE(r.code == 0);
  Existing e;
  e.pid = std::stoi(r.out);
  for (int k = 0; k < 200 && !faultline::process_start_time(e.pid); ++k) ::usleep(5000);
  e.start_time = faultline::process_start_time(e.pid).value_or(0);
  REQUIRE(e.start_time != 0);
  return e;
}

/// "STATE STARTTIME" of `pid` as host i reads it, "" when it has none.
std::string on_host(const SshHosts& hosts, int i, pid_t pid) {
  return hosts.ssh(i, fmt::format("cut -d' ' -f3,22 /proc/{}/stat 2>/dev/null; true", pid)).out;
}

}  // namespace

TEST_CASE("attach: a drill on services that already ran (pidfile, match) kills one, pauses one, leaves the rest as found") {
  SshHosts::sweep_stale();
  SshHosts hosts(2);
  TempDir dir;
  const std::string tag = std::to_string(::getpid());
  const std::string pf_a = "/tmp/itest-attach-a-" + tag + ".pid", pf_c = "/tmp/itest-attach-c-" + tag + ".pid";
  const Existing a = start_existing(hosts, 0, "sleep 71" + tag, pf_a);
  const Existing b = start_existing(hosts, 0, "sleep 72" + tag);
  const Existing c = start_existing(hosts, 1, "sleep 73" + tag, pf_c);
  write_file(dir / "s.toml", "name = \"attach\"\nsteady_for = \"100ms\"\nwatch = \"100ms\"\ncool_down = \"0s\"\n" +
                                 hosts.toml_hosts() + fmt::format(R"([[service]]
name = "a"
host = "h1"
attach = {{ pidfile = "{}" }}
restart = "never"
[[service]]
name = "b"
host = "h1"
attach = {{ match = "^sleep 72{}$" }}
restart = "never"
[[service]]
name = "c"
host = "h2"
attach = {{ pidfile = "{}" }}
restart = "never"
[[probe]]
name = "alive"
kind = "exec"
command = "true"
interval = "50ms"
[[fault]]
name = "kill-a"
kind = "process.kill"
target = "a"
at = "50ms"
[[fault]]
name = "pause-b"
kind = "process.pause"
target = "b"
at = "100ms"
duration = "300ms"
)",
                                                                  pf_a, tag, pf_c));
  Result r = itest::faultline(dir, {"run", (dir / "s.toml").string(), "--out", (dir / "run").string()}, 120s);
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  const auto rec = read_json(dir / "run" / "run.json");
  const std::string run_id(rec.at("run_id").as_string());
  int attached = 0;
  for (const auto& e : rec.at("service_events").as_array())
    attached += e.at("what").as_string() == "attached" ? 1 : 0;
  CHECK(attached == 3);

  // The kill: a is gone (nothing supervises it; the fault is the point).
  const std::string a_now = on_host(hosts, 0, a.pid);
  CHECK_MESSAGE((a_now.empty() || a_now.starts_with("Z ")), a_now);  // a zombie until init reaps it
  // The pause: b runs again, the same process.
  CHECK(on_host(hosts, 0, b.pid) == fmt::format("S {}\n", b.start_time));
  // Untouched: c as found.
  CHECK(on_host(hosts, 1, c.pid) == fmt::format("S {}\n", c.start_time));
  // Nothing of faultline on either host, nor here.
  for (int i = 0; i < 2; ++i) {
    HostCommand left = hosts.ssh(i, "ls -d /tmp/faultline-" + run_id +
                                        " 2>/dev/null; for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f 2>/dev/null | "
                                        "grep -q '[f]aultline-guardian " + run_id + "' && echo guardian $f; done; true");
    CHECK_MESSAGE(left.out == "", hosts.host(i).name << ": " << left.out);
  }
  const std::string subnet = hosts.subnet().substr(0, hosts.subnet().size() - 4);
  for (const auto& p : faultline::list_processes()) {
    const auto cmd = faultline::read_proc_cmdline(p.pid);
    if (!p.dead() && cmd && cmd->starts_with("ssh ")) CHECK_MESSAGE(cmd->find(subnet) == std::string::npos, *cmd);
  }
  hosts.ssh(0, fmt::format("kill -9 {} {} 2>/dev/null; rm -f {}", a.pid, b.pid, pf_a));
  hosts.ssh(1, fmt::format("kill -9 {} 2>/dev/null; rm -f {}", c.pid, pf_c));
}
