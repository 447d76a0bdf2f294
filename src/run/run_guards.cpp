#include "run/run_guards.hpp"

#include <unistd.h>

#include <csignal>
#include <fmt/format.h>

#include "os/fd_reserve.hpp"
#include "os/process_signal.hpp"
#include "os/procfs.hpp"
#include "os/run_cgroup.hpp"
#include "os/stop.hpp"
#include "os/subprocess.hpp"
#include "run/runner.hpp"
#include "scenario/signals.hpp"

namespace faultline {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

/// The third signal: print what is left, kill our children's process groups
/// (the clone and any command in flight: the watchdog reverts from the
/// ledger and would stop the clone anyway, and a revert command cut short is
/// run again from the ledger), and exit without touching the ledger.
[[noreturn]] void force_exit(const std::vector<std::string>& left, const Ledger& ledger, int sig) {
  std::string msg = fmt::format("faultline: third signal: exiting now without finishing the revert.\n");
  if (left.empty()) msg += "faultline: no fault is left applied.\n";
  for (const auto& l : left) msg += fmt::format("faultline: LEFT APPLIED: {}\n", l);
  for (const auto& p : ledger.processes)
    if (same_process(p.pid, p.start_time))
      msg += fmt::format("faultline: LEFT RUNNING: service '{}' (process group {}), killed now\n", p.service, p.pid);
  msg += fmt::format(
      "faultline: the watchdog (pid {}) reverts what is left from the ledger; if it cannot, run `faultline cleanup "
      "--run {}`\n",
      ledger.watchdog_pid, ledger.run_id);
  if (::write(STDERR_FILENO, msg.data(), msg.size()) < 0) {
    // nothing more we can do about a closed stderr
  }
  // Every descendant (the clone, a command in flight) is killed; the
  // watchdog is not one (watchdog.hpp), and the faults stay in the ledger.
  kill_remaining_descendants();
  ::_exit(sig == SIGINT ? 130 : 143);
}

}  // namespace

bool interrupted_by_signal() { return g_interrupted != 0; }

ProcessGuards::ProcessGuards(asio::io_context& io, Run& run, const PreparedRun& prepared)
    : signals_(io, SIGINT, SIGTERM, SIGHUP), run_(run) {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) { on_signal(ec, sig); });
  // The crash ledger and its watchdog come first: from now on, whatever
  // kills this process, what the run applied and started can be undone. The
  // watchdog must be started before this process becomes a subreaper, so
  // that it is adopted outside our tree (see watchdog.hpp).
  ledger_.run_id = prepared.rec.run_id;
  ledger_.scenario = prepared.rec.scenario_name;
  ledger_.run_dir = prepared.dir.string();
  ledger_.harness_pid = ::getpid();
  ledger_.harness_start_time = process_start_time(::getpid()).value_or(0);
  if (prepared.network) ledger_.network_tag = prepared.network->tag;
  // Its files are held open from now on, their space reserved: recording
  // the run's progress needs neither a free block nor a free descriptor.
  reserve_ledger_files(ledger_);
  save_ledger(ledger_);
  try {
    watchdog_.emplace(Watchdog::start(prepared.dir / "ledger.json", ledger_state_path(ledger_.run_id),
                                      prepared.dir / "logs" / "watchdog.log"));
    ledger_.watchdog_pid = watchdog_->pid();
    protect_pid(watchdog_->pid());  // never a target of this run's signals
    // Into the run's cgroup, the watchdog left outside: every process started
    // from now on is in it before its first instruction (run_cgroup.hpp).
    std::string why;
    ledger_.cgroup = enter_run_cgroup(ledger_.run_id, why).string();
    if (!ledger_.cgroup.empty()) cgroup_parent_procs_.reset(open_parent_procs(ledger_.cgroup));
    if (ledger_.cgroup.empty())
      run.log("no cgroup for the run (" + why + "): the watchdog finds the run's processes by the ledger alone");
    save_ledger(ledger_);
  } catch (...) {
    // Nothing was applied or started yet: a start that fails here (no
    // process or descriptor for the watchdog) must not leave a ledger that
    // blocks the next run. The watchdog, if it did start, sees it finished.
    try {
      finish_ledger(ledger_);
    } catch (...) {
      // the ledger could not be resolved: the next run resolves it (it applied nothing)
    }
    throw;
  }
  // A stop signal that came before the handling above was installed (os/stop.hpp).
  if (const int sig = early_stop_signal()) {
    g_interrupted = 1;
    ++signals_received_;
    run_.warn(fmt::format("received {}, reverting faults and stopping", signal_name(sig)));
    run_.stop().request(sig);
  }
  // Every child from now on is reported to the watchdog, which stops those
  // still running should this process die (watchdog.hpp). The destructor
  // removes the observer before the watchdog object goes, on every path out.
  set_spawn_observer([this](pid_t pid, bool alive) { watchdog_->report(pid, alive); });
  become_subreaper();
  // Descriptors for the revert, should the run exhaust them (fd_reserve.hpp).
  reserve_descriptors();
}

ProcessGuards::~ProcessGuards() {
  set_spawn_observer(nullptr);
  // Out of the cgroup before the watchdog is released: it kills what is in it.
  leave_cgroup();
}

void ProcessGuards::leave_cgroup() {
  if (ledger_.cgroup.empty() || left_cgroup_) return;
  left_cgroup_ = true;
  // Anything still in it escaped the teardown: stopped here, and said.
  const auto left = cgroup_processes(ledger_.cgroup);
  // Out first (it would kill this process too), then whatever is left.
  if (!leave_run_cgroup(ledger_.cgroup, cgroup_parent_procs_.get())) kill_run_cgroup(ledger_.cgroup);
  if (!left.empty())
    run_.warn(fmt::format("{} process(es) of the run outlived its teardown (they had left their service's process "
                          "tree); killed",
                          left.size()));
  std::error_code ec;
  if (std::filesystem::exists(ledger_.cgroup, ec))
    run_.warn("the run's cgroup " + ledger_.cgroup + " could not be removed");
}

void ProcessGuards::finish(bool resolved) {
  leave_cgroup();
  // A mount still listed (an unmount that never ran: an exception out of
  // the teardown) keeps the ledger open, so that the watchdog unmounts it.
  if (resolved && ledger_.mounts.empty()) {
    if (const std::string note = finish_ledger(ledger_); !note.empty())
      run_.warn("the crash ledger could not be marked finished everywhere: " + note);
  }
  watchdog_->release();
}

void ProcessGuards::on_signal(const boost::system::error_code& ec, int sig) {
  if (ec) return;
  g_interrupted = 1;
  StopSource& stop = run_.stop();
  if (++signals_received_ >= 3) force_exit(run_.still_applied(), ledger_, stop.signal() ? stop.signal() : sig);
  if (!stop.requested()) run_.warn(fmt::format("received {}, reverting faults and stopping", signal_name(sig)));
  else if (signals_received_ == 2)
    run_.warn(fmt::format("received {} again: still reverting; a third signal exits at once and leaves the rest "
                          "to the watchdog",
                          signal_name(sig)));
  stop.request(sig);
  signals_.async_wait([this](const boost::system::error_code& e, int s) { on_signal(e, s); });
}

}  // namespace faultline
