// net.latency and net.bandwidth across [[host]]s: who shapes what, the run's
// handles, the leaf from the kinds' own argv, the scripts (under /bin/sh
// with a stand-in `tc` and `ip`), the validation (file:line:col) and what
// `plan` lists. The injector itself acts over ssh:
// tests/integration/test_host_qdisc.cpp and test_fault_matrix_hosts.cpp run
// it against real sshd hosts.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "fault_injectors/host_qdisc.hpp"
#include "os/netns.hpp"
#include "os/remote_shell.hpp"
#include "scenario/validate_fixture.hpp"

using namespace faultline;
using namespace faultline::validate_fixture;

namespace {

std::string three_hosts(const std::string& fault, const std::string& extra = "") {
  return R"(name = "v"
[[host]]
name = "h1"
address = "10.0.0.1"
[[host]]
name = "h2"
address = "10.0.0.2"
sudo = true
[[host]]
name = "h3"
address = "fd00::3"
[[service]]
name = "a"
host = "h1"
command = "sleep 600"
[[service]]
name = "b"
host = "h2"
command = "sleep 600"
[[service]]
name = "c"
host = "h3"
command = "sleep 600"
)" + extra + "[[fault]]\nname = \"slow\"\nduration = \"1s\"\n" +
         fault;
}

std::map<std::string, std::string> addresses() {
  return {{"h1", "10.0.0.1"}, {"h2", "10.0.0.2"}, {"h3", "fd00::3"}};
}

}  // namespace

TEST_CASE("host qdisc: downstream on the target's host toward every peer, upstream on every peer toward it") {
  const auto down = host_shapes("h1", NetDirection::downstream, addresses());
  REQUIRE(down.size() == 1);
  CHECK(down.at("h1").to == std::vector<std::string>{"10.0.0.2", "fd00::3"});
  const auto up = host_shapes("h1", NetDirection::upstream, addresses());
  REQUIRE(up.size() == 2);
  CHECK(up.at("h2").to == std::vector<std::string>{"10.0.0.1"});
  CHECK(up.at("h3").to == std::vector<std::string>{"10.0.0.1"});
  const auto both = host_shapes("h1", NetDirection::both, addresses());
  CHECK(both.size() == 3);
  CHECK(both.at("h1").address == "10.0.0.1");
  CHECK(host_shapes("h9", NetDirection::both, addresses()).empty());
  CHECK(host_shapes("h1", NetDirection::both, {{"h1", "10.0.0.1"}}).empty());
}

TEST_CASE("host qdisc: handles are the run's and the application's, two different majors above 0x8000") {
  const auto a = qdisc_handles("20261204-164500-abc123", 3);
  CHECK(a.root >= 0x8000u);
  CHECK(a.root <= 0xffffu);
  CHECK(a.leaf >= 0x8000u);
  CHECK(a.leaf != a.root);
  const auto again = qdisc_handles("20261204-164500-abc123", 3);
  CHECK((again.root == a.root && again.leaf == a.leaf));
  const auto other = qdisc_handles("20261204-164500-abc123", 4);
  CHECK((other.root != a.root || other.leaf != a.leaf));
}

TEST_CASE("host qdisc: the leaf is the namespaces version's own qdisc and parameters") {
  LatencyParams p;
  p.latency = std::chrono::milliseconds(100);
  p.jitter = std::chrono::milliseconds(10);
  p.distribution = LatencyDistribution::normal;
  const QdiscLeaf netem = qdisc_leaf(netem_argv("", "", p));
  CHECK(netem.kind == "netem");
  CHECK(netem.params == std::vector<std::string>{"delay", "100000us", "10000us", "distribution", "normal"});
  const QdiscLeaf tbf = qdisc_leaf(tbf_argv("", "", 125000));
  CHECK(tbf.kind == "tbf");
  CHECK(tbf.params == std::vector<std::string>{"rate", "1000000bit", "burst", "1600b", "latency", "200ms"});
  CHECK(qdisc_leaf({"tc", "qdisc"}).kind.empty());
}

TEST_CASE("host qdisc: the scripts filter only the peers' addresses (ip and ip6) and use sudo -n only when asked") {
  const QdiscHandles h{0x8a1b, 0x8a1c};
  const QdiscLeaf leaf{"tbf", {"rate", "8000bit"}};
  const std::string apply = host_qdisc_apply_script(h, {"10.0.0.2", "fd00::3"}, leaf, false);
  CHECK(apply.find("shape '10.0.0.2' ip ip 32\n") != std::string::npos);
  CHECK(apply.find("shape 'fd00::3' ipv6 ip6 128\n") != std::string::npos);
  CHECK(apply.find("root handle $R: htb default 0") != std::string::npos);
  CHECK(apply.find("parent $R:1 handle $L: tbf 'rate' '8000bit'") != std::string::npos);
  CHECK(apply.find("R=8a1b; L=8a1c") != std::string::npos);
  CHECK(apply.find("sudo") == std::string::npos);
  CHECK(host_qdisc_apply_script(h, {"10.0.0.2"}, leaf, true).find("S='sudo -n'") != std::string::npos);
  CHECK(host_qdisc_revert_script(h, true).find("S='sudo -n'") != std::string::npos);
  CHECK(host_qdisc_revert_script(h, false).find("$3 == \"8a1b:\"") != std::string::npos);
  CHECK(lists_run_qdisc("qdisc noqueue 0: dev lo root refcnt 2\nqdisc htb 8a1b: dev eth0 root refcnt 3 r2q 10\n", h));
  CHECK_FALSE(lists_run_qdisc("qdisc htb 8a1d: dev eth0 root refcnt 3\nqdisc tbf 8a1c: dev eth0 parent 8a1b:1\n", h));
}

TEST_CASE("host qdisc: the scripts run under /bin/sh: apply reads both qdiscs back, revert deletes only the run's, idempotent") {
  // Stand-ins for `ip` and `tc` in PATH; tc keeps its qdiscs in a file in
  // the format of `tc qdisc show` (with " dev D" only when no device is named).
  const std::string dir = "/tmp/faultline-unit-tc-" + std::to_string(::getpid());
  const std::string fake =
      "mkdir -p " + dir + " && cat > " + dir + "/tc <<'EOF'\n" +
      "#!/bin/sh\nf=" + dir + "/qdiscs; touch $f\n"
      "case \"$1 $2\" in\n"
      "  'qdisc show') if [ \"$3\" = dev ]; then grep \" dev $4 \" $f | sed \"s/ dev $4 / /\"; else cat $f; fi ;;\n"
      "  'qdisc add') if [ \"$5\" = root ]; then grep -q \" dev $4 root\" $f && exit 2; echo \"qdisc $8 ${7} dev $4 root refcnt 2\" >> $f;\n"
      "               else echo \"qdisc $9 ${8} dev $4 parent $6\" >> $f; fi ;;\n"
      "  'qdisc del') grep -v \" dev $4 \" $f > $f.n; mv $f.n $f ;;\n"
      "esac\nexit 0\nEOF\n"
      "cat > " + dir + "/ip <<'EOF'\n#!/bin/sh\necho \"$3 dev eth0 src 10.0.0.1 uid 0\"\nEOF\n"
      "chmod +x " + dir + "/tc " + dir + "/ip && echo 'qdisc htb 9999: dev other root refcnt 2' > " + dir + "/qdiscs";
  REQUIRE(std::system(fake.c_str()) == 0);
  auto sh = [&](const std::string& script) {
    const std::string cmd = "PATH=" + dir + ":$PATH; export PATH\n" + script;
    return WEXITSTATUS(std::system(("/bin/sh -c " + shell_quote(cmd) + " >/dev/null 2>&1").c_str()));
  };
  auto qdiscs = [&] {
    std::ifstream in(dir + "/qdiscs");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  const QdiscHandles h{0x8a1b, 0x8a1c};
  const QdiscLeaf leaf{"netem", {"delay", "100000us"}};
  CHECK(sh(host_qdisc_revert_script(h, false)) == 0);  // nothing there: already reverted
  CHECK(sh(host_qdisc_apply_script(h, {"10.0.0.2", "10.0.0.3"}, leaf, false)) == 0);
  CHECK(qdiscs() == "qdisc htb 9999: dev other root refcnt 2\nqdisc htb 8a1b: dev eth0 root refcnt 2\n"
                    "qdisc netem 8a1c: dev eth0 parent 8a1b:1\n");
  CHECK(lists_run_qdisc(qdiscs(), h));
  // A second application on the same device is refused and leaves the first alone.
  CHECK(sh(host_qdisc_apply_script({0x8b00, 0x8b01}, {"10.0.0.2"}, leaf, false)) == 3);
  CHECK(lists_run_qdisc(qdiscs(), h));
  CHECK(sh(host_qdisc_revert_script(h, false)) == 0);
  CHECK(sh(host_qdisc_revert_script(h, false)) == 0);
  CHECK(qdiscs() == "qdisc htb 9999: dev other root refcnt 2\n");  // another's root qdisc is never touched
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("host qdisc validation: a delay and a limit on a hosted service pass; plan lists each host's steps") {
  const std::string text = three_hosts("kind = \"net.latency\"\ntarget = \"a\"\nlatency = \"100ms\"\n");
  CHECK(all_messages(check(text)) == "");
  auto r = parse_scenario(text, "v.toml");
  REQUIRE(r.scenario);
  CHECK(qdisc_on_hosts(*r.scenario, r.scenario->faults[0]));
  const auto plan = host_qdisc_plan(*r.scenario);
  REQUIRE(plan.size() == 6);
  CHECK(plan[0].starts_with("on 'h1': fault 'slow': leave a guardian holding the deletion of the run's root htb, then on "
                            "the device toward each of 10.0.0.2, fd00::3 (`ip route get`) make that htb with a netem "
                            "class (delay 100ms, both directions"));
  CHECK(plan[1] == "on 'h1': revert fault 'slow': the guardian deletes the run's root htb (with its netem); read `tc "
                   "qdisc show` back");
  CHECK(plan[2].find("on 'h2': fault 'slow'") == 0);
  CHECK(plan[2].find("toward each of 10.0.0.1 ") != std::string::npos);

  const std::string limit =
      three_hosts("kind = \"net.bandwidth\"\ntarget = \"b\"\nrate = \"1MB/s\"\ndirection = \"downstream\"\n");
  CHECK(all_messages(check(limit)) == "");
  auto r2 = parse_scenario(limit, "v.toml");
  REQUIRE(r2.scenario);
  const auto plan2 = host_qdisc_plan(*r2.scenario);
  REQUIRE(plan2.size() == 2);
  CHECK(plan2[0].find("on 'h2': fault 'slow'") == 0);
  CHECK(plan2[0].find("with a tbf class (limit to 1 MB/s per host and direction, downstream") != std::string::npos);
  CHECK(plan2[0].find("per connection") == std::string::npos);
}

TEST_CASE("host qdisc validation: toxicity, a host named by a name, no peer host (file:line:col); a link target is unchanged") {
  const std::string toxic = three_hosts("kind = \"net.latency\"\ntarget = \"a\"\nlatency = \"1ms\"\ntoxicity = 0.5\n");
  const auto d1 = diag(check(toxic), "'toxicity' does not apply across [[host]]s");
  check_at(d1, value_of(toxic, "toxicity = 0.5"));

  std::string named = three_hosts("kind = \"net.bandwidth\"\ntarget = \"a\"\nrate = \"1MB/s\"\n");
  named.replace(named.find("10.0.0.2"), 8, "db2.staging");
  const auto d2 = diag(check(named), "is a name");
  check_at(d2, value_of(named, "address = \"db2.staging\""));
  CHECK(d2.message == "fault 'slow' shapes traffic on host 'h2', whose address 'db2.staging' is a name: its tc filters "
                      "need an IP address");

  const std::string alone = R"(name = "v"
[[host]]
name = "h1"
address = "10.0.0.1"
[[service]]
name = "a"
host = "h1"
command = "sleep 600"
[[fault]]
name = "slow"
kind = "net.latency"
target = "a"
latency = "1ms"
duration = "1s"
)";
  const auto d3 = diag(check(alone), "no other [[host]] runs a service");
  check_at(d3, value_of(alone, "target = \"a\""));

  // A service on this machine is not a link: the link kinds' message stays.
  const std::string local = three_hosts("kind = \"net.latency\"\ntarget = \"here\"\nlatency = \"1ms\"\n",
                                        "[[service]]\nname = \"here\"\ncommand = \"x\"\n");
  CHECK(diag(check(local), "is not a declared link").message == "fault target 'here' is not a declared link");
}
