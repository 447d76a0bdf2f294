// The fault matrix's scenarios, shared by the matrix (test_fault_matrix.cpp)
// and its exhaustion column (test_fault_matrix_exhaustion.cpp): two services
// and one probe, with one [[fault]] named "f".
//   links:      `app` the flaky server on {port.app}, `client` a sleep, the
//               link `front` from client to app (protocol = "http" for an
//               http.* fault; the app with --date, a Date header read
//               from libc's clock, for clock.skew), an HTTP probe through it;
//   namespaces: `app` a redis-server on {addr.app}, `client` a sleep, a TCP
//               probe of redis.
// Both services ignore SIGHUP, as servers that reload on it do: when the
// harness is SIGKILLed their process groups are orphaned and the kernel
// sends them SIGHUP (and SIGCONT when stopped), which they survive. Only the
// watchdog or cleanup can stop them then.
#pragma once

#include <fmt/format.h>

#include <string>

#include "harness.hpp"

namespace itest {

/// The [[fault]] table of one cell: kind `kind` held for 5 minutes (20 ms
/// when the cell's moment is "revert", so that the revert comes at once),
/// then `keys` with every "{mark}" replaced by `mark`.
inline std::string matrix_fault(const std::string& kind, const std::string& moment, std::string keys,
                                const fs::path& mark) {
  for (auto at = keys.find("{mark}"); at != std::string::npos; at = keys.find("{mark}")) keys.replace(at, 6, mark.string());
  return fmt::format("[[fault]]\nname = \"f\"\nkind = \"{}\"\nduration = \"{}\"\n{}\n", kind,
                     moment == "revert" ? "20ms" : "5m", keys);
}

/// The scenario `name` (links), or `name`-ns (namespaces), with `fault`
/// (matrix_fault) at its end.
inline std::string matrix_scenario(const std::string& name, bool namespaces, const std::string& fault) {
  if (namespaces)
    return "name = \"" + name + R"(-ns"
network = "namespaces"
steady_for = "30ms"
steady_timeout = "20s"
[[service]]
name = "app"
command = ["sh", "-c", "trap '' HUP; exec redis-server --bind {addr.app} --port 6379 --save '' --appendonly no --protected-mode no"]
ready = { kind = "tcp", host = "{addr.app}", port = 6379 }
[[service]]
name = "client"
command = "trap '' HUP; exec sleep 300"
[[probe]]
name = "redis"
kind = "tcp"
host = "{addr.app}"
port = 6379
interval = "10ms"
timeout = "500ms"
)" + fault;
  return "name = \"" + name + R"("
steady_for = "30ms"
steady_timeout = "20s"
[[service]]
name = "app"
command = "trap '' HUP; )" +
         // A sanitized flaky server refuses to start with libfaketime
         // preloaded ahead of ASan's runtime unless told not to check.
         (fault.find("kind = \"clock.skew\"") != std::string::npos
              ? "export ASAN_OPTIONS=$ASAN_OPTIONS:verify_asan_link_order=0; "
              : "") +
         "exec " + flaky_server_bin() + " --port {port.app}" +
         // clock.skew needs a server that reads the wall clock (through libc,
         // where libfaketime replaces it): the flaky server does for the Date
         // header it sends with --date, and reads no clock at all without it.
         (fault.find("kind = \"clock.skew\"") != std::string::npos ? " --date" : "") + R"("
ports = ["app"]
[service.ready]
kind = "tcp"
port = "{port.app}"
[[service]]
name = "client"
command = "trap '' HUP; exec sleep 300"
[[link]]
name = "front"
to = "127.0.0.1:{port.app}"
from = ["client"]
)" + (fault.find("kind = \"http.") != std::string::npos ? "protocol = \"http\"\n" : "") + R"([[probe]]
name = "http"
kind = "http"
port = "{link.front}"
interval = "10ms"
timeout = "500ms"
)" + fault;
}

}  // namespace itest
