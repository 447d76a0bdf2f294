// net.partition across [[host]]s: which host drops what, the nft batch and
// the scripts, the validation (file:line:col) and what `plan` lists. The
// injector itself acts over ssh: tests/integration/test_host_partition.cpp
// and test_fault_matrix_hosts.cpp run it against real sshd hosts.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "fault_injectors/host_partition.hpp"
#include "os/remote_shell.hpp"
#include "scenario/topology.hpp"
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
)" + extra + "[[fault]]\nname = \"split\"\nkind = \"net.partition\"\nduration = \"1s\"\n" +
         fault;
}

std::map<std::string, ServiceHost> where() {
  return {{"a", {"h1", "10.0.0.1"}}, {"b", {"h2", "10.0.0.2"}}, {"c", {"h3", "fd00::3"}}, {"l", {"", ""}}};
}

PartitionParams isolate(const std::string& s, bool one_way = false) {
  PartitionParams p;
  p.isolate = s;
  p.one_way = one_way;
  return p;
}

}  // namespace

TEST_CASE("host partition: isolating one host cuts its output and input to and from each other host, and theirs") {
  const auto cuts = host_cuts(partition_cut_pairs(isolate("a"), {"a", "b", "c"}), where());
  REQUIRE(cuts.size() == 3);
  CHECK(cuts.at("h1").address == "10.0.0.1");
  CHECK(cuts.at("h1").to == std::vector<std::string>{"10.0.0.2", "fd00::3"});
  CHECK(cuts.at("h1").from == std::vector<std::string>{"10.0.0.2", "fd00::3"});
  CHECK(cuts.at("h2").to == std::vector<std::string>{"10.0.0.1"});
  CHECK(cuts.at("h2").from == std::vector<std::string>{"10.0.0.1"});
  CHECK(cuts.at("h3").to == std::vector<std::string>{"10.0.0.1"});
}

TEST_CASE("host partition: direction one cuts only the first group's output and the others' input") {
  const auto cuts = host_cuts(partition_cut_pairs(isolate("a", true), {"a", "b", "c"}), where());
  CHECK(cuts.at("h1").to == std::vector<std::string>{"10.0.0.2", "fd00::3"});
  CHECK(cuts.at("h1").from.empty());
  CHECK(cuts.at("h2").to.empty());
  CHECK(cuts.at("h2").from == std::vector<std::string>{"10.0.0.1"});
}

TEST_CASE("host partition: services on this machine or sharing a host are skipped (the validation refuses them)") {
  auto w = where();
  w["b"] = {"h1", "10.0.0.1"};
  const auto cuts = host_cuts(partition_cut_pairs(isolate("a"), {"a", "b", "c", "l"}), w);
  CHECK(cuts.at("h1").to == std::vector<std::string>{"fd00::3"});
  CHECK(cuts.at("h3").from == std::vector<std::string>{"10.0.0.1"});
  CHECK(cuts.count("h2") == 0);
}

TEST_CASE("host partition: the nft batch drops (both chains) or rejects (the receiver's input) only the other hosts' addresses, ip and ip6") {
  HostCut cut{"10.0.0.1", {"10.0.0.2", "fd00::3"}, {"10.0.0.2"}};
  const std::string drop = host_partition_ruleset("faultline_abc123_4", cut, PartitionMode::drop);
  CHECK(drop ==
        "add table inet faultline_abc123_4\n"
        "add chain inet faultline_abc123_4 input { type filter hook input priority 0; policy accept; }\n"
        "add chain inet faultline_abc123_4 output { type filter hook output priority 0; policy accept; }\n"
        "add rule inet faultline_abc123_4 output ip daddr 10.0.0.2 drop\n"
        "add rule inet faultline_abc123_4 output ip6 daddr fd00::3 drop\n"
        "add rule inet faultline_abc123_4 input ip saddr 10.0.0.2 drop\n");
  const std::string reject = host_partition_ruleset("t", cut, PartitionMode::reject);
  CHECK(reject.find("add rule inet t input ip saddr 10.0.0.2 tcp flags & rst == rst accept\n"
                    "add rule inet t input ip saddr 10.0.0.2 icmp type destination-unreachable accept\n"
                    "add rule inet t input ip saddr 10.0.0.2 meta l4proto tcp reject with tcp reset\n"
                    "add rule inet t input ip saddr 10.0.0.2 reject with icmpx admin-prohibited\n") != std::string::npos);
  CHECK(reject.find(" output ip") == std::string::npos);  // the receiver answers
  CHECK(reject.find(" drop") == std::string::npos);
}

TEST_CASE("host partition: the scripts use sudo -n only when asked and not root, and delete only their own table") {
  const std::string apply = host_apply_script("faultline_x_1", "add table inet faultline_x_1\n", true);
  CHECK(apply.find("[ \"$(id -u)\" = 0 ] || S='sudo -n'") != std::string::npos);
  CHECK(apply.find("$S nft 'add table inet faultline_x_1\n' || exit 3") != std::string::npos);
  CHECK(apply.find("grep -qx 'table inet faultline_x_1'") != std::string::npos);
  CHECK(host_apply_script("t", "r", false).find("sudo") == std::string::npos);
  const std::string revert = host_revert_script("faultline_x_1", false);
  CHECK(revert.find("$S nft delete table inet faultline_x_1\n") != std::string::npos);
  CHECK(revert.find("command -v nft >/dev/null 2>&1 || exit 0") != std::string::npos);
  CHECK(host_list_script(true).ends_with("$S nft list tables\n"));
}

TEST_CASE("host partition: the scripts run under /bin/sh: apply reads the table back, revert is idempotent") {
  // A stand-in `nft` in PATH that keeps its tables in a file: the scripts'
  // logic (read back, delete only when listed, exit statuses) for real.
  const std::string dir = "/tmp/faultline-unit-nft-" + std::to_string(::getpid());
  const std::string fake = "mkdir -p " + dir + " && cat > " + dir + "/nft <<'EOF'\n" +
                           "#!/bin/sh\nf=" + dir + "/tables; touch $f\n"
                           "case \"$1\" in\n"
                           "  list) cat $f ;;\n"
                           "  delete) grep -vx \"table inet $4\" $f > $f.n; mv $f.n $f ;;\n"
                           "  *) t=$(printf '%s\\n' \"$1\" | sed -n 's/^add table inet //p'); echo \"table inet $t\" >> $f ;;\n"
                           "esac\nEOF\nchmod +x " + dir + "/nft";
  REQUIRE(std::system(fake.c_str()) == 0);
  auto sh = [&](const std::string& script) {
    const std::string cmd = "PATH=" + dir + ":$PATH; export PATH\n" + script;
    return WEXITSTATUS(std::system(("/bin/sh -c " + shell_quote(cmd) + " >/dev/null 2>&1").c_str()));
  };
  const std::string rules = host_partition_ruleset("faultline_u_1", HostCut{"10.0.0.1", {"10.0.0.2"}, {}}, PartitionMode::drop);
  CHECK(sh(host_revert_script("faultline_u_1", false)) == 0);  // nothing there: already reverted
  CHECK(sh(host_apply_script("faultline_u_1", rules, false)) == 0);
  CHECK(sh(host_revert_script("faultline_u_1", false)) == 0);
  CHECK(sh(host_revert_script("faultline_u_1", false)) == 0);
  CHECK(std::system(("test ! -s " + dir + "/tables").c_str()) == 0);
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("host partition: an IP address is one, a name is not") {
  CHECK(is_ip_address("10.79.3.1"));
  CHECK(is_ip_address("fd00::3"));
  CHECK_FALSE(is_ip_address("db1.staging"));
  CHECK_FALSE(is_ip_address(""));
}

TEST_CASE("host partition validation: a valid one passes; plan lists each host's steps") {
  const std::string text = three_hosts("isolate = \"a\"\n");
  CHECK(all_messages(check(text)) == "");
  auto r = parse_scenario(text, "v.toml");
  REQUIRE(r.scenario);
  CHECK(partition_on_hosts(*r.scenario, r.scenario->faults[0].params.get<PartitionParams>()));
  const auto plan = host_partition_plan(*r.scenario);
  REQUIRE(plan.size() == 6);
  CHECK(plan[0] ==
        "on 'h1': fault 'split': leave a guardian holding `nft delete table inet faultline_RUNTAG_N`, then create that "
        "table (one `nft` transaction) dropping traffic to 10.0.0.2, fd00::3; from 10.0.0.2, fd00::3, read `nft list "
        "tables` back");
  CHECK(plan[1] == "on 'h1': revert fault 'split': the guardian deletes the table; read `nft list tables` back");
  CHECK(partition_hosts(*r.scenario).size() == 3);
}

TEST_CASE("host partition validation: two separated services on one host, a service on this machine, a host named by a name") {
  const std::string shared = three_hosts("isolate = \"a\"\n", "[[service]]\nname = \"d\"\nhost = \"h1\"\ncommand = \"x\"\n");
  const auto d1 = diag(check(shared), "which share host 'h1'");
  check_at(d1, where_is(shared, "[[fault]]"));
  CHECK(d1.message == "fault 'split' separates services 'a' and 'd', which share host 'h1': one host cannot be split");

  const std::string local = three_hosts("isolate = \"a\"\n", "[[service]]\nname = \"here\"\ncommand = \"x\"\n");
  const auto d2 = diag(check(local), "runs on this machine");
  CHECK(d2.message.find("service 'here'") != std::string::npos);

  std::string named = three_hosts("isolate = \"a\"\n");
  named.replace(named.find("10.0.0.2"), 8, "db2.staging");
  const auto d3 = diag(check(named), "is a name");
  check_at(d3, value_of(named, "address = \"db2.staging\""));

  // Not involved, no refusal: a partition of a and b leaves h3's name alone.
  std::string other = three_hosts("groups = [[\"a\"], [\"b\"]]\n");
  other.replace(other.find("fd00::3"), 7, "h3.staging");
  CHECK(all_messages(check(other)) == "");
}
