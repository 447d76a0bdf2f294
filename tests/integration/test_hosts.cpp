// The test hosts of the multi-host drills (ssh_hosts.hpp), as root: three
// namespaces with a real sshd each come up; `ssh` reaches each one and the
// shell it opens really runs in that host's namespace with that host's
// address; the hosts reach each other; a stopped sshd refuses; and after
// teardown nothing of the fixture is left on the machine.
#include <doctest/doctest.h>

#include <thread>

#include <algorithm>

#include "harness.hpp"
#include "os/spawn.hpp"
#include "os/ssh.hpp"
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
    // The kernel deletes a namespace's veths asynchronously: give it 5 s.
    for (int i = 0; i < 50 && !(left = hosts.leftovers()).empty(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(left == "");
}

// ---------------------------------------------------------------- faultline against the test hosts

namespace {

/// The 1-based line of occurrence `n` of `needle` in `text`.
int line_of(const std::string& text, const std::string& needle, int n = 1) {
  std::size_t at = std::string::npos;
  for (int i = 0; i < n; ++i) at = text.find(needle, at == std::string::npos ? 0 : at + 1);
  REQUIRE(at != std::string::npos);
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

/// A scenario with the hosts' [[host]] tables and one small real HTTP server
/// (python3 -m http.server) on each host, listening on the host's address,
/// ready when the controller reaches it there; a steady-state probe of the
/// first one and a harmless exec fault.
/// `light`: the HTTP server on the first host only, a sleeping service (no
/// ready probe: one round trip each) on every other host.
std::string web_scenario(const SshHosts& hosts, bool light = false) {
  std::string text = "name = \"hosts\"\nsteady_for = \"100ms\"\nwatch = \"100ms\"\ncool_down = \"0s\"\n" +
                     hosts.toml_hosts();
  for (const auto& h : hosts.hosts()) {
    if (light && h.name != "h1") {
      text += fmt::format("[[service]]\nname = \"sleep-{0}\"\nhost = \"{0}\"\ncommand = \"exec sleep 600\"\n", h.name);
      continue;
    }
    text += fmt::format(R"([[service]]
name = "web-{0}"
host = "{0}"
command = ["python3", "-u", "-m", "http.server", "8080", "--bind", "{1}", "--directory", "{{service.dir}}"]
stop_grace = "2s"
ready = {{ kind = "tcp", host = "{1}", port = 8080, timeout = "500ms" }}
ready_timeout = "20s"
)",
                        h.name, h.address);
  }
  text += fmt::format(R"([[probe]]
name = "web"
kind = "http"
host = "{}"
port = 8080
interval = "50ms"
[[fault]]
name = "noop"
kind = "exec"
apply = "true"
at = "50ms"
)",
                      hosts.host(0).address);
  return text;
}

/// What a run left on the hosts and here: its directory or an http.server
/// on a host, an ssh process of this machine toward a host. "" = nothing.
std::string left_on_hosts(const SshHosts& hosts, const std::string& run_id) {
  std::string out;
  for (int i = 0; i < static_cast<int>(hosts.hosts().size()); ++i) {
    if (hosts.host(i).sshd_pid < 0) continue;  // a host the test stopped: nothing could reach it
    // The hosts share the machine's pid namespace (and /tmp) with every
    // other job on it: only processes in this host's network namespace count.
    HostCommand r = hosts.ssh(i, "ls -d /tmp/faultline-" + run_id +
                                     " 2>/dev/null; me=$(readlink /proc/self/ns/net); "
                                     "for p in $(pgrep -f 'http[.]server|sleep 60[0]'); do "
                                     "[ \"$(readlink /proc/$p/ns/net 2>/dev/null)\" = \"$me\" ] && echo $p; done; true");
    if (r.code != 0) out += hosts.host(i).name + ": ssh failed: " + r.err;
    else if (!r.out.empty()) out += hosts.host(i).name + ": " + r.out;
  }
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string cmd = read_file(e.path() / "cmdline");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.starts_with("ssh ") && cmd.find("ControlMaster=yes") != std::string::npos &&
        cmd.find(hosts.subnet().substr(0, hosts.subnet().size() - 4)) != std::string::npos)
      out += "master here: " + cmd + "\n";
  }
  return out;
}

std::string run_id_of(const fs::path& run_dir) {
  if (!fs::exists(run_dir / "run.json")) return "none";
  return std::string(read_json(run_dir / "run.json").at("run_id").as_string());
}

}  // namespace

TEST_CASE("remote services: started over ssh on each host, probed from here, logs back, stopped, nothing left") {
  SshHosts hosts(3);
  TempDir dir;
  write_file(dir / "s.toml", web_scenario(hosts));
  Result plan = itest::faultline(dir, {"plan", (dir / "s.toml").string()});
  CHECK(plan.code == 0);
  CHECK(plan.out.find("remote actions") != std::string::npos);
  CHECK(plan.out.find("connect to host 'h2': ssh root@" + hosts.host(1).address) != std::string::npos);
  CHECK(plan.out.find("on 'h3': start service 'web-h3'") != std::string::npos);
  Result r = itest::faultline(dir, {"run", (dir / "s.toml").string(), "--out", (dir / "run").string()});
  INFO(r.out, r.err);
  CHECK(r.code == 0);
  const auto rec = read_json(dir / "run" / "run.json");
  const std::string run_id(rec.at("run_id").as_string());
  int started = 0, stopped = 0;
  for (const auto& e : rec.at("service_events").as_array()) {
    const std::string what(e.at("what").as_string()), detail(e.at("detail").as_string());
    if (what == "started" && detail.find("(ssh to host 'h") != std::string::npos) ++started;
    if (what == "stopped" && detail.find(": stopped (") != std::string::npos) ++stopped;
  }
  CHECK(started == 3);
  CHECK(stopped == 3);
  // The service's own output came back over ssh: python logs each request on stderr.
  CHECK(read_file(dir / "run" / "logs" / "web-h1.log").find("\"GET / HTTP/1.1\" 200") != std::string::npos);
  CHECK(read_file(dir / "run" / "logs" / "web-h2.log").find("Serving HTTP on " + hosts.host(1).address) !=
        std::string::npos);
  CHECK(left_on_hosts(hosts, run_id) == "");
}

TEST_CASE("bad hosts: a stopped sshd, an unknown host key, a refused key: exit 3 before anything starts, one line naming the host and its [[host]]") {
  SshHosts hosts(2);
  TempDir dir;
  auto attempt = [&](const std::string& text, const std::string& host, int nth, const std::string& why) {
    write_file(dir / "s.toml", text);
    fs::remove_all(dir / "run");
    Result r = itest::faultline(dir, {"run", (dir / "s.toml").string(), "--out", (dir / "run").string()});
    INFO(r.out, r.err);
    CHECK(r.code == 3);
    const std::string where = fmt::format("host '{}' ({}:{}:", host, (dir / "s.toml").string(), line_of(text, "[[host]]", nth));
    CHECK(r.err.find(where) != std::string::npos);
    CHECK(r.err.find(why) != std::string::npos);
    if (fs::exists(dir / "run" / "run.json"))
      CHECK(read_json(dir / "run" / "run.json").at("service_events").as_array().empty());
    CHECK(left_on_hosts(hosts, run_id_of(dir / "run")) == "");
  };
  // An unknown host key (h2's key missing from the known_hosts file).
  std::string text = web_scenario(hosts);
  const std::string kh = hosts.known_hosts().string();
  const std::string without = hosts.known_hosts_without(1).string();
  std::string unknown = text;
  unknown.replace(unknown.rfind(kh), kh.size(), without);
  attempt(unknown, "h2", 2, "Host key verification failed");
  // A key the host refuses.
  std::string refused = text;
  const std::string key = hosts.client_key().string();
  refused.replace(refused.find(key), key.size(), hosts.stranger_key().string());
  attempt(refused, "h1", 1, "Permission denied");
  // A host whose sshd is down.
  hosts.stop_sshd(1);
  attempt(text, "h2", 2, "Connection refused");
  hosts.start_sshd(1);
  // A missing identity file is known without connecting: exit 2 at validation.
  std::string missing = text;
  missing.replace(missing.find(key), key.size(), key + ".missing");
  write_file(dir / "s.toml", missing);
  Result v = itest::faultline(dir, {"validate", (dir / "s.toml").string()});
  CHECK(v.code == 2);
  CHECK(v.err.find(fmt::format("{}:{}:", (dir / "s.toml").string(), line_of(missing, ".missing"))) != std::string::npos);
  CHECK(v.err.find("host 'h1': identity file") != std::string::npos);
}

TEST_CASE("doctor --hosts: one line per finding and host; an unreachable host says why") {
  SshHosts hosts(2);
  TempDir dir;
  const std::string text = web_scenario(hosts);
  write_file(dir / "s.toml", text);
  Result r = itest::faultline(dir, {"doctor", "--hosts", (dir / "s.toml").string()});
  INFO(r.out, r.err);
  CHECK((r.code == 0 || r.code == 3));
  for (const auto& h : hosts.hosts()) {
    const std::string at = fmt::format("host '{}' ({}:{}:", h.name, (dir / "s.toml").string(),
                                       line_of(text, "[[host]]", h.name == "h1" ? 1 : 2));
    for (const char* what : {"reachable: yes", "root: yes", "nft: ", "tc: ", "netem: ", "setsid: yes", "kernel: yes"}) {
      bool found = false;
      std::istringstream lines(r.out);
      for (std::string l; std::getline(lines, l);)
        found = found || (l.starts_with(at) && l.find("): " + std::string(what)) != std::string::npos);
      CHECK_MESSAGE(found, h.name, " ", what);
    }
  }
  CHECK(r.out.find("reachable: yes") != std::string::npos);
  CHECK(r.out.find("setsid: yes") != std::string::npos);
  hosts.stop_sshd(0);
  Result down = itest::faultline(dir, {"doctor", "--hosts", (dir / "s.toml").string()});
  CHECK(down.code == 3);
  CHECK(down.out.find("host 'h1'") != std::string::npos);
  CHECK(down.out.find("reachable: NO (ssh root@" + hosts.host(0).address) != std::string::npos);
  CHECK(down.out.find("Connection refused") != std::string::npos);
}

TEST_CASE("SshMaster and SshShell against a real sshd: one master, scripts through it, closed to nothing") {
  SshHosts hosts(1);
  faultline::ControlDir control;
  faultline::SshTarget t;
  t.name = "h1";
  t.address = hosts.host(0).address;
  t.user = "root";
  t.identity = hosts.client_key();
  t.known_hosts = hosts.known_hosts();
  t.control_path = control.socket(0);
  t.connect_timeout_s = 5;
  pid_t master_pid = -1;
  {
    faultline::SshMaster m(t, control.path() / "log");
    std::string why;
    REQUIRE_MESSAGE(m.open(std::chrono::seconds(10), why), why);
    master_pid = m.pid();
    CHECK(m.check());
    faultline::SshShell sh(t);
    auto out = faultline::run_sync(sh.argv("ip netns identify $$; printf %s \"it's\""), std::chrono::seconds(10));
    CHECK(out.status.success());
    CHECK(out.output == hosts.host(0).netns + "\nit's");
    CHECK(faultline::run_sync(sh.argv("exit 7"), std::chrono::seconds(10)).status.code == 7);
    m.close();
    CHECK_FALSE(m.check());
    CHECK_FALSE(fs::exists(t.control_path));
  }
  CHECK_FALSE(process_exists(master_pid));
  // A refused key and an unknown host key fail with ssh's own words, leaving nothing.
  faultline::SshTarget stranger = t;
  stranger.identity = hosts.stranger_key();
  faultline::SshMaster refused(stranger, control.path() / "log2");
  std::string why;
  CHECK_FALSE(refused.open(std::chrono::seconds(10), why));
  CHECK(why.find("Permission denied") != std::string::npos);
  faultline::SshTarget unknown = t;
  unknown.known_hosts = hosts.known_hosts_without(0);
  faultline::SshMaster unverified(unknown, control.path() / "log3");
  CHECK_FALSE(unverified.open(std::chrono::seconds(10), why));
  CHECK(why.find("Host key verification failed") != std::string::npos);
}

TEST_CASE("20 hosts: bring-up, a remote service on each, a drill, teardown, nothing left on any host") {
  const auto t0 = std::chrono::steady_clock::now();
  std::string left;
  {
    SshHosts hosts(20);
    MESSAGE("20 test hosts up in " << std::chrono::duration<double>(hosts.bring_up_time()).count() << " s");
    TempDir dir;
    write_file(dir / "s.toml", web_scenario(hosts, true));
    const auto r0 = std::chrono::steady_clock::now();
    Result r = itest::faultline(dir, {"run", (dir / "s.toml").string(), "--out", (dir / "run").string()});
    MESSAGE("faultline run over 20 hosts took " << std::chrono::duration<double>(std::chrono::steady_clock::now() - r0).count()
                                                << " s");
    INFO(r.out, r.err);
    CHECK(r.code == 0);
    int started = 0;
    const auto rec = read_json(dir / "run" / "run.json");
    for (const auto& e : rec.at("service_events").as_array())
      if (e.at("what").as_string() == "started") ++started;
    CHECK(started == 20);
    CHECK(left_on_hosts(hosts, run_id_of(dir / "run")) == "");
    hosts.teardown();
    // The kernel deletes a namespace's veths asynchronously: give it 5 s.
    for (int i = 0; i < 50 && !(left = hosts.leftovers()).empty(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(left == "");
  MESSAGE("whole case " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s");
}
