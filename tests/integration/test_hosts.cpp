// The test hosts of the multi-host drills (ssh_hosts.hpp), as root: three
// namespaces with a real sshd each come up; `ssh` reaches each one and the
// shell it opens really runs in that host's namespace with that host's
// address; the hosts reach each other; a stopped sshd refuses; and after
// teardown nothing of the fixture is left on the machine.
#include <doctest/doctest.h>

#include "harness.hpp"
#include "ssh_hosts.hpp"

using namespace itest;

TEST_CASE("test hosts: three namespaces with a real sshd each, reached only through ssh, nothing left after teardown") {
  SshHosts::sweep_stale();
  std::string left;
  {
    SshHosts hosts(3);
    MESSAGE("3 hosts up in " << std::chrono::duration<double>(hosts.bring_up_time()).count() << " s");
    REQUIRE(hosts.hosts().size() == 3);
    for (int i = 0; i < 3; ++i) {
      const auto& h = hosts.host(i);
      // `ip netns identify` names the namespace of the remote shell; the
      // address list is that namespace's own.
      HostCommand r = hosts.ssh(i, "ip netns identify $$; ip -4 -o addr show dev eth0");
      INFO(h.name << ": " << r.err);
      REQUIRE(r.code == 0);
      CHECK(r.out.starts_with(h.netns + "\n"));
      CHECK(r.out.find(" " + h.address + "/24 ") != std::string::npos);
      // Each host reaches the others across the bridge (here: h(i) opens ssh to h(i+1)).
      const int next = (i + 1) % 3;
      HostCommand hop = hosts.ssh(i, "ssh -F " + hosts.ssh_config().string() + " " + hosts.host(next).name +
                                         " 'ip netns identify $$'");
      INFO("hop " << h.name << " -> " << hosts.host(next).name << ": " << hop.err);
      CHECK(hop.code == 0);
      CHECK(hop.out == hosts.host(next).netns + "\n");
    }
    // Host keys are checked: without h2's key in known_hosts, ssh refuses.
    const auto without = hosts.known_hosts_without(1);
    HostCommand unknown = hosts.run({"ssh", "-F", hosts.ssh_config().string(), "-o",
                                     "UserKnownHostsFile=" + without.string(), hosts.host(1).name, "true"});
    CHECK(unknown.code == 255);
    CHECK(unknown.err.find("Host key verification failed") != std::string::npos);
    // A key the host does not know is refused.
    HostCommand stranger = hosts.run({"ssh", "-F", "/dev/null", "-i", hosts.stranger_key().string(), "-o",
                                      "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "BatchMode=yes", "-o",
                                      "UserKnownHostsFile=" + hosts.known_hosts().string(),
                                      "root@" + hosts.host(0).address, "true"});
    CHECK(stranger.code == 255);
    CHECK(stranger.err.find("Permission denied") != std::string::npos);
    // A stopped sshd refuses connections; started again, it serves.
    hosts.stop_sshd(2);
    HostCommand down = hosts.ssh(2, "true");
    CHECK(down.code == 255);
    CHECK(down.err.find("Connection refused") != std::string::npos);
    hosts.start_sshd(2);
    CHECK(hosts.ssh(2, "true").code == 0);
    hosts.teardown();
    left = hosts.leftovers();
  }
  CHECK(left == "");
}
