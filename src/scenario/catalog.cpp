// The key catalog. scenarios/README.md documents the same table by hand;
// tests/unit/scenario/test_catalog.cpp checks that every key here appears
// there and that the defaults written here are the ones the parser applies.
// The keys of each fault kind are in the kind's descriptor (fault_kind.hpp),
// in the kind's own file; fault_kinds() gathers them.
#include "scenario/catalog.hpp"

#include <algorithm>

#include "scenario/fault_kind.hpp"

namespace faultline {

const std::vector<KeySpec>& top_level_keys() {
  static const std::vector<KeySpec> keys = {
      {"name", "string", "", "scenario name, shown in plans and reports", true},
      {"description", "string", "", "free text for people", false},
      {"seed", "integer", "", "seed for every random choice (fault windows); >= 0; absent = the run picks one and prints it", false},
      {"iterations", "integer", "1", "how many times to run the fault schedule; >= 1", false},
      {"steady_for", "duration", "1s", "every steady-state probe must be healthy this long before each iteration", false},
      {"steady_timeout", "duration", "30s", "give up waiting for steady state after this long (run is inconclusive, exit 3); > 0", false},
      {"recovered_after", "samples, duration or table", "3",
       "when a run of ok samples counts as recovered: an integer >= 1 (consecutive ok samples), a duration "
       "(1 sample lasting that long), or { samples = N, duration = \"D\" }",
       false},
      {"watch", "duration", "2s", "after recovery, a new outage within this window is a relapse; >= 0", false},
      {"give_up_after", "duration", "30s", "recovery deadline, counted from injection; > 0", false},
      {"cool_down", "duration", "1s", "pause between iterations; >= 0", false},
      {"network", "string", "links",
       "how services reach each other: \"links\" (through [[link]]s, faultline's TCP proxies on loopback; no "
       "privileges) or \"namespaces\" (each host in its own network namespace with its own address, {addr.SERVICE}; "
       "net.partition, net.bandwidth and net.latency act in the kernel; needs root, see `faultline doctor`)",
       false},
      {"subnet", "string", "10.77.0.0/24",
       "network = \"namespaces\": the IPv4 range (prefix /8 to /30) the run's addresses come from: the hub gets the "
       "first address, the hosts the next ones; they exist only inside the run's namespaces",
       false},
      {"service", "array of tables", "", "[[service]]: a process of the staging clone", false},
      {"link", "array of tables", "", "[[link]]: a TCP proxy between services, where net.* faults act", false},
      {"probe", "array of tables", "", "[[probe]]: a steady-state probe", false},
      {"fault", "array of tables", "", "[[fault]]: a fault to inject in every iteration", false},
      {"setup", "array of tables", "", "[[setup]]: a command run before the faults of every iteration", false},
      {"verify", "array of tables", "", "[[verify]]: a command run after recovery in every iteration", false},
      {"recovery", "array of tables", "", "[[recovery]]: a runbook step, run in order while the fault is in effect", false},
      {"workload", "array of tables", "", "[[workload]]: sequenced writes through every iteration, then a read that counts lost acknowledged writes", false},
      {"thresholds", "table", "", "[thresholds]: recovery objectives, each a pass/fail verdict", false},
      {"guard", "array of tables", "",
       "[[guard]]: a probe of something that must never break (same keys as [[probe]] but steady_state); its "
       "first failed sample aborts the run, which reverts every fault and fails (exit 1)",
       false},
      {"max_duration", "duration", "",
       "bounds the whole run, from starting the clone to the end of the last iteration; when reached the run "
       "aborts, reverts every fault and is inconclusive (exit 3); > 0; absent = unbounded",
       false},
      {"host", "array of tables", "",
       "[[host]]: a machine drilled over OpenSSH, where services naming it run (docs/distributed.md)", false},
      {"guardian_lease", "duration", "5s",
       "the lease of each guardian left on a [[host]]: a lost controller's remote faults are reverted by the hosts "
       "within it; renewed every third of it; 1s..10m; only with [[host]]",
       false},
      {"strategy", "array of tables", "",
       "[[strategy]]: a way of recovering, compared with the others on the same fault; every iteration runs "
       "once per strategy, in seeded shuffled blocks",
       false},
      {"confidence", "percent", "95%",
       "confidence of the strategies' comparison (bootstrap interval of the difference of medians); above 0%, below 100%",
       false},
      {"max_secondary_outage_rate", "percent", "0%",
       "a strategy ranks only when at most this share of its iterations had a secondary outage (a relapse, or a "
       "new episode after its runbook started)",
       false},
      {"vars", "table of strings", "",
       "[vars]: named strings, each usable as {var.NAME} in every string value of the scenario (a var may use "
       "other vars, not itself through any chain)",
       false},
  };
  return keys;
}

const std::vector<KeySpec>& strategy_keys() {
  static const std::vector<KeySpec> keys = {
      {"name", "string", "", "unique strategy name (letters, digits, '-', '_'); --strategies selects by it", true},
      {"description", "string", "", "what the strategy does, for the reports", false},
      {"recovery", "array of tables", "", "[[strategy.recovery]]: its runbook steps (the keys of [[recovery]])", false},
      {"verify", "array of tables", "",
       "[[strategy.verify]]: its checks after recovery, after the top-level [[verify]] (the keys of [[verify]])", false},
      {"thresholds", "table", "", "[strategy.thresholds]: objectives over its own iterations (the keys of [thresholds])",
       false},
  };
  return keys;
}

const std::vector<KeySpec>& service_keys() {
  static const std::vector<KeySpec> keys = {
      {"name", "string", "", "unique service name: letters, digits, '_' and '-'", true},
      {"command", "command", "",
       "a string (shell line, run with /bin/sh -c) or a non-empty array of strings (argv, argv[0] looked up in PATH)",
       true},
      {"env", "table of strings", "", "environment variables added to the inherited environment", false},
      {"workdir", "string", "", "working directory; default: the service's own directory in the run directory ({service.dir})", false},
      {"ports", "array of strings", "",
       "port names; each declares {port.NAME}, bound to a free loopback port at run time; unique in the scenario",
       false},
      {"ready", "probe", "",
       "readiness probe: a table with 'kind' and that kind's keys, 'interval' (default 50ms) and 'timeout' "
       "(default 1s, or the interval if longer); "
       "absent = ready once spawned",
       false},
      {"ready_timeout", "duration", "10s", "how long to wait for the ready probe to pass; > 0", false},
      {"restart", "string", "never", "restart policy: \"never\", \"on-failure\" or \"always\"", false},
      {"backoff", "duration", "100ms", "first restart delay, doubled per consecutive restart; > 0", false},
      {"backoff_max", "duration", "5s", "cap of the restart delay; >= backoff", false},
      {"stop_signal", "signal", "SIGTERM", "signal sent to the process group at teardown: a name (\"SIGTERM\", \"TERM\") or 1..64", false},
      {"stop_grace", "duration", "5s", "time between the stop signal and SIGKILL; >= 0", false},
      {"depends_on", "array of strings", "", "services started (and ready) before this one", false},
      {"host", "string", "",
       "with [[host]] tables: the declared host the service runs on, over SSH (default: this machine); "
       "network = \"namespaces\": the host (network namespace) to run in; services naming the same host share "
       "it and its address; default: a host of its own, named after the service",
       false},
      {"attach", "attach", "",
       "a service that already runs on its [[host]], never started or stopped by faultline: "
       "{ systemd = \"UNIT\" }, { pidfile = \"PATH\" } or { match = \"REGEX\" } (on the command line); "
       "then no 'command' and restart = \"never\"",
       false},
  };
  return keys;
}

const std::vector<KeySpec>& host_keys() {
  static const std::vector<KeySpec> keys = {
      {"name", "string", "", "unique host name: letters, digits, '_' and '-'; what a service's 'host' names", true},
      {"address", "string", "", "what ssh connects to: a host name (or an alias of the ssh_config) or an IP address", true},
      {"user", "string", "", "the remote user; default: ssh's (the ssh_config's, else the local user)", false},
      {"port", "integer", "", "the SSH port, 1..65535; default: ssh's (the ssh_config's, else 22)", false},
      {"identity", "string", "", "private key file (ssh -i); a path only, never a key; default: ssh's", false},
      {"ssh_config", "string", "", "ssh configuration file (ssh -F); default: the user's ~/.ssh/config", false},
      {"known_hosts", "string", "",
       "known_hosts file holding the host's key (checked: StrictHostKeyChecking=yes); default: ssh's", false},
      {"sudo", "bool", "false", "privileged actions (nft, tc, signals to others' processes) through `sudo -n`", false},
  };
  return keys;
}

const std::vector<KeySpec>& link_keys() {
  static const std::vector<KeySpec> keys = {
      {"name", "string", "", "unique link name: letters, digits, '_' and '-'; declares {link.NAME}, the loopback port the link listens on", true},
      {"to", "address", "",
       "where the link forwards to: \"HOST:PORT\", HOST a loopback address (127.x.x.x, ::1 in brackets, localhost), "
       "PORT a number or a placeholder such as \"127.0.0.1:{port.redis}\"",
       true},
      {"service", "string", "",
       "the service that owns the port in 'to'; default: the service declaring the {port.NAME} that 'to' uses", false},
      {"from", "array of strings", "",
       "the services that connect through this link (for net.partition); empty = clients unknown, never cut", false},
      {"protocol", "string", "",
       "\"tcp\" (bytes, unframed; the default) or \"http\" (HTTP/1.1 messages are framed, so http.* faults apply; unmatched traffic passes "
       "byte for byte)",
       false},
  };
  return keys;
}

const std::vector<KeySpec>& probe_common_keys() {
  static const std::vector<KeySpec> keys = {
      {"name", "string", "", "unique probe name (a service's ready probe is named after the service)", true},
      {"kind", "string", "", "\"tcp\", \"http\" or \"exec\"", true},
      {"interval", "duration", "100ms",
       "fixed probing rate: tick k at start + k * interval; > 0 (a ready probe defaults to 50ms)", false},
      {"timeout", "duration", "",
       "time limit of one probe execution; > 0; default: the interval (a ready probe: 1s, or the interval if longer)",
       false},
      {"steady_state", "bool", "true",
       "counts for health (steady-state gate, recovery, availability); not allowed in a ready probe", false},
      {"from", "string", "",
       "network = \"namespaces\": the service whose namespace the probe runs in; default: the run's hub, which "
       "no partition cuts (a ready probe: its own service's namespace)",
       false},
  };
  return keys;
}

const std::vector<KindSpec>& probe_kinds() {
  static const std::vector<KindSpec> kinds = {
      {"tcp",
       "healthy when a TCP connection to host:port succeeds",
       false,
       {
           {"host", "string", "127.0.0.1", "host name or address to connect to", false},
           {"port", "port", "", "an integer 1..65535 or a placeholder such as \"{port.redis}\"", true},
       }},
      {"http",
       "healthy when an HTTP request gets an accepted status (and body)",
       false,
       {
           {"host", "string", "127.0.0.1", "host name or address to connect to", false},
           {"port", "port", "", "an integer 1..65535 or a placeholder such as \"{port.web}\"", true},
           {"method", "string", "GET", "request method", false},
           {"path", "string", "/", "request target; starts with '/'", false},
           {"status", "array of integers", "", "accepted status codes, each 100..599; default: any 2xx", false},
           {"expect_body", "string", "", "the body must contain this text", false},
           {"expect_body_regex", "regex", "", "the body must match this regular expression (Perl syntax, searched; ^ and $ also at line breaks)", false},
       }},
      {"exec",
       "healthy when a command exits with the expected code (and output)",
       false,
       {
           {"command", "command", "", "a shell line (string) or an argv (array of strings)", true},
           {"expect_exit", "integer", "0", "expected exit code, 0..255", false},
           {"expect_stdout", "string", "", "stdout must contain this text", false},
           {"expect_stdout_regex", "regex", "", "stdout must match this regular expression (Perl syntax, searched; ^ and $ also at line breaks)", false},
           {"env", "table of strings", "", "environment variables added to the inherited environment of the command; values may hold placeholders", false},
       }},
  };
  return kinds;
}

const std::vector<KeySpec>& fault_common_keys() {
  static const std::vector<KeySpec> keys = {
      {"name", "string", "",
       "unique fault name; default: the kind, or \"KIND#1\", \"KIND#2\", ... when several faults share a kind", false},
      {"kind", "string", "", "the fault kind (see the kinds below)", true},
      {"target", "string", "",
       "what to act on: a service for process.* kinds, a link for net.* kinds (except net.partition; with "
       "network = \"namespaces\" a service); required for those, not allowed for exec and net.partition; a service "
       "may be chosen at injection: { select = \"COMMAND\", among = [\"a\", \"b\"] } (a dynamic target)",
       false},
      {"at", "duration or window", "0s",
       "offset from the iteration start: a duration >= 0, or [\"MIN\", \"MAX\"] = a window the run picks from with the seed",
       false},
      {"duration", "duration", "",
       "hold time before the fault is reverted; > 0; required for process.pause and net.* kinds, optional for exec, "
       "not allowed for process.kill and process.restart",
       false},
      {"repeat", "integer", "1", "how many times to inject within an iteration; >= 1", false},
      {"every", "duration", "", "time from one injection to the next; > 0; required when repeat > 1, longer than duration", false},
      {"injection", "bool", "true",
       "exec only: false makes it a timed action, not a fault: it opens no episode and no threshold judges it, so an "
       "outage after it within `watch` of a recovery is a relapse",
       false},
      {"env", "table of strings", "",
       "kinds with commands (exec): environment variables added to the inherited environment of its commands; "
       "values may hold placeholders",
       false},
  };
  return keys;
}

const std::vector<KindSpec>& fault_kinds() {
  // Each kind's keys are in its descriptor, in the kind's own file.
  static const std::vector<KindSpec> kinds = [] {
    std::vector<KindSpec> out;
    for (const FaultKind* k : registered_fault_kinds()) out.push_back(k->spec);
    return out;
  }();
  return kinds;
}

const std::vector<KeySpec>& step_keys() {
  static const std::vector<KeySpec> keys = {
      {"name", "string", "", "step name; default \"setup #N\" / \"verify #N\" (N counts from 1)", false},
      {"command", "command", "", "a shell line (string) or an argv (array of strings)", true},
      {"timeout", "duration", "30s", "time limit of the command; > 0", false},
      {"expect_exit", "integer", "0", "expected exit code, 0..255", false},
      {"expect_stdout", "string", "", "stdout must contain this text", false},
      {"expect_stdout_regex", "regex", "", "stdout must match this regular expression (Perl syntax, searched; ^ and $ also at line breaks)", false},
      {"from", "string", "",
       "network = \"namespaces\": the service whose namespace the command runs in; default: the run's hub", false},
      {"env", "table of strings", "", "environment variables added to the inherited environment of the command; values may hold placeholders", false},
  };
  return keys;
}

const std::vector<KeySpec>& verify_keys() {
  static const std::vector<KeySpec> keys = [] {
    std::vector<KeySpec> k = step_keys();
    k.push_back({"integrity", "bool", "false",
                 "the step checks the integrity of the data the service serves: its failure is an \"integrity\" "
                 "verdict of its own (the service came back but served damaged data), shown beside data loss",
                 false});
    return k;
  }();
  return keys;
}

const std::vector<KeySpec>& recovery_keys() {
  static const std::vector<KeySpec> keys = {
      {"name", "string", "", "step name; default \"recovery #N\" (N counts from 1)", false},
      {"command", "command", "", "a shell line (string) or an argv (array of strings)", true},
      {"on", "string", "detect",
       "what starts the step's clock: \"detect\" (impact first seen in the iteration), \"inject\" (the first "
       "injection returned) or \"start\" (the iteration start)",
       false},
      {"after", "duration", "0s", "the step starts this long after its trigger (and after the previous step ended); >= 0", false},
      {"timeout", "duration", "30s", "time limit of the command; > 0", false},
      {"expect_exit", "integer", "0", "expected exit code, 0..255", false},
      {"expect_stdout", "string", "", "stdout must contain this text", false},
      {"env", "table of strings", "", "environment variables added to the inherited environment of the command; values may hold placeholders", false},
  };
  return keys;
}

const std::vector<KeySpec>& workload_common_keys() {
  static const std::vector<KeySpec> keys = {
      {"name", "string", "", "unique workload name", true},
      {"kind", "string", "", "\"exec\" (a command per write) or \"tcp\" (a request on one connection)", true},
      {"rate", "integer", "10", "writes per second, fixed rate (tick k at start + k / rate); 1..1000", false},
      {"timeout", "duration", "1s", "time limit of one write; > 0", false},
      {"read", "command", "",
       "run once after recovery; every run of digits in its stdout is the sequence number of a write present", true},
      {"read_timeout", "duration", "30s", "time limit of the read; > 0", false},
      {"env", "table of strings", "", "environment variables added to the inherited environment of its write and read commands; values may hold placeholders", false},
  };
  return keys;
}

const std::vector<KindSpec>& workload_kinds() {
  static const std::vector<KindSpec> kinds = {
      {"exec",
       "each write runs a command; acknowledged when it exits 0",
       false,
       {
           {"write", "command", "", "the write, with {seq} (its sequence number) and {iteration}", true},
       }},
      {"tcp",
       "each write sends a request on one TCP connection (reopened after an error); acknowledged when the reply "
       "line contains 'expect'",
       false,
       {
           {"host", "string", "127.0.0.1", "host name or address to connect to", false},
           {"port", "port", "", "an integer 1..65535 or a placeholder such as \"{port.redis}\"", true},
           {"send", "string", "", "the request, with {seq} and {iteration}, e.g. \"SET k{seq} {seq}\\r\\n\"", true},
           {"expect", "string", "", "the reply line (read up to the first newline) must contain this text, e.g. \"+OK\"", true},
       }},
  };
  return kinds;
}

const std::vector<KeySpec>& threshold_keys() {
  static const std::vector<KeySpec> keys = {
      {"rto", "duration", "", "maximum recovery time (recovery - injection), in every iteration; > 0", false},
      {"ttd", "duration", "", "maximum time to detect (first failing sample - injection), in every iteration; > 0", false},
      {"mttr", "duration", "", "maximum mean time to restore over all episodes; > 0", false},
      {"max_recurrence", "integer", "", "maximum number of relapses over the whole run; >= 0", false},
      {"min_availability", "percent", "", "minimum availability from injection to the end of the watch window, "
                                          "written with a percent sign: \"99.5%\" (0..100)", false},
      {"max_data_loss", "count or duration", "",
       "most acknowledged writes a [[workload]] may lose in any iteration: a count (>= 0), or a duration "
       "(the time span of the lost writes, the recovery point)", false},
  };
  return keys;
}

namespace {

template <class Kinds>
const KindSpec* find_kind(const Kinds& kinds, const std::string& name) {
  auto it = std::find_if(kinds.begin(), kinds.end(), [&](const KindSpec& k) { return k.name == name; });
  return it == kinds.end() ? nullptr : &*it;
}

}  // namespace

const KindSpec* find_fault_kind(const std::string& name) { return find_kind(fault_kinds(), name); }

const KindSpec* find_probe_kind(const std::string& name) { return find_kind(probe_kinds(), name); }

const KindSpec* find_workload_kind(const std::string& name) { return find_kind(workload_kinds(), name); }

}  // namespace faultline
