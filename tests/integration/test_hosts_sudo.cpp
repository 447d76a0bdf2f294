// A host declared with sudo = true whose `sudo -n true` fails (issue 14,
// bad input): the test logs in as a temporary non-root user of the test
// hosts (SshHosts::make_user: no sudo rule, so sudo asks for a password
// and `-n` makes it fail). `faultline doctor --hosts` says so on one line
// naming the host and its [[host]]'s file:line:col, and `run` refuses
// before any fault with the same kind of line, exit 3, leaving nothing on
// the host.
#include <doctest/doctest.h>

#include <algorithm>
#include <fmt/format.h>
#include <string>

#include "harness.hpp"
#include "ssh_hosts.hpp"

using namespace itest;
using namespace std::chrono_literals;

TEST_CASE("sudo = true where `sudo -n true` fails: doctor says NO, run exits 3 before any fault, one line naming the host and its [[host]]") {
  SshHosts::sweep_stale();
  SshHosts hosts(1);
  TempDir dir;
  const std::string user = hosts.make_user();
  // The login works, as that user; sudo exists on the host and wants a password.
  HostCommand who = hosts.run({"ssh", "-F", hosts.ssh_config().string(), "-l", user, "h1", "--",
                               "id -un; sudo -n true 2>&1; echo status=$?"});
  INFO(who.out, who.err, read_file(hosts.host(0).sshd_log));
  REQUIRE(who.code == 0);
  CHECK(who.out.starts_with(user + "\n"));
  CHECK(who.out.find("status=0") == std::string::npos);

  std::string text = "name = \"sudo\"\nsteady_for = \"100ms\"\nwatch = \"100ms\"\ncool_down = \"0s\"\n" +
                     hosts.toml_hosts("sudo = true\n") + R"([[service]]
name = "sleeper"
host = "h1"
command = "exec sleep 600"
[[probe]]
name = "alive"
kind = "exec"
command = "true"
interval = "50ms"
[[fault]]
name = "kill"
kind = "process.kill"
target = "sleeper"
at = "50ms"
)";
  text.replace(text.find("user = \"root\""), 13, "user = \"" + user + "\"");
  write_file(dir / "s.toml", text);
  const std::string where = fmt::format("host 'h1' ({}:{}:1", (dir / "s.toml").string(),
                                        1 + std::count(text.begin(), text.begin() + text.find("[[host]]"), '\n'));

  Result doctor = itest::faultline(dir, {"doctor", "--hosts", (dir / "s.toml").string()});
  INFO(doctor.out, doctor.err);
  CHECK(doctor.code == 3);
  CHECK(doctor.out.find(where + "): reachable: yes") != std::string::npos);
  CHECK(doctor.out.find(where + "): sudo -n: NO (`sudo -n true` fails: privileged actions are impossible)") !=
        std::string::npos);

  Result r = itest::faultline(dir, {"run", (dir / "s.toml").string(), "--out", (dir / "run").string()}, 120s);
  INFO(r.out, r.err);
  CHECK(r.code == 3);
  CHECK(r.err.find(where + ", " + user + "@" + hosts.host(0).address +
                   "): sudo = true but `sudo -n true` fails (a password or no sudo rule)") != std::string::npos);
  int lines = 0;  // one line says it
  for (std::size_t at = r.err.find("sudo -n true"); at != std::string::npos; at = r.err.find("sudo -n true", at + 1)) ++lines;
  CHECK(lines == 1);
  if (fs::exists(dir / "run" / "run.json")) {
    const auto rec = read_json(dir / "run" / "run.json");
    CHECK(rec.at("faults").as_array().empty());
    CHECK(rec.at("service_events").as_array().empty());
    const std::string run_id(rec.at("run_id").as_string());
    // The host shares the machine's pid namespace with every other job on
    // it: only processes in the host's network namespace count.
    HostCommand left = hosts.ssh(0, "ls -d /tmp/faultline-" + run_id +
                                        " 2>/dev/null; me=$(readlink /proc/self/ns/net); "
                                        "for p in $(pgrep -f 'sleep 60[0]'); do "
                                        "[ \"$(readlink /proc/$p/ns/net 2>/dev/null)\" = \"$me\" ] && echo $p; done; true");
    CHECK(left.out == "");
  }
  HostCommand any = hosts.ssh(0, "ls -d /tmp/faultline-* 2>/dev/null | xargs -r stat -c %U | grep -x " + user + " || true");
  CHECK(any.out == "");  // nothing of the run as that user on the host
  hosts.teardown();
  CHECK(hosts.leftovers() == "");
}
