// What the tests of delays and limits across [[host]]s share
// (test_host_qdisc.cpp, test_fault_matrix_hosts.cpp): the fault's text,
// reading a host's qdiscs back (straight from its namespace, which works
// while its link is cut, and over ssh, the controller's view), and a real
// TCP transfer between two hosts (or a host and the controller) measured at
// the receiver.
#pragma once

#include <fmt/format.h>
#include <unistd.h>

#include <sstream>
#include <string>

#include "harness.hpp"
#include "ssh_hosts.hpp"

namespace itest {

/// A net.bandwidth fault on web-h1 (host_faults.hpp's scenario) at 50 ms.
inline std::string limit_h1(const std::string& rate, const std::string& direction, const std::string& duration) {
  return fmt::format(R"([[fault]]
name = "narrow"
kind = "net.bandwidth"
target = "web-h1"
rate = "{}"
direction = "{}"
at = "50ms"
duration = "{}"
)",
                     rate, direction, duration);
}

/// A net.latency fault on web-h1 at 50 ms.
inline std::string delay_h1(const std::string& latency, const std::string& duration) {
  return fmt::format(R"([[fault]]
name = "slow"
kind = "net.latency"
target = "web-h1"
latency = "{}"
at = "50ms"
duration = "{}"
)",
                     latency, duration);
}

/// The qdiscs of host i a run made (htb, tbf, netem: the test hosts have
/// none of their own), read in its namespace (no ssh); one a line.
inline std::string run_qdiscs(const SshHosts& hosts, int i) {
  HostCommand r = hosts.run({"tc", "-n", hosts.host(i).netns, "qdisc", "show"});
  std::string out;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);)
    if (l.starts_with("qdisc htb ") || l.starts_with("qdisc tbf ") || l.starts_with("qdisc netem ")) out += l + "\n";
  return out;
}

/// The same over ssh: "ssh failed: ..." when it fails.
inline std::string run_qdiscs_over_ssh(const SshHosts& hosts, int i) {
  HostCommand r = hosts.ssh(i, "tc qdisc show | grep -E '^qdisc (htb|tbf|netem) '; true");
  return r.code == 0 ? r.out : "ssh failed: " + r.err;
}

/// A measured TCP transfer.
struct Transfer {
  long bytes = 0;
  double seconds = 0;  ///< first byte to end-of-file, at the receiver
  std::string error;
  double rate() const { return seconds > 0 ? static_cast<double>(bytes) / seconds : 0; }
};

/// Sends `bytes` over one TCP connection from namespace `from_ns` ("" =
/// the controller's) to `to_address`, whose receiver runs in `to_ns` ("" =
/// the controller's), and measures at the receiver.
inline Transfer transfer(const SshHosts& hosts, const std::string& from_ns, const std::string& to_ns,
                         const std::string& to_address, long bytes) {
  static int seq = 0;
  const int port = 20000 + (::getpid() * 7 + ++seq) % 20000;
  auto in_ns = [](const std::string& ns) { return ns.empty() ? std::string() : "ip netns exec " + ns + " "; };
  const std::string recv = fmt::format(
      "import socket,time\n"
      "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind(('{0}',{1})); s.listen(1)\n"
      "s.settimeout(20); c,_=s.accept(); c.settimeout(20); n=0; t0=None\n"
      "while True:\n"
      "  b=c.recv(65536)\n"
      "  if not b: break\n"
      "  if t0 is None: t0=time.monotonic()\n"
      "  n+=len(b)\n"
      "print(n, time.monotonic()-t0)\n",
      to_address, port);
  const std::string send = fmt::format(
      "import socket,time\n"
      "for i in range(100):\n"
      "  try: s=socket.create_connection(('{0}',{1}),5); break\n"
      "  except OSError: time.sleep(0.05)\n"
      "s.sendall(b'x'*{2}); s.shutdown(socket.SHUT_WR); s.recv(1); s.close()\n",
      to_address, port, bytes);
  HostCommand r = hosts.run({"sh", "-c",
                             in_ns(to_ns) + "python3 -c \"$0\" & " + in_ns(from_ns) + "python3 -c \"$1\"; wait", recv,
                             send},
                            std::chrono::seconds(40));
  Transfer t;
  std::istringstream out(r.out);
  if (!(out >> t.bytes >> t.seconds)) t.error = "no measurement (exit " + std::to_string(r.code) + "): " + r.err;
  return t;
}

}  // namespace itest
