// exec with `host = "NAME"` on a test host (issue 14): apply and revert run
// on that host (the shell they run in is in the host's network namespace,
// read back with `ip netns identify`), over the run's connection; a
// guardian holds the revert while the fault is applied; the run-level
// guardian_lease is what plan shows and what the guardian is given; inject
// start and return are recorded; nothing is left on the host.
#include <doctest/doctest.h>

#include <fmt/format.h>
#include <string>

#include "harness.hpp"
#include "ssh_hosts.hpp"

using namespace itest;
using namespace std::chrono_literals;

TEST_CASE("remote exec: apply and revert run on the host, a guardian holds the revert, plan shows the lease") {
  SshHosts::sweep_stale();
  SshHosts hosts(1);
  TempDir dir;
  const std::string mark = (dir / "mark").string();  // the hosts share this machine's files
  const std::string text = "name = \"exec\"\nsteady_for = \"100ms\"\nwatch = \"100ms\"\ncool_down = \"0s\"\n"
                           "guardian_lease = \"2s\"\n" +
                           hosts.toml_hosts() + fmt::format(R"([[probe]]
name = "alive"
kind = "exec"
command = "true"
interval = "50ms"
[[fault]]
name = "flip"
kind = "exec"
host = "h1"
apply = "ip netns identify $$ > {0}.apply"
revert = "ip netns identify $$ > {0}.revert; test -s {0}.apply"
at = "50ms"
duration = "300ms"
timeout = "10s"
)",
                                                            mark);
  write_file(dir / "s.toml", text);
  Result plan = itest::faultline(dir, {"plan", (dir / "s.toml").string()});
  CHECK(plan.code == 0);
  CHECK(plan.out.find("every guardian's lease 2s, renewed every 666ms") != std::string::npos);
  CHECK(plan.out.find("on 'h1': fault 'flip': leave a guardian holding `ip netns identify $$ > " + mark + ".revert") !=
        std::string::npos);
  Result r = itest::faultline(dir, {"run", (dir / "s.toml").string(), "--out", (dir / "run").string()}, 120s);
  INFO(r.out, r.err);
  CHECK(r.code == 0);
  CHECK(read_file(mark + ".apply") == hosts.host(0).netns + "\n");
  CHECK(read_file(mark + ".revert") == hosts.host(0).netns + "\n");
  const auto rec = read_json(dir / "run" / "run.json");
  const std::string run_id(rec.at("run_id").as_string());
  const auto& faults = rec.at("faults").as_array();
  REQUIRE(faults.size() == 1);
  const auto& f = faults[0].as_object();
  CHECK(f.at("ok").as_bool());
  CHECK(f.at("inject_start_ns").as_int64() < f.at("inject_ns").as_int64());
  CHECK(f.at("revert_start_ns").as_int64() < f.at("revert_ns").as_int64());
  // A guardian was left for the revert: its log (the revert's stderr) is in the run's logs.
  bool guardian = false;
  for (const auto& e : fs::directory_iterator(dir / "run" / "logs"))
    guardian = guardian || e.path().filename().string().starts_with("guardian-");
  CHECK(guardian);
  HostCommand left = hosts.ssh(0, "ls -d /tmp/faultline-" + run_id + " 2>/dev/null; pgrep -f 'faultline-guardia[n] " + run_id +
                                      "' || true");
  CHECK(left.code == 0);
  CHECK(left.out == "");
}
