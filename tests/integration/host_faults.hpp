// What the tests of faults on [[host]]s share (test_host_partition.cpp,
// test_fault_matrix_hosts.cpp): scenarios over the ssh test hosts
// (ssh_hosts.hpp), and reading a host's state back, both straight from its
// namespace (fast, for polling while a link is cut) and over ssh (the
// controller's view, for the final word).
#pragma once

#include <fmt/format.h>

#include <string>

#include "harness.hpp"
#include "ssh_hosts.hpp"

namespace itest {

/// A scenario over every host of `hosts`: a small HTTP server (python3) on
/// each, bound to its host's address on port 8080, and `fault` (a [[fault]]
/// table's text) at 50 ms.
inline std::string hosts_scenario(const SshHosts& hosts, const std::string& fault) {
  std::string text = "name = \"host-faults\"\nsteady_for = \"100ms\"\nwatch = \"100ms\"\ncool_down = \"0s\"\n"
                     "give_up_after = \"5s\"\n" +
                     hosts.toml_hosts();
  for (const auto& h : hosts.hosts())
    text += fmt::format(R"([[service]]
name = "web-{0}"
host = "{0}"
command = ["python3", "-m", "http.server", "8080", "--bind", "{1}", "--directory", "{{service.dir}}"]
stop_grace = "2s"
ready = {{ kind = "tcp", host = "{1}", port = 8080, timeout = "500ms" }}
ready_timeout = "20s"
)",
                        h.name, h.address);
  text += R"([[probe]]
name = "alive"
kind = "exec"
command = "true"
interval = "100ms"
)";
  return text + fault;
}

/// A partition isolating h1's service from the others' (`mode`: drop or reject).
inline std::string isolate_h1(const std::string& mode, const std::string& duration) {
  return fmt::format(R"([[fault]]
name = "split"
kind = "net.partition"
isolate = "web-h1"
mode = "{}"
at = "50ms"
duration = "{}"
)",
                     mode, duration);
}

/// The nft tables of host i whose name starts with "faultline_", read in
/// its namespace (no ssh: works while its link is cut); one a line.
inline std::string faultline_tables(const SshHosts& hosts, int i) {
  HostCommand r = hosts.run({"ip", "netns", "exec", hosts.host(i).netns, "nft", "list", "tables"});
  std::string out;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);)
    if (l.find(" faultline_") != std::string::npos) out += l + "\n";
  return out;
}

/// The same over ssh, with the count of the processes of guardians of run
/// `run_id` on the host (two each: its timer and its reader): "TABLES---N".
inline std::string host_state_over_ssh(const SshHosts& hosts, int i, const std::string& run_id) {
  // The hosts share this machine's pid namespace: a process is on this host
  // when its network namespace is the host's.
  HostCommand r = hosts.ssh(i, "nft list tables | grep ' faultline_'; echo ---; me=$(readlink /proc/self/ns/net); "
                               "for f in /proc/[0-9]*/cmdline; do [ \"$(readlink ${f%/cmdline}/ns/net 2>/dev/null)\" = \"$me\" ] && "
                               "tr '\\0' ' ' < $f 2>/dev/null | "
                               "grep -q '^/bin/sh -c : [f]aultline-guardian " + run_id + "' && echo $f; done | wc -l");
  return r.code == 0 ? r.out : "ssh failed: " + r.err;
}

/// The root namespace's end of host i's link (the veth peer of its eth0):
/// setting it down cuts the controller from the host, and nothing inside
/// the host changes.
inline std::string controller_end(const SshHosts& hosts, int i) {
  HostCommand r = hosts.run({"ip", "-n", hosts.host(i).netns, "-o", "link", "show", "eth0"});
  const auto at = r.out.find("@if");
  if (at == std::string::npos) return "";
  const std::string index = r.out.substr(at + 3, r.out.find(':', at) - at - 3);
  HostCommand all = hosts.run({"ip", "-o", "link", "show"});
  std::istringstream in(all.out);
  for (std::string l; std::getline(in, l);)
    if (l.starts_with(index + ": ")) return l.substr(index.size() + 2, l.find_first_of("@:", index.size() + 2) - index.size() - 2);
  return "";
}

/// The script that tells, for each of `addresses`, whether this host reaches
/// it with a real TCP connection made on the host itself (bash's /dev/tcp,
/// to port 22: every test host's sshd, there before and after a run), within
/// 2 s: "ADDRESS yes|no" lines.
inline std::string reach_script(const std::vector<std::string>& addresses) {
  std::string s;
  for (const auto& a : addresses)
    s += fmt::format("(timeout 2 bash -c '</dev/tcp/{0}/22' 2>/dev/null && echo '{0} yes' || echo '{0} no') & ", a);
  return s + "wait";
}

}  // namespace itest
