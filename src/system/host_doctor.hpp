// `faultline doctor --hosts SCENARIO`: what each declared [[host]] offers a
// drill, found by connecting and trying (docs/distributed.md): reachable
// over ssh (else ssh's own message), privileges (root, or `sudo -n` when the
// host says sudo = true), nft, tc, the netem qdisc (sch_netem built in,
// loaded or installed as a module), setsid, and the kernel version. One
// connection per host, one round trip for every check, nothing changed.
#pragma once

#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace faultline {

/// One finding about one host.
struct HostFinding {
  std::string host;
  std::string what;    ///< "reachable", "root", "sudo -n", "nft", "tc", "netem", "setsid", "kernel"
  bool ok = false;
  std::string detail;  ///< how it was found, or why not
};

/// The script that reports every check as KEY=VALUE lines.
std::string doctor_script(bool sudo);

/// The findings of one host from what doctor_script printed (after it was reached).
std::vector<HostFinding> parse_doctor(const HostSpec& h, const std::string& output);

/// Connects to every host of `s` (each at once) and checks it.
std::vector<HostFinding> check_hosts_live(const Scenario& s);

/// One line per finding: "host 'NAME' (FILE:LINE:COL): WHAT: yes|NO (DETAIL)".
std::string render_host_findings(const Scenario& s, const std::vector<HostFinding>& f);

}  // namespace faultline
