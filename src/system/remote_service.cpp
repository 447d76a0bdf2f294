// The run's hosts and the scripts of its remote services (see
// remote_service.hpp). Every script is plain POSIX sh with tools every Linux
// host has (mkdir, cat, kill, sleep with a fraction as GNU and busybox
// accept, setsid from util-linux); every value in it is shell-quoted.
#include "system/remote_service.hpp"

#include <fmt/format.h>

#include <boost/asio/steady_timer.hpp>

#include "os/spawn.hpp"
#include "os/subprocess.hpp"
#include "scenario/signals.hpp"
#include "scenario/validate.hpp"

namespace faultline {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string remote_run_dir(const std::string& run_id) { return "/tmp/faultline-" + run_id; }

std::string remote_service_dir(const std::string& run_dir, const ServiceSpec& svc) {
  return svc.workdir.empty() ? run_dir + "/services/" + svc.name : svc.workdir;
}

namespace {

std::string pid_file(const std::string& run_dir, const std::string& service) {
  return run_dir + "/pids/" + service;
}

}  // namespace

std::string start_script(const std::string& run_dir, const ServiceSpec& svc) {
  const std::string dir = remote_service_dir(run_dir, svc);
  std::string s = fmt::format("mkdir -p {} {} && cd {} || exit 126\n", shell_quote(dir),
                              shell_quote(run_dir + "/pids"), shell_quote(dir));
  for (const auto& [k, v] : svc.env) s += fmt::format("export {}={}\n", k, shell_quote(v));
  // The pid file holds "PID STARTTIME" (field 22 of /proc/PID/stat, the
  // same across the exec), written by the service's own shell before the
  // exec: whatever kills the harness from then on, the watchdog and
  // `cleanup` find it on the host by an identity a reused pid cannot fake.
  // (A function's `shift` leaves the script's own "$@", the command, alone.)
  s += "exec setsid -w /bin/sh -c 'read -r l < /proc/$$/stat; l=${l##*) }; f() { shift 19; s=$1; }; f $l; "
       "echo \"$$ $s\" > \"$0\"; exec \"$@\"' " +
       shell_quote(pid_file(run_dir, svc.name));
  for (const auto& a : svc.command.argv) s += " " + shell_quote(a);
  return s + "\n";
}

std::string stop_script(const std::string& run_dir, const std::string& service, int signal, Nanos grace) {
  const long ticks = static_cast<long>(grace / 50ms);
  return fmt::format(
      "{{ read -r p st < {pf}; }} 2>/dev/null || {{ echo gone; exit 0; }}\n"
      // A member that is a zombie has ended (its parent has not reaped it yet).
      "alive() {{ for f in /proc/[0-9]*/stat; do {{ read -r l < $f; }} 2>/dev/null || continue; l=${{l##*) }}; "
      "set -- $l; [ \"$3\" = \"$p\" ] && [ \"$1\" != Z ] && return 0; done; return 1; }}\n"
      // The identity check before every signal: the leader is still the
      // process the pid file names (its start time), or it has exited and
      // members of its group live on (no pid in use as a group id is reused).
      "ours() {{ if {{ read -r l < /proc/$p/stat; }} 2>/dev/null; then l=${{l##*) }}; set -- $l; shift 19; "
      "[ \"$1\" = \"$st\" ]; else alive; fi; }}\n"
      "ours && kill -{sig} -$p 2>/dev/null || {{ echo gone; exit 0; }}\n"
      "n=0\n"
      "while kill -0 -$p 2>/dev/null && alive; do\n"
      "  if [ $n -ge {ticks} ]; then ours && kill -9 -$p 2>/dev/null; echo killed; exit 0; fi\n"
      "  sleep 0.05; n=$((n+1))\n"
      "done\n"
      "echo stopped\n",
      fmt::arg("pf", shell_quote(pid_file(run_dir, service))), fmt::arg("sig", signal), fmt::arg("ticks", ticks));
}

std::string pid_script(const std::string& run_dir, const std::string& service) {
  // A service just started may not have written its pid file yet (its ssh
  // session and shell start asynchronously): wait for it up to 5 s.
  return fmt::format(
      "i=0; while [ ! -s {pf} ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done\n"
      "read -r p _ < {pf} && kill -0 $p 2>/dev/null && s=$(cat /proc/$p/stat) && s=${{s##*) }} && "
      "set -- $s && shift 19 && echo \"$p $1\"\n",
      fmt::arg("pf", shell_quote(pid_file(run_dir, service))));
}

std::string host_cleanup_script(const std::string& run_dir) {
  return fmt::format(
      // Each group the run started there, if its leader is still the process
      // the pid file names (pid and start time): SIGKILL to the group.
      "for f in {d}/pids/*; do\n"
      "  {{ read -r p st < \"$f\"; }} 2>/dev/null || continue\n"
      "  s=$(cat /proc/$p/stat 2>/dev/null) || continue\n"
      "  s=${{s##*) }}; set -- $s; shift 19\n"
      "  [ \"$1\" = \"$st\" ] && kill -9 -$p 2>/dev/null && echo \"killed $p\"\n"
      "done\n"
      "rm -rf {d} && ! test -e {d}\n",
      fmt::arg("d", shell_quote(run_dir)));
}

SshTarget ssh_target(const Scenario& s, const HostSpec& h) {
  SshTarget t;
  t.name = h.name;
  t.address = h.address;
  t.user = h.user;
  t.port = h.port;
  t.identity = resolve_host_path(s.file, h.identity);
  t.ssh_config = resolve_host_path(s.file, h.ssh_config);
  t.known_hosts = resolve_host_path(s.file, h.known_hosts);
  return t;
}

RemoteHosts::RemoteHosts(const Scenario& s, std::string run_id, fs::path logs)
    : dir_(remote_run_dir(run_id)), logs_(std::move(logs)), file_(s.file) {
  if (s.hosts.empty()) return;
  control_ = std::make_unique<ControlDir>();
  for (std::size_t i = 0; i < s.hosts.size(); ++i) {
    Host h;
    h.spec = s.hosts[i];
    SshTarget t = ssh_target(s, h.spec);
    t.control_path = control_->socket(i);
    h.shell = std::make_unique<SshShell>(t);
    h.master = std::make_unique<SshMaster>(t, logs_ / ("ssh-" + h.spec.name + ".log"));
    hosts_.push_back(std::move(h));
  }
}

RemoteHosts::~RemoteHosts() { close(); }

const SshShell* RemoteHosts::shell(const std::string& name) const {
  for (const auto& h : hosts_)
    if (h.spec.name == name) return h.shell.get();
  return nullptr;
}

asio::awaitable<std::string> RemoteHosts::open(asio::any_io_executor ex, StopSource& stop, Nanos timeout) {
  std::map<std::size_t, std::string> failed;
  for (std::size_t i = 0; i < hosts_.size(); ++i)
    if (std::string why; !hosts_[i].master->launch(why)) failed[i] = why;
  const TimePoint deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(timeout);
  std::vector<bool> up(hosts_.size(), false);
  for (;;) {
    bool pending = false;
    for (std::size_t i = 0; i < hosts_.size(); ++i) {
      if (up[i] || failed.count(i)) continue;
      std::string why;
      switch (hosts_[i].master->poll(why)) {
        case SshMaster::State::up: up[i] = true; break;
        case SshMaster::State::failed: failed[i] = why; break;
        case SshMaster::State::connecting: pending = true; break;
      }
    }
    if (!pending) break;
    if (SteadyClock::now() >= deadline || !co_await stop.sleep_for(20ms)) {
      for (std::size_t i = 0; i < hosts_.size(); ++i)
        if (!up[i] && !failed.count(i)) {
          hosts_[i].master->close();
          failed[i] = stop.requested() ? "cancelled" : "no connection within " + format_duration(timeout);
        }
      break;
    }
  }
  // The run's directory on every host that is up, each in one round trip.
  for (std::size_t i = 0; i < hosts_.size(); ++i) {
    if (!up[i]) continue;
    // sudo = true: `sudo -n` must work now, not at the first fault.
    const std::string sudo_check =
        hosts_[i].spec.sudo ? "[ \"$(id -u)\" = 0 ] || sudo -n true 2>/dev/null || { echo 'sudo -n fails' >&2; exit 3; }\n" : "";
    // A named SpawnOptions: GCC 12 destroys a braced temporary argument of a
    // coroutine twice (the same pattern as every other run_command caller).
    SpawnOptions opts;
    opts.argv = hosts_[i].shell->argv(sudo_check + "mkdir -p -m 700 " + shell_quote(dir_));
    auto r = co_await run_command(ex, std::move(opts), std::chrono::seconds(30));
    if (r.status.success()) {
      hosts_[i].dir_made = true;
    } else {
      failed[i] = r.status.code == 3 ? "sudo = true but `sudo -n true` fails (a password or no sudo rule)"
                                     : fmt::format("cannot create {}: {}", dir_, last_ssh_message(r.err + r.out));
    }
  }
  std::string out;
  for (const auto& [i, why] : failed) {
    const auto& p = hosts_[i].spec.pos;
    out += fmt::format("host '{}' ({}:{}:{}, {}): {}\n", hosts_[i].spec.name, p.file.empty() ? file_ : p.file, p.line,
                       p.column, ssh_destination(hosts_[i].shell->target()), why);
  }
  co_return out;
}

std::vector<std::string> RemoteHosts::close() {
  std::vector<std::string> left;
  for (auto& h : hosts_) {
    if (h.dir_made) {
      // Whatever group of the run still runs there (a service whose stop
      // failed) is killed before its directory goes.
      auto r = run_sync(h.shell->argv(host_cleanup_script(dir_)), std::chrono::seconds(30));
      if (!r.status.success())
        left.push_back(fmt::format("host '{}': {} not removed: {}", h.spec.name, dir_, last_ssh_message(r.output)));
      h.dir_made = false;
    }
    h.master->close();
  }
  return left;
}

std::vector<LedgerHost> RemoteHosts::ledger_hosts() const {
  std::vector<LedgerHost> out;
  for (const auto& h : hosts_) {
    // A fresh connection: the run's master dies with the run.
    SshTarget fresh = h.shell->target();
    fresh.control_path.clear();
    out.push_back({h.spec.name, dir_, SshShell(fresh).argv(host_cleanup_script(dir_))});
  }
  return out;
}

std::string RemoteHosts::control_dir() const { return control_ ? control_->path().string() : std::string(); }

std::vector<std::string> remote_plan(const Scenario& s) {
  std::vector<std::string> out;
  if (s.hosts.empty()) return out;
  const std::string dir = remote_run_dir("RUNID");
  for (const auto& h : s.hosts) {
    const SshTarget t = ssh_target(s, h);
    out.push_back(fmt::format("connect to host '{}': ssh {}{} (one multiplexed connection for the run)", h.name,
                              ssh_destination(t), h.port ? fmt::format(" port {}", h.port) : ""));
    out.push_back(fmt::format("on '{}': mkdir -p -m 700 {}", h.name, dir));
  }
  for (const auto& svc : s.services) {
    const HostSpec* h = service_host(s, svc);
    if (!h) continue;
    if (svc.attach.attached()) {
      out.push_back(fmt::format("on '{}': find attached service '{}' (never started or stopped)", h->name, svc.name));
      continue;
    }
    out.push_back(fmt::format("on '{}': start service '{}' in {} (own process group, log streamed back)", h->name,
                              svc.name, remote_service_dir(dir, svc)));
    out.push_back(fmt::format("on '{}': stop service '{}': {} to its group, SIGKILL after {}", h->name, svc.name,
                              signal_name(svc.stop_signal), format_duration(svc.stop_grace)));
  }
  for (const auto& h : s.hosts) {
    out.push_back(fmt::format("on '{}': rm -rf {}", h.name, dir));
    out.push_back(fmt::format("close the connection to '{}'", h.name));
  }
  return out;
}

}  // namespace faultline
