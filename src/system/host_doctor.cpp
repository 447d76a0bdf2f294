// The checks of `faultline doctor --hosts` (see host_doctor.hpp).
#include "system/host_doctor.hpp"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "os/spawn.hpp"
#include "os/ssh.hpp"
#include "system/remote_service.hpp"

namespace faultline {

using namespace std::chrono_literals;

std::string doctor_script(bool sudo) {
  // Tools in /usr/sbin are outside a user's PATH on Debian: look there too.
  std::string s =
      "PATH=$PATH:/usr/sbin:/sbin; export PATH\n"
      "echo uid=$(id -u)\n"
      "echo kernel=$(uname -r)\n"
      "for t in nft tc setsid; do p=$(command -v $t 2>/dev/null) && echo $t=$p || echo $t=; done\n"
      "if [ -d /sys/module/sch_netem ]; then echo netem=loaded\n"
      "elif ls /lib/modules/$(uname -r)/kernel/net/sched/sch_netem.ko* >/dev/null 2>&1; then echo netem=module\n"
      "elif grep -q sch_netem /lib/modules/$(uname -r)/modules.builtin 2>/dev/null; then echo netem=builtin\n"
      "else echo netem=; fi\n";
  if (sudo) s += "if sudo -n true 2>/dev/null; then echo sudo=yes; else echo sudo=; fi\n";
  return s;
}

std::vector<HostFinding> parse_doctor(const HostSpec& h, const std::string& output) {
  std::map<std::string, std::string> kv;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line))
    if (auto eq = line.find('='); eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  std::vector<HostFinding> out;
  auto add = [&](std::string what, bool ok, std::string detail) {
    out.push_back({h.name, std::move(what), ok, std::move(detail)});
  };
  const bool root = kv["uid"] == "0";
  if (h.sudo)
    add("sudo -n", root || !kv["sudo"].empty(), root ? "not needed: the user is root" : !kv["sudo"].empty() ? "works"
                                                 : "`sudo -n true` fails: privileged actions are impossible");
  else
    add("root", root, root ? "uid 0" : fmt::format("uid {}: set sudo = true, or connect as root", kv["uid"]));
  for (const char* t : {"nft", "tc", "setsid"})
    add(t, !kv[t].empty(), kv[t].empty() ? std::string("not found: ") +
                                               (std::string(t) == "nft"     ? "net.partition on this host is impossible"
                                                : std::string(t) == "tc"    ? "net.latency and net.bandwidth are impossible"
                                                                            : "remote services cannot start")
                                         : kv[t]);
  add("netem", !kv["netem"].empty(),
      kv["netem"].empty() ? "sch_netem is neither loaded, built in nor installed: net.latency is impossible"
                          : "sch_netem " + kv["netem"]);
  add("kernel", !kv["kernel"].empty(), kv["kernel"].empty() ? "uname -r printed nothing" : kv["kernel"]);
  return out;
}

std::vector<HostFinding> check_hosts_live(const Scenario& s) {
  std::vector<HostFinding> out;
  ControlDir control;
  std::vector<std::unique_ptr<SshMaster>> masters;
  std::vector<std::string> failed(s.hosts.size());
  for (std::size_t i = 0; i < s.hosts.size(); ++i) {
    SshTarget t = ssh_target(s, s.hosts[i]);
    t.control_path = control.socket(i);
    masters.push_back(std::make_unique<SshMaster>(t, control.path() / ("log-" + std::to_string(i))));
    masters.back()->launch(failed[i]);
  }
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  std::vector<bool> up(s.hosts.size(), false);
  for (bool pending = true; pending;) {
    pending = false;
    for (std::size_t i = 0; i < masters.size(); ++i) {
      if (up[i] || !failed[i].empty()) continue;
      const auto st = masters[i]->poll(failed[i]);
      up[i] = st == SshMaster::State::up;
      pending = pending || st == SshMaster::State::connecting;
    }
    if (pending && std::chrono::steady_clock::now() >= deadline) {
      for (std::size_t i = 0; i < masters.size(); ++i)
        if (!up[i] && failed[i].empty()) failed[i] = "no connection within 20s";
      break;
    }
    if (pending) std::this_thread::sleep_for(20ms);  // each master's socket appears once authenticated
  }
  for (std::size_t i = 0; i < s.hosts.size(); ++i) {
    const HostSpec& h = s.hosts[i];
    const std::string dest = ssh_destination(masters[i]->target());
    if (!up[i]) {
      out.push_back({h.name, "reachable", false, fmt::format("ssh {}: {}", dest, failed[i])});
      continue;
    }
    out.push_back({h.name, "reachable", true, "ssh " + dest});
    SshShell sh(masters[i]->target());
    auto r = run_sync(sh.argv(doctor_script(h.sudo)), 30s);
    auto more = parse_doctor(h, r.output);
    out.insert(out.end(), more.begin(), more.end());
    masters[i]->close();
  }
  return out;
}

std::string render_host_findings(const Scenario& s, const std::vector<HostFinding>& f) {
  std::string out;
  for (const auto& x : f) {
    const HostSpec* h = find_host(s, x.host);
    const SourcePos p = h ? h->pos : SourcePos{};
    out += fmt::format("host '{}' ({}:{}:{}): {}: {} ({})\n", x.host, p.file.empty() ? s.file : p.file, p.line,
                       p.column, x.what, x.ok ? "yes" : "NO", x.detail);
  }
  return out;
}

}  // namespace faultline
