// process.restart of a service faultline started on a test host (issue 14):
// the clone stops it there through the identity-checked stop script (the
// group leader's /proc start time against its pid file before each
// signal), starts it again over the host's connection and awaits its ready
// probe, as locally; plan says so; nothing is left on the host after.
#include <doctest/doctest.h>

#include <fmt/format.h>
#include <string>

#include "harness.hpp"
#include "ssh_hosts.hpp"

using namespace itest;
using namespace std::chrono_literals;

TEST_CASE("remote process.restart: stopped (start time checked), started again over ssh, ready again; plan names it") {
  SshHosts::sweep_stale();
  SshHosts hosts(1);
  TempDir dir;
  const std::string addr = hosts.host(0).address;
  const std::string text = "name = \"restart\"\nsteady_for = \"100ms\"\nwatch = \"200ms\"\ncool_down = \"0s\"\n" +
                           hosts.toml_hosts() + fmt::format(R"([[service]]
name = "web"
host = "h1"
command = ["python3", "-u", "-m", "http.server", "8080", "--bind", "{0}", "--directory", "{{service.dir}}"]
stop_grace = "2s"
ready = {{ kind = "tcp", host = "{0}", port = 8080, timeout = "500ms" }}
ready_timeout = "20s"
[[probe]]
name = "web"
kind = "http"
host = "{0}"
port = 8080
interval = "50ms"
[[fault]]
name = "restart"
kind = "process.restart"
target = "web"
at = "50ms"
)",
                                                            addr);
  write_file(dir / "s.toml", text);
  Result plan = itest::faultline(dir, {"plan", (dir / "s.toml").string()});
  CHECK(plan.code == 0);
  CHECK(plan.out.find("on 'h1': fault 'restart': stop service 'web' (SIGTERM to its group, SIGKILL after 2s; its start "
                      "time checked before each signal), start it again, await its readiness") != std::string::npos);
  Result r = itest::faultline(dir, {"run", (dir / "s.toml").string(), "--out", (dir / "run").string()}, 120s);
  INFO(r.out, r.err);
  CHECK(r.code == 0);
  const auto rec = read_json(dir / "run" / "run.json");
  const std::string run_id(rec.at("run_id").as_string());
  int started = 0, ready = 0, stopped_by_identity = 0;
  for (const auto& e : rec.at("service_events").as_array()) {
    const std::string what(e.at("what").as_string()), detail(e.at("detail").as_string());
    if (what == "started" && detail.find("(ssh to host 'h1')") != std::string::npos) ++started;
    if (what == "ready") ++ready;
    // "stopped", not "gone": the pid file's start time matched the leader's.
    if (what == "stopped" && detail.starts_with("on host 'h1': stopped (")) ++stopped_by_identity;
  }
  CHECK(started == 2);              // the first start and the restart
  CHECK(ready == 2);
  CHECK(stopped_by_identity == 2);  // the restart's stop and the teardown's
  const auto& faults = rec.at("faults").as_array();
  REQUIRE(faults.size() == 1);
  const auto& f = faults[0].as_object();
  CHECK(f.at("ok").as_bool());
  // Inject start and return are both recorded: the round trips and the readiness wait lie between.
  CHECK(f.at("inject_start_ns").as_int64() < f.at("inject_ns").as_int64());
  HostCommand left = hosts.ssh(0, "ls -d /tmp/faultline-" + run_id + " 2>/dev/null; pgrep -f 'http[.]server 8080 --bind " +
                                      addr + "' || true");
  CHECK(left.code == 0);
  CHECK(left.out == "");
}
