// The typed scenario: plain data parsed from a TOML file by scenario_parser.
// Nothing here knows about TOML; the parser is the only code that does.
// Every string that a user may write a placeholder into ({port.NAME},
// {run.dir}, {service.dir}, {iteration}, ...) is kept unresolved here and
// substituted by `resolve_placeholders` (placeholders.hpp) at run time.
// Nothing here names a fault kind either: a [[fault]] carries its kind's
// name and its kind's own parameters (FaultParams); what a kind is, the
// descriptor of fault_kind.hpp says. net_params.hpp is included for the
// network parameter types that src/os builds kernel rules from.
#pragma once

#include <any>
#include <csignal>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "scenario/diagnostics.hpp"
#include "scenario/duration.hpp"
#include "scenario/net_params.hpp"

namespace faultline {

/// A command: either a shell line (run with /bin/sh -c) or an argv run
/// directly, argv[0] looked up in PATH.
struct Command {
  std::vector<std::string> argv;  ///< for a shell line: {"/bin/sh", "-c", line}
  bool shell = false;             ///< written as a string rather than an array
  SourcePos pos;

  /// The command as the user wrote it, for plans and reports.
  std::string display() const;
};

enum class ProbeKind { tcp, http, exec };

/// How a probe decides that the system is healthy. Used for steady-state
/// probes ([[probe]]) and for a service's readiness (service.ready).
struct ProbeSpec {
  std::string name;
  ProbeKind kind = ProbeKind::tcp;
  Nanos interval = 100ms;  ///< fixed rate: tick k at start + k * interval
  Nanos timeout = 0ns;     ///< 0 = same as interval
  bool steady_state = true;  ///< gates iterations and counts for health

  // tcp and http
  std::string host = "127.0.0.1";
  std::string port;  ///< a number or a placeholder such as "{port.redis}"

  // http
  std::string method = "GET";
  std::string path = "/";
  std::vector<int> status;  ///< accepted status codes; empty = any 2xx
  std::optional<std::string> expect_body;        ///< substring of the body
  std::optional<std::string> expect_body_regex;  ///< ECMAScript regex, searched

  // exec
  Command command;
  int expect_exit = 0;
  std::optional<std::string> expect_stdout;        ///< substring of stdout
  std::optional<std::string> expect_stdout_regex;  ///< ECMAScript regex, searched

  /// network = "namespaces": the service whose namespace the probe runs in;
  /// "" = the run's hub namespace (a [[probe]]) or the service's own (a ready probe).
  std::string from;
  /// Resolved at run time: the network namespace to probe from; "" = this one.
  std::string netns;

  SourcePos pos;

  /// The timeout in force (timeout, or the interval when timeout is 0).
  Nanos effective_timeout() const { return timeout.count() > 0 ? timeout : interval; }
};

enum class RestartPolicy { never, on_failure, always };

/// How an attached service is found on its host: by its systemd unit
/// (MainPID), by a pid file, or by a regex on the command lines of the
/// host's processes (the single match).
enum class AttachKind { none, systemd, pidfile, match };

/// `attach = { systemd = "unit" }`, `{ pidfile = "path" }` or `{ match = "regex" }`.
struct AttachSpec {
  AttachKind kind = AttachKind::none;
  std::string value;  ///< the unit, the path or the regex
  bool attached() const { return kind != AttachKind::none; }
};

/// A process of the staging clone.
struct ServiceSpec {
  std::string name;
  Command command;
  std::map<std::string, std::string> env;  ///< added to the inherited environment
  std::string workdir;  ///< empty = the service's own directory in the run dir
  std::vector<std::string> ports;  ///< declares {port.NAME} for each name
  std::optional<ProbeSpec> ready;  ///< readiness probe; none = ready once spawned
  Nanos ready_timeout = 10s;
  RestartPolicy restart = RestartPolicy::never;
  Nanos backoff = 100ms;      ///< first restart delay, doubled per consecutive restart
  Nanos backoff_max = 5s;     ///< cap of the restart delay
  int stop_signal = SIGTERM;  ///< sent to the process group at teardown
  Nanos stop_grace = 5s;      ///< then SIGKILL to the group
  std::vector<std::string> depends_on;
  /// network = "namespaces": the host (network namespace) the service runs
  /// in; services naming the same host share it; "" = a host of its own,
  /// named after the service.
  std::string host;
  /// Resolved at run time: the network namespace to start it in; "" = this one.
  std::string netns;
  SourcePos pos;
  /// A service that already runs on its [[host]] (issue 14): found there,
  /// never started or stopped by faultline. kind none = faultline starts it.
  AttachSpec attach;
};

/// A kind's parameters: a struct of the kind's own, declared with the kind
/// (fault_injectors/<kind>.hpp, or net_params.hpp for the two that layers
/// below fault_injectors/ also use), held by value behind a type-erased
/// handle. The scenario model thus names no kind: a new kind adds its struct
/// in its own file and nothing here. Whoever reads the parameters knows the
/// kind (its descriptor, its injector) and asks for its struct by type.
class FaultParams {
 public:
  FaultParams() = default;
  template <class T>
    requires(!std::is_same_v<std::decay_t<T>, FaultParams>)
  FaultParams(T value) : value_(std::move(value)) {}  // NOLINT: implicit, as a variant's alternative

  /// Whether the parameters are a T.
  template <class T>
  bool holds() const {
    return std::any_cast<T>(&value_) != nullptr;
  }
  /// The parameters as a T, or nullptr when they are something else (or nothing).
  template <class T>
  const T* get_if() const {
    return std::any_cast<T>(&value_);
  }
  template <class T>
  T* get_if() {
    return std::any_cast<T>(&value_);
  }
  /// The parameters as a T; throws std::bad_any_cast when they are not one.
  template <class T>
  const T& get() const {
    if (const T* p = get_if<T>()) return *p;
    throw std::bad_any_cast();
  }

 private:
  std::any value_;
};

/// A dynamic target (issue 14): `target = { select = "COMMAND", among = [...] }`
/// (or `isolate = { ... }` of net.partition). At injection, not before, the
/// runner runs COMMAND on the controller once per candidate service, with
/// that candidate's {service.name} and {service.addr}; the fault acts on the
/// one candidate whose command exits 0 (none or several: the fault is not
/// applied and the run stops, exit 4). src/scenario/dynamic_target.hpp places
/// the chosen name; src/run/target_select.hpp chooses it.
struct TargetSelect {
  std::string key;                 ///< where the chosen name goes: "target" or "isolate"
  Command command;                 ///< exits 0 for the candidate to choose
  std::vector<std::string> among;  ///< the candidate services, in order
  Nanos timeout = 5s;              ///< time limit of each command run
  std::string as;                  ///< what the chosen one is, for reports ("leader"); "" = not said
  SourcePos pos;                   ///< the select table
};

/// One [[fault]]: what to do, to whom, and when within an iteration.
struct FaultSpec {
  std::string name;  ///< defaults to "<kind>" or "<kind>#N" when repeated
  std::string kind;    ///< the kind's name, as its descriptor registers it (fault_kind.hpp)
  std::string target;  ///< a service or a link name, as the kind's descriptor says (FaultKind::target)
  Nanos at_min = 0ns;  ///< offset from the iteration start
  Nanos at_max = 0ns;  ///< == at_min unless `at` is a window ["1s", "3s"]
  std::optional<Nanos> duration;  ///< hold time before revert
  int repeat = 1;                 ///< how many times within the iteration
  Nanos every = 0ns;              ///< between repeats (from one inject to the next)
  FaultParams params;  ///< the kind's own struct, as its descriptor read it
  SourcePos pos;
  /// false (exec only): a timed action, not a fault; no episode opens after it
  /// and no threshold judges it (docs/measurement.md, "Actions")
  bool injection = true;
  /// A target chosen at injection (TargetSelect); none = named in the scenario.
  std::optional<TargetSelect> select;
};

/// One [[link]]: a TCP proxy that faultline runs between services. It listens
/// on a loopback port of its own ({link.NAME}) and forwards every connection
/// to `to`; network faults act on the traffic that passes through it.
struct LinkSpec {
  std::string name;
  std::string to;       ///< "host:port" of the server, e.g. "127.0.0.1:{port.redis}"
  std::string service;  ///< the service that owns `to`; "" = the one declaring {port.NAME} in `to`, if any
  std::vector<std::string> from;  ///< services that connect through the link; empty = clients unknown
  SourcePos pos;
  /// protocol = "http": the link frames HTTP/1.1 messages, so http.* faults apply (else plain TCP).
  bool http = false;
};

/// A command run before the faults ([[setup]]) or after recovery ([[verify]])
/// in every iteration; failing it fails the run.
struct StepSpec {
  std::string name;
  Command command;
  Nanos timeout = 30s;
  int expect_exit = 0;
  std::optional<std::string> expect_stdout;
  std::optional<std::string> expect_stdout_regex;
  /// network = "namespaces": the service whose namespace the command runs
  /// in; "" = the run's hub namespace.
  std::string from;
  /// Resolved at run time: the network namespace to run in; "" = this one.
  std::string netns;
  /// [[verify]] only: the step checks the data the service serves (its
  /// failure is the "integrity" verdict: back, but serving damaged data).
  bool integrity = false;
  SourcePos pos;
};

/// What starts a [[recovery]] step's clock.
enum class RecoveryTrigger {
  detect,  ///< the runner's measurement first sees impact in the iteration (t_fail as observed)
  inject,  ///< the first injection of the iteration returned (t_inject)
  start,   ///< the iteration start: `after` is then an offset into the iteration
};

/// One [[recovery]] step: a runbook command run while the fault is in
/// effect. The steps of a scenario form one runbook, run in declaration
/// order in every iteration; each starts `after` past its trigger (and never
/// before the previous step ended). A failed step stops the runbook.
struct RecoverySpec {
  std::string name;
  Command command;
  RecoveryTrigger on = RecoveryTrigger::detect;
  Nanos after = 0ns;
  Nanos timeout = 30s;
  int expect_exit = 0;
  std::optional<std::string> expect_stdout;
  /// Resolved at run time: the network namespace to run in (the hub with
  /// network = "namespaces"); "" = this one.
  std::string netns;
  SourcePos pos;
};

enum class WorkloadKind { exec, tcp };

/// One [[workload]]: sequenced writes at a fixed rate through every
/// iteration, then one read that says which acknowledged writes survived.
/// `{seq}` in the write templates is the write's sequence number, unique in
/// the run (1, 2, ... across iterations).
struct WorkloadSpec {
  std::string name;
  WorkloadKind kind = WorkloadKind::exec;
  double rate = 10;      ///< writes per second, fixed rate (tick k at start + k / rate)
  Nanos timeout = 1s;    ///< per write: no acknowledgement within it = an error
  // exec: acknowledged = exit 0
  Command write;
  // tcp: one connection, reopened after an error; acknowledged = the reply
  // line (up to the first newline) contains `expect`
  std::string host = "127.0.0.1";
  std::string port;
  std::string send;    ///< request template, e.g. "SET k{seq} {seq}\r\n"
  std::string expect;  ///< e.g. "+OK"
  /// Run once after recovery: prints the sequence numbers present (every run
  /// of digits in its stdout is one); an acknowledged write whose number is
  /// missing was lost.
  Command read;
  Nanos read_timeout = 30s;
  /// Resolved at run time: the network namespace its writes and read come
  /// from (the hub with network = "namespaces"); "" = this one.
  std::string netns;
  SourcePos pos;
};

/// When a run of ok samples counts as recovered: at least `samples`
/// consecutive ok samples of every steady-state probe and, when `duration`
/// is non-zero, spanning at least `duration` (docs/design.md section 3).
struct RecoveredAfter {
  int samples = 3;
  Nanos duration = 0ns;
};

/// Recovery objectives; each present one becomes a verdict.
struct Thresholds {
  std::optional<Nanos> rto;    ///< recovery time, every iteration
  std::optional<Nanos> ttd;    ///< time to detect, every iteration with impact
  std::optional<Nanos> mttr;   ///< mean time to restore over all episodes
  std::optional<int> max_recurrence;       ///< relapses over the whole run
  std::optional<double> min_availability;  ///< percent, 0..100
  std::optional<std::int64_t> max_data_loss;  ///< acknowledged writes lost, every iteration
  std::optional<Nanos> max_data_loss_window;  ///< time span of the lost writes, every iteration
  SourcePos pos;
};

/// How the services reach each other: through faultline's TCP proxies on
/// loopback ([[link]]s), or each host in its own network namespace with its
/// own address, where net.* faults act in the kernel (nftables, tc).
enum class NetworkMode { links, namespaces };

/// A machine drilled over OpenSSH ([[host]], issue 14; docs/distributed.md).
/// When a scenario declares hosts, a service's `host` names one of them and
/// the service runs there.
struct HostSpec {
  std::string name;
  std::string address;      ///< what ssh connects to: a name or an IP address
  std::string user;         ///< "" = ssh's default
  int port = 0;             ///< 0 = ssh's default
  std::string identity;     ///< private key file; "" = ssh's default
  std::string ssh_config;   ///< ssh -F file; "" = the user's ~/.ssh/config
  std::string known_hosts;  ///< UserKnownHostsFile; "" = ssh's default
  bool sudo = false;        ///< privileged actions through `sudo -n`
  SourcePos pos;
};

/// One [[strategy]] (issue 17): a way of recovering from the scenario's
/// fault, compared with the others on the same fault. Its runbook replaces
/// the scenario's (a scenario with strategies has no top-level [[recovery]]);
/// its [[strategy.verify]] steps run after the top-level [[verify]] ones;
/// its [strategy.thresholds] judge its own iterations.
struct StrategySpec {
  std::string name;
  std::string description;
  std::vector<RecoverySpec> recovery;  ///< its runbook, in order
  std::vector<StepSpec> verify;        ///< after the scenario's [[verify]]
  Thresholds thresholds;               ///< over its own iterations only
  SourcePos pos;
};

/// A whole scenario file.
struct Scenario {
  std::string file;  ///< path as given
  std::string name;
  std::string description;
  std::optional<std::uint64_t> seed;  ///< none: the run picks one and prints it
  int iterations = 1;
  Nanos steady_for = 1s;       ///< healthy this long before each iteration
  Nanos steady_timeout = 30s;  ///< else the run is inconclusive (exit 3)
  RecoveredAfter recovered_after;
  Nanos watch = 2s;            ///< relapse window after recovery
  Nanos give_up_after = 30s;   ///< recovery deadline, from injection
  Nanos cool_down = 1s;        ///< between iterations
  NetworkMode network = NetworkMode::links;
  std::string subnet = "10.77.0.0/24";  ///< namespaces: the IPv4 range the run's addresses come from
  std::vector<ServiceSpec> services;
  std::vector<LinkSpec> links;
  std::vector<ProbeSpec> probes;
  std::vector<FaultSpec> faults;
  std::vector<StepSpec> setup;
  std::vector<StepSpec> verify;
  std::vector<RecoverySpec> recovery;   ///< the runbook, in order
  std::vector<WorkloadSpec> workloads;
  Thresholds thresholds;
  /// Stop conditions (issue 7). [[guard]]: probes of something that must
  /// never break; the first failed sample aborts the run, which reverts
  /// everything and fails (exit 1). Never steady-state probes.
  std::vector<ProbeSpec> guards;
  /// Bounds the whole run (clone start to the last iteration); when reached
  /// the run aborts the same way and is inconclusive (exit 3). None = unbounded.
  std::optional<Nanos> max_duration;
  /// Where each value was written, by key path ("iterations", "fault[0].target",
  /// "service[1].ports[0]", "service[0].ready.port", ...), so that semantic
  /// diagnostics point at the value rather than at its table. Filled by the
  /// parser; empty for a scenario built in code (diagnostics then fall back to
  /// the tables' own positions).
  std::map<std::string, SourcePos> positions;
  /// [[host]]: the machines drilled over OpenSSH; empty = this machine only.
  std::vector<HostSpec> hosts;
  /// [[strategy]] (issue 17): the recoveries compared on the same fault;
  /// each iteration runs once per strategy (src/scenario/strategy_schedule.hpp).
  std::vector<StrategySpec> strategies;
  /// Confidence of the strategies' comparison, percent (0..100, exclusive).
  double confidence = 95;
  /// The highest share of a strategy's iterations with a secondary outage
  /// (a relapse, or a new episode after its runbook started) for it to rank, percent.
  double max_secondary_outage_rate = 0;
  /// The lease of every guardian left on a [[host]] (os/guardian.hpp): the
  /// longest a remote fault outlives a lost controller. 1s..10m.
  Nanos guardian_lease = 5s;
};

/// The declared host named `name`, or nullptr.
inline const HostSpec* find_host(const Scenario& s, const std::string& name) {
  for (const auto& h : s.hosts)
    if (h.name == name) return &h;
  return nullptr;
}

/// The [[host]] a service runs on, or nullptr when it runs on this machine
/// (no [[host]] declared, or no `host` on the service).
inline const HostSpec* service_host(const Scenario& s, const ServiceSpec& svc) {
  return s.hosts.empty() || svc.host.empty() ? nullptr : find_host(s, svc.host);
}

}  // namespace faultline
