#include "scenario/starter.hpp"

#include <fmt/format.h>

namespace faultline {

namespace {

/// `text` as a TOML basic string, quotes included.
std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
          out += fmt::format("\\u{:04X}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        else
          out += c;
    }
  }
  return out + "\"";
}

// Everything after the name line.
constexpr std::string_view kBody = R"(description = "Kill redis-server with SIGKILL and check that it comes back, with its data, in time."

# Every key, its type, unit and default: scenarios/README.md, or `faultline list`.
# Durations always carry a unit: "250ms", "2s", "1m30s".

# The seed makes random choices (the fault window below) repeatable; remove it
# and every run picks (and prints) a new one.
seed = 1
iterations = 3           # run the whole fault schedule this many times
steady_for = "1s"        # healthy this long before each iteration, else the run is inconclusive
steady_timeout = "30s"   # give up waiting for steady state after this long
recovered_after = 3      # recovered = 3 consecutive ok samples of every steady-state probe
watch = "2s"             # an outage within this window after recovery is a relapse
give_up_after = "30s"    # not recovered by then (from injection) = the iteration fails 'rto'
cool_down = "1s"         # pause between iterations

# ---------------------------------------------------------------- the clone
# The processes faultline starts for this run (and stops afterwards). Each
# service gets its own directory, {service.dir}, inside the run directory.
[[service]]
name = "redis"
# An array is run directly (argv); a string would be a shell line for /bin/sh -c.
# {port.redis} is a free loopback port chosen for this run, declared by `ports`.
command = ["redis-server", "--port", "{port.redis}", "--dir", "{service.dir}",
           "--appendonly", "yes", "--save", ""]
ports = ["redis"]
restart = "on-failure"   # "never", "on-failure" or "always"
backoff = "100ms"        # first restart delay, doubled per consecutive restart
backoff_max = "2s"       # cap of the restart delay
stop_signal = "SIGTERM"  # sent at teardown, then SIGKILL after stop_grace
stop_grace = "5s"
ready_timeout = "10s"    # the ready probe must pass within this long

# The service is ready when this probe passes (default interval: 50ms).
[service.ready]
kind = "tcp"
port = "{port.redis}"

# ---------------------------------------------------------------- health
# Steady-state probes: every one must pass for the system to count as healthy.
[[probe]]
name = "redis-tcp"
kind = "tcp"
host = "127.0.0.1"
port = "{port.redis}"
interval = "100ms"       # fixed rate; timeout defaults to the interval

[[probe]]
name = "redis-ping"
kind = "exec"
command = ["redis-cli", "-p", "{port.redis}", "ping"]
expect_exit = 0
expect_stdout = "PONG"
interval = "200ms"
timeout = "1s"

# ---------------------------------------------------------------- faults
# Runs before the faults of every iteration; a failing step fails the run.
[[setup]]
name = "write a canary"
command = "redis-cli -p {port.redis} set faultline:canary iteration-{iteration}"
expect_stdout = "OK"
timeout = "5s"

# Kill redis (its whole process group) at a moment picked from the window,
# 1s to 3s into the iteration. restart = "on-failure" brings it back.
[[fault]]
name = "kill redis"
kind = "process.kill"
target = "redis"
at = ["1s", "3s"]
signal = "SIGKILL"
group = true

# Runs after recovery: the append-only file must have kept the canary.
[[verify]]
name = "canary survived"
command = "redis-cli -p {port.redis} get faultline:canary"
expect_stdout = "iteration-{iteration}"
timeout = "5s"

# ---------------------------------------------------------------- objectives
# Each line is a separate pass/fail verdict; the run passes when all pass.
[thresholds]
rto = "5s"                  # injection to recovery, in every iteration
ttd = "1s"                  # injection to the first failing sample, in every iteration
mttr = "3s"                 # mean outage length over all episodes
max_recurrence = 0          # no relapse within the watch window
min_availability = "50%"    # ok samples from injection to the end of the watch window
)";

}  // namespace

std::string starter_scenario(std::string_view name) {
  return fmt::format("# faultline scenario {}: a recovery drill against a local redis-server.\n"
                     "# Run it with `faultline run FILE`; check it with `faultline validate FILE`.\n\n"
                     "name = {}\n",
                     toml_string(name), toml_string(name)) +
         std::string(kBody);
}

}  // namespace faultline
