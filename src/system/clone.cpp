// The staging clone's supervisor. Services start in dependency order, each
// as a Child in its own process group with its output appended to
// run_dir/logs/NAME.log, and are awaited until their ready probe passes.
//
// After a service is ready, a watcher coroutine awaits its exit, records it,
// clears what is left of its group and restarts it by policy after an
// exponential backoff. Every service has a generation number: stop() and
// restart() bump it before they take the process over, so a watcher that
// wakes up for an older generation leaves quietly and never restarts a
// process the supervisor is stopping. Teardown first turns restarts off (a
// StopSource that wakes every backoff), then stops services in reverse start
// order and finally kills any descendant that escaped its group.
#include "scenario/validate.hpp"
#include "system/clone.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <set>

#include "os/netns.hpp"
#include "os/resource_cgroup.hpp"
#include "os/remote_process.hpp"
#include "system/attach.hpp"
#include "system/probe.hpp"
#include "system/remote_service.hpp"

namespace faultline {

namespace fs = std::filesystem;
using namespace asio::experimental::awaitable_operators;

namespace {

/// What waiting for readiness found.
struct Readiness {
  bool ok = false;
  bool stopped = false;  ///< the run's stop was requested meanwhile
  std::string detail;    ///< the last probe's detail
};

std::string read_tail(const fs::path& path, int lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in || lines <= 0) return {};
  constexpr std::streamoff kMaxRead = 64 * 1024;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff from = size > kMaxRead ? size - kMaxRead : 0;
  in.seekg(from);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  if (!text.empty() && text.back() == '\n') text.pop_back();
  // Walk back over `lines` line breaks; the tail starts after the last one found.
  std::size_t start = 0;
  std::size_t pos = text.size();
  for (int n = 0; n < lines && pos > 0; ++n) {
    const auto nl = text.rfind('\n', pos - 1);
    if (nl == std::string::npos) {
      start = 0;
      break;
    }
    start = nl + 1;
    pos = nl;
  }
  std::string tail = text.substr(start);
  if (!tail.empty()) tail += '\n';
  return tail;
}

}  // namespace

/// One supervised service.
struct ServiceState {
  ServiceSpec spec;
  fs::path log;
  fs::path cwd;
  std::unique_ptr<Child> child;
  std::uint64_t generation = 0;  ///< bumped when stop()/restart() take the process over
  int consecutive_restarts = 0;
  Nanos started_at{0};
  std::optional<AttachedProcess> attached;  ///< attach: the process found on its host
};

struct Clone::Impl : std::enable_shared_from_this<Clone::Impl> {
  asio::any_io_executor ex;
  RunClock clock;
  Scenario scenario;
  fs::path run_dir;
  std::vector<std::shared_ptr<ServiceState>> services;  ///< in start order
  std::vector<ServiceEvent> events;
  StopSource no_more_restarts;  ///< requested by stop(): ends every backoff
  bool stopping = false;
  bool stopped = false;
  asio::steady_timer stop_finished;  ///< cancelled when stop() completes
  std::function<void(const std::string&, pid_t)> on_started;  ///< see Clone::on_started
  const RemoteHosts* hosts = nullptr;  ///< see Clone::use_hosts
  std::map<std::string, std::vector<fs::path>> cgroups;  ///< see Clone::set_cgroup

  /// The shell of the [[host]] the service runs on, or nullptr (this machine).
  const SshShell* remote(const ServiceState& s) const {
    return hosts && !s.spec.host.empty() ? hosts->shell(s.spec.host) : nullptr;
  }

  /// Finds an attached service on its host (never starts it); throws CloneError.
  asio::awaitable<void> attach(ServiceState& s) {
    const SshShell* sh = remote(s);
    if (!sh) throw error(s, fmt::format("service '{}' attaches to host '{}', which is not connected", s.spec.name, s.spec.host));
    SpawnOptions opts;  // named: see RemoteHosts::open
    opts.argv = sh->argv(find_script(s.spec.attach));
    auto r = co_await run_command(ex, std::move(opts), std::chrono::seconds(30), 4 * 1024 * 1024);
    std::string why;
    auto found = r.status.code == 255 ? std::nullopt : parse_found(s.spec.attach, r.out, why);
    if (r.status.code == 255) why = "ssh: " + last_ssh_message(r.err);
    if (!found) {
      record(s, "failed", why);
      throw error(s, fmt::format("service '{}' on host '{}': {}", s.spec.name, s.spec.host, why));
    }
    s.attached = found;
    record(s, "attached", fmt::format("remote pid {} on host '{}' (start time {}), {}", found->pid, s.spec.host,
                                      found->start_time, describe_attach(s.spec.attach)));
  }

  /// Restarts an attached service through its supervisor while `was` is
  /// still its process, then finds the new one and awaits readiness.
  asio::awaitable<void> restart_attached(ServiceState& s, const AttachedProcess& was, StopSource& stop) {
    const SshShell* sh = remote(s);
    const HostSpec* h = find_host(scenario, s.spec.host);
    const std::string sup = supervisor_restart_script(s.spec.attach, h && h->sudo);
    if (!sh || sup.empty())
      throw error(s, fmt::format("service '{}' ({}) has no supervisor to restart it through", s.spec.name,
                                 describe_attach(s.spec.attach)));
    std::string script = procfs_functions();
    if (was.pid > 1) script += fmt::format("fl_is {} {} || {{ echo gone; exit 3; }}\n", was.pid, was.start_time);
    SpawnOptions opts;  // named: see RemoteHosts::open
    opts.argv = sh->argv(script + sup);
    auto r = co_await run_command(ex, std::move(opts), s.spec.stop_grace + s.spec.ready_timeout + std::chrono::seconds(30));
    if (r.status.code == 3 && r.out.find("gone") != std::string::npos)
      throw error(s, fmt::format("service '{}' on host '{}': pid {} is no longer the process found (start time {}); "
                                 "nothing was restarted", s.spec.name, s.spec.host, was.pid, was.start_time));
    if (!r.status.success())
      throw error(s, fmt::format("service '{}' on host '{}': {} failed ({}): {}", s.spec.name, s.spec.host,
                                 describe_attach(s.spec.attach), r.status.describe(), last_ssh_message(r.err + r.out)));
    record(s, "restarted", fmt::format("through its supervisor ({}), was pid {}", describe_attach(s.spec.attach), was.pid));
    const Nanos began = clock.now();
    co_await attach(s);  // its new process: the identity of every later signal
    if (!s.spec.ready) {
      record(s, "ready", "no ready probe");
      co_return;
    }
    const TimePoint deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(s.spec.ready_timeout);
    const Readiness ready = co_await poll_ready(s, stop, deadline);
    if (ready.stopped) co_return;
    if (!ready.ok)
      throw error(s, fmt::format("service '{}' did not become ready within {}: {}", s.spec.name,
                                 format_duration(s.spec.ready_timeout), ready.detail));
    record(s, "ready", "after " + format_ms(clock.now() - began));
  }

  /// Stops the service's group on its host (stop signal, grace, SIGKILL);
  /// returns what the host said ("stopped", "killed", "gone") or why not.
  asio::awaitable<std::string> stop_remote(const ServiceState& s, const SshShell& sh, int sig, Nanos grace) {
    SpawnOptions opts;  // named: see RemoteHosts::open
    opts.argv = sh.argv(stop_script(hosts->run_dir(), s.spec.name, sig, grace));
    auto r = co_await run_command(ex, std::move(opts), grace + std::chrono::seconds(30));
    if (r.status.success()) co_return last_ssh_message(r.out);
    co_return fmt::format("not stopped on host '{}': {}", sh.host(), last_ssh_message(r.err + r.out));
  }
  int escaped = 0;  ///< descendants killed at teardown outside their service's group

  Impl(asio::any_io_executor e, const RunClock& c, const Scenario& s, fs::path dir)
      : ex(e), clock(c), scenario(s), run_dir(std::move(dir)), stop_finished(e) {
    stop_finished.expires_at(asio::steady_timer::time_point::max());
  }

  void record(const ServiceState& s, std::string what, std::string detail = {}) {
    events.push_back(ServiceEvent{s.spec.name, std::move(what), clock.now(), std::move(detail)});
  }

  ServiceState* find(const std::string& name) {
    for (auto& s : services)
      if (s->spec.name == name) return s.get();
    return nullptr;
  }

  std::shared_ptr<ServiceState> find_shared(const std::string& name) {
    for (auto& s : services)
      if (s->spec.name == name) return s;
    return nullptr;
  }

  CloneError error(const ServiceState& s, const std::string& what) const {
    return CloneError(s.spec.name, what, read_tail(s.log, 20));
  }

  /// Starts the service's process; throws CloneError when it cannot start.
  void spawn(ServiceState& s) {
    // In its host's network namespace when the run has them: `ip netns
    // exec` enters it and execs the command, so the pid is the service's.
    SpawnOptions opts{join_cgroups_argv(cgroups[s.spec.name], in_netns(s.spec.netns, s.spec.command.argv)), s.spec.env, s.cwd, s.log};
    // On its [[host]]: through the host's connection, in its own group there.
    if (const SshShell* sh = remote(s)) opts = SpawnOptions{sh->argv(start_script(hosts->run_dir(), s.spec)), {}, s.cwd, s.log};
    try {
      s.child = Child::spawn(ex, opts);
    } catch (const std::exception& e) {
      record(s, "failed", e.what());
      throw error(s, fmt::format("service '{}' could not start: {}", s.spec.name, e.what()));
    }
    s.started_at = clock.now();
    record(s, "started", remote(s) ? fmt::format("pid {} (ssh to host '{}')", s.child->pid(), s.spec.host)
                                   : fmt::format("pid {}", s.child->pid()));
    if (on_started) on_started(s.spec.name, s.child->pid());
  }

  /// Polls the ready probe at its interval until ok, the deadline or a stop request.
  asio::awaitable<Readiness> poll_ready(const ServiceState& s, StopSource& stop, TimePoint deadline) {
    ProbeSpec probe = *s.spec.ready;
    const Nanos interval = probe.interval.count() > 0 ? probe.interval : Nanos(100ms);
    const TimePoint t0 = SteadyClock::now();
    Readiness r;
    r.detail = "no probe completed";
    for (std::int64_t k = 1;; ++k) {
      const auto remaining = std::chrono::duration_cast<Nanos>(deadline - SteadyClock::now());
      if (remaining <= Nanos::zero()) co_return r;
      ProbeSpec attempt = probe;
      attempt.timeout = std::min(probe.effective_timeout(), remaining);
      auto outcome = co_await run_probe_once(ex, attempt);
      r.detail = outcome.detail;
      if (outcome.ok) {
        r.ok = true;
        co_return r;
      }
      TimePoint next = t0 + std::chrono::duration_cast<SteadyClock::duration>(k * interval);
      while (next <= SteadyClock::now()) {  // a slow probe: skip the ticks it overran
        next += std::chrono::duration_cast<SteadyClock::duration>(interval);
        ++k;
      }
      if (!co_await stop.sleep_until(std::min(next, deadline))) {
        r.stopped = true;
        co_return r;
      }
    }
  }

  /// Awaits readiness of the freshly spawned service; throws CloneError.
  /// Returns false when the stop was requested meanwhile.
  asio::awaitable<bool> await_ready(ServiceState& s, StopSource& stop) {
    if (!s.spec.ready) {
      record(s, "ready", "no ready probe");
      co_return true;
    }
    const Nanos began = clock.now();
    const TimePoint deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(s.spec.ready_timeout);
    auto result = co_await (poll_ready(s, stop, deadline) || s.child->wait());
    if (result.index() == 1) {
      const auto& st = std::get<1>(result);
      record(s, "exited", st.describe());
      throw error(s, fmt::format("service '{}' exited before it became ready ({})", s.spec.name, st.describe()));
    }
    const auto& r = std::get<0>(result);
    if (r.stopped) co_return false;
    if (!r.ok)
      throw error(s, fmt::format("service '{}' did not become ready within {}: {}", s.spec.name,
                                 format_duration(s.spec.ready_timeout), r.detail));
    record(s, "ready", "after " + format_ms(clock.now() - began));
    co_return true;
  }

  static bool should_restart(RestartPolicy p, const ExitStatus& st) {
    return p == RestartPolicy::always || (p == RestartPolicy::on_failure && !st.success());
  }

  /// The delay before the next restart; resets after a long enough run.
  Nanos next_backoff(ServiceState& s, Nanos exited_at) {
    if (exited_at - s.started_at >= s.spec.backoff_max) s.consecutive_restarts = 0;
    Nanos delay = s.spec.backoff;
    for (int i = 0; i < s.consecutive_restarts && delay < s.spec.backoff_max; ++i) delay *= 2;
    ++s.consecutive_restarts;
    return std::min(delay, s.spec.backoff_max);
  }

  bool superseded(const ServiceState& s, std::uint64_t gen) const { return stopping || s.generation != gen; }

  /// Awaits each exit of the service and applies its restart policy, until
  /// the supervisor takes the service over (generation) or stops.
  static asio::awaitable<void> watch(std::shared_ptr<Impl> self, std::shared_ptr<ServiceState> s, std::uint64_t gen) {
    while (!self->superseded(*s, gen) && s->child) {
      Child* child = s->child.get();
      ExitStatus st;
      try {
        st = co_await child->wait();
      } catch (const std::exception&) {
        co_return;
      }
      if (self->superseded(*s, gen)) co_return;
      const Nanos exited_at = self->clock.now();
      self->record(*s, "exited", st.describe());
      try {
        if (const SshShell* sh = self->remote(*s)) co_await self->stop_remote(*s, *sh, SIGKILL, Nanos::zero());
        co_await child->stop(SIGKILL, Nanos::zero());  // whatever is left of its group
      } catch (const std::exception&) {
      }
      if (self->superseded(*s, gen)) co_return;
      s->child.reset();
      if (!should_restart(s->spec.restart, st)) co_return;
      const Nanos delay = self->next_backoff(*s, exited_at);
      self->record(*s, "restarting", "in " + format_duration(delay));
      if (!co_await self->no_more_restarts.sleep_for(delay)) co_return;
      if (self->superseded(*s, gen)) co_return;
      try {
        self->spawn(*s);
      } catch (const CloneError&) {
        co_return;  // recorded as "failed"
      }
    }
  }

  void supervise(const std::shared_ptr<ServiceState>& s) {
    asio::co_spawn(ex, watch(shared_from_this(), s, s->generation), asio::detached);
  }

  /// Stops one service as at teardown; records "stopped".
  asio::awaitable<void> stop_service(ServiceState& s) {
    ++s.generation;
    auto child = std::move(s.child);
    if (!child) co_return;
    if (const SshShell* sh = remote(s)) {
      // The remote group first: the local ssh then ends with the channel.
      const std::string said = co_await stop_remote(s, *sh, s.spec.stop_signal, s.spec.stop_grace);
      try {
        auto st = co_await child->stop(SIGTERM, std::chrono::seconds(2));
        record(s, "stopped", fmt::format("on host '{}': {} ({})", sh->host(), said, st.describe()));
      } catch (const std::exception& e) {
        record(s, "stopped", fmt::format("on host '{}': {} (forced: {})", sh->host(), said, e.what()));
      }
      co_return;
    }
    try {
      auto st = co_await child->stop(s.spec.stop_signal, s.spec.stop_grace);
      record(s, "stopped", st.describe());
    } catch (const std::exception& e) {
      record(s, "stopped", std::string("forced: ") + e.what());
    }
    // ~Child: SIGKILL and reap if anything went wrong above.
  }
};

Clone::Clone(asio::any_io_executor ex, const RunClock& clock, const Scenario& resolved, fs::path run_dir)
    : impl_(std::make_shared<Impl>(std::move(ex), clock, resolved, std::move(run_dir))) {
  fs::create_directories(impl_->run_dir / "logs");
  for (const ServiceSpec* spec : start_order(impl_->scenario)) {
    auto s = std::make_shared<ServiceState>();
    s->spec = *spec;
    s->log = impl_->run_dir / "logs" / (spec->name + ".log");
    s->cwd = spec->workdir.empty() ? impl_->run_dir / "services" / spec->name : fs::path(spec->workdir);
    fs::create_directories(s->cwd);
    impl_->services.push_back(std::move(s));
  }
}

Clone::~Clone() {
  impl_->stopping = true;
  impl_->no_more_restarts.request();
  for (auto it = impl_->services.rbegin(); it != impl_->services.rend(); ++it) {
    ++(*it)->generation;
    (*it)->child.reset();  // SIGKILL to the group, reaped synchronously
  }
}

asio::awaitable<void> Clone::start(StopSource& stop) {
  auto self = impl_;
  for (auto& s : self->services) {
    if (stop.requested() || self->stopping) co_return;
    if (s->spec.attach.attached()) {  // runs already: found, never started
      co_await self->attach(*s);
      continue;
    }
    self->spawn(*s);
    if (!co_await self->await_ready(*s, stop) || self->stopping) co_return;
    self->supervise(s);
  }
}

asio::awaitable<void> Clone::stop() {
  auto self = impl_;
  if (self->stopping) {
    // Another stop() is in progress or done: wait for it to finish.
    while (!self->stopped) {
      boost::system::error_code ec;
      co_await self->stop_finished.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return;
  }
  self->stopping = true;
  self->no_more_restarts.request();
  for (auto it = self->services.rbegin(); it != self->services.rend(); ++it) {
    try {
      co_await self->stop_service(**it);
    } catch (const std::exception&) {
      (*it)->child.reset();
    }
  }
  try {
    self->escaped += kill_remaining_descendants();
  } catch (const std::exception&) {
  }
  self->stopped = true;
  self->stop_finished.cancel();
}

std::optional<AttachedProcess> Clone::attached(const std::string& service) const {
  const ServiceState* s = impl_->find(service);
  return s ? s->attached : std::nullopt;
}

Child* Clone::current(const std::string& service) {
  ServiceState* s = impl_->find(service);
  if (!s || !s->child || !s->child->running()) return nullptr;
  return s->child.get();
}

asio::awaitable<void> Clone::restart(const std::string& service, StopSource& stop,
                                     std::optional<AttachedProcess> expected) {
  auto self = impl_;
  auto s = self->find_shared(service);
  if (!s) throw CloneError(service, fmt::format("no service named '{}'", service), "");
  if (self->stopping) throw CloneError(service, fmt::format("service '{}' cannot restart: the clone is stopping", service), "");
  if (s->spec.attach.attached()) {
    co_await self->restart_attached(*s, expected ? *expected : s->attached.value_or(AttachedProcess{}), stop);
    co_return;
  }
  co_await self->stop_service(*s);
  if (self->stopping) co_return;
  s->consecutive_restarts = 0;
  self->spawn(*s);
  if (!co_await self->await_ready(*s, stop) || self->stopping) co_return;
  self->supervise(s);
}

void Clone::use_hosts(const RemoteHosts* hosts) { impl_->hosts = hosts; }

void Clone::on_started(std::function<void(const std::string& service, pid_t pid)> cb) {
  impl_->on_started = std::move(cb);
}

int Clone::escaped() const { return impl_->escaped; }

void Clone::set_env(const std::string& service, const std::map<std::string, std::string>& env) {
  if (ServiceState* s = impl_->find(service))
    for (const auto& [k, v] : env) s->spec.env[k] = v;
}

void Clone::set_cgroup(const std::string& name, const std::vector<fs::path>& dirs) { impl_->cgroups[name] = dirs; }

std::vector<fs::path> Clone::cgroup(const std::string& name) const {
  const auto it = impl_->cgroups.find(name);
  return it == impl_->cgroups.end() ? std::vector<fs::path>{} : it->second;
}

std::map<std::string, std::string> Clone::env(const std::string& service) const {
  const ServiceState* s = impl_->find(service);
  return s ? s->spec.env : std::map<std::string, std::string>{};
}

fs::path Clone::dir(const std::string& service) const {
  const ServiceState* s = impl_->find(service);
  return s ? s->cwd : fs::path();
}

const std::vector<ServiceEvent>& Clone::events() const { return impl_->events; }

fs::path Clone::log_path(const std::string& service) const { return impl_->run_dir / "logs" / (service + ".log"); }

std::string Clone::log_tail(const std::string& service, int lines) const {
  return read_tail(log_path(service), lines);
}

}  // namespace faultline
