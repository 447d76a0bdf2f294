// The run from start to teardown: setting up its clone, probes and guards,
// running its phases in order (main), its failures and stop conditions
// (fail, abort, a guard's breach), and the teardown that runs on every path
// (phase 5: revert, stop probing, stop the clone, the links, the network).
#include "run/run.hpp"

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>

#include "fault_injectors/clock_skew.hpp"
#include "fault_injectors/host_partition.hpp"
#include "fault_injectors/host_qdisc.hpp"
#include "measure/evidence.hpp"
#include "os/faketime.hpp"
#include "os/fd_reserve.hpp"
#include "os/procfs.hpp"
#include "run/run_cgroups.hpp"
#include "run/run_mounts.hpp"

namespace faultline {

asio::awaitable<void> Run::main() {
  try {
    start_network();                                                  // 1
    start_links();
    co_await start_hosts();
    co_await start_clone();                                           // 2
    stall_watch_->start();                                            // 3
    scheduler_->start(clock_.now());
    if (guards_) guards_->start(clock_.now());
    if (on_progress_ && !stop_.requested()) on_progress_(0);
    for (int it = 1; it <= iteration_count() && !stop_.requested(); ++it) {  // 4
      co_await iteration(it);
      if (on_progress_ && !stop_.requested()) on_progress_(it);
    }
  } catch (const Inconclusive& e) {
    fail(Outcome::inconclusive, e.what());
  } catch (const HarnessError& e) {
    fail(Outcome::harness_error, e.what());
  } catch (const std::exception& e) {
    fail(Outcome::harness_error, std::string("internal error: ") + e.what());
  }
  co_await shut_down();  // 5
}

std::vector<std::string> Run::still_applied() const {
  std::vector<std::string> out;
  for (const auto& a : applied_)
    out.push_back(fmt::format("fault '{}' ({}): {}", rec_.faults[a.event].fault, rec_.faults[a.event].kind,
                              a.injector->describe()));
  return out;
}

void Run::setup(const std::filesystem::path& run_dir, Ledger* ledger) {
  run_dir_ = run_dir;
  ledger_ = ledger;
  if (const char* h = std::getenv("FAULTLINE_TEST_BLOCK_IN"); h && *h) test_block_in_ = h;
  clone_ = std::make_unique<Clone>(io_.get_executor(), clock_, s_, run_dir);
  hosts_ = std::make_unique<RemoteHosts>(s_, rec_.run_id, run_dir / "logs");
  clone_->use_hosts(hosts_.get());
  if (!hosts_->empty()) remote_ = make_remote_context(s_, *hosts_, rec_.run_id, run_dir / "logs");
  // Every process the clone starts is in the ledger before it can matter.
  // Crash-safe, not fsynced: a restart by policy happens while recovery is
  // being measured, and an fsync there would delay the next probe ticks
  // (see save_ledger for why that is safe).
  clone_->on_started([this](const std::string& service, pid_t pid) {
    ledger_->processes.push_back({service, pid, process_start_time(pid).value_or(0)});
    save_progress();
  });
  scheduler_ = std::make_unique<ProbeScheduler>(io_.get_executor(), clock_, s_.probes);
  scheduler_->on_sample([this](std::size_t probe, const Sample& sample) { obs_.sample(probe, sample); });
  // Only the live console takes the probes' samples by callback (it redraws
  // every 100 ms); what measures reads series(), which is always current.
  scheduler_->set_callback_latency(10ms);
  // Guards run on their own schedule, beside the probes and never measured
  // with them: their first failed sample that is the system's answer is a
  // breach. A timeout the harness decided (it was stopped or starved when
  // the timeout fell due: measure/evidence.hpp) is not: the guard's next
  // sample decides.
  if (!s_.guards.empty()) {
    guards_ = std::make_unique<ProbeScheduler>(io_.get_executor(), clock_, s_.guards);
    guards_->on_sample([this](std::size_t guard, const Sample& sample) {
      if (sample.ok || breach_) return;
      const ProbeSpec& g = s_.guards[guard];
      if (harness_decided(sample, g.interval, g.effective_timeout(), stall_watch_->peek(), g.name)) return;
      guard_breached(guard, sample);
    });
  }
  params_ = MeasureParams{s_.recovered_after, s_.watch, s_.give_up_after, {}};
  // Wakes every fastest probe interval, at least every 10 ms (a 1 ms probe's
  // own ticks already see its thread's stalls) and at most every 100 ms.
  Nanos watch_period = 100ms;
  for (const auto& p : s_.probes) watch_period = std::min(watch_period, p.interval);
  stall_watch_ = std::make_unique<StallWatch>(clock_, std::max<Nanos>(watch_period, 10ms));
}

std::vector<HarnessStall> Run::take_stalls() {
  std::vector<HarnessStall> out = stall_watch_->take();
  for (auto& s : scheduler_->take_stalls()) out.push_back(std::move(s));
  if (guards_)
    for (auto& s : guards_->take_stalls()) out.push_back(std::move(s));
  std::stable_sort(out.begin(), out.end(), [](const HarnessStall& a, const HarnessStall& b) { return a.start < b.start; });
  return out;
}

void Run::abort(Outcome outcome, const std::string& why) {
  if (stop_.requested()) return;  // already stopping: the first reason stands
  fail(outcome, why);
  stop_.request();
}

RunOutputs Run::take_outputs() {
  RunOutputs out;
  out.windows = std::move(windows_);
  out.workload_runs = std::move(workload_runs_);
  if (guards_) out.guard_series = guards_->take_series();
  out.breach = breach_;
  return out;
}

void Run::guard_breached(std::size_t guard, const Sample& sample) {
  const std::string why =
      fmt::format("guard '{}' failed at {} ({}): the run was aborted and every fault reverted", s_.guards[guard].name,
                  format_ms(sample.end), sample.detail.empty() ? "no detail" : sample.detail);
  breach_ = GuardBreach{guard, why, sample.start};
  // A breach is the system's failure, like a missed objective (exit 1),
  // unless the run is already stopping for another reason.
  if (stop_.requested()) return;
  if (rec_.outcome == Outcome::passed) rec_.outcome = Outcome::failed;
  if (rec_.error.empty()) rec_.error = why;
  warn(why);
  stop_.request();
}

void Run::start_network() {
  if (!network_) return;
  phase(0, "building the network namespaces");
  try {
    bring_up(*network_);
  } catch (const NetworkError& e) {
    throw Inconclusive(std::string("the network namespaces could not be built: ") + e.what());
  }
  network_up_ = true;
  log(fmt::format("network: hub {} at {} (subnet {})", network_->hub, network_->hub_address, network_->subnet.text()));
  for (const auto& h : network_->hosts) {
    std::string svcs;
    for (const auto& n : h.services) svcs += (svcs.empty() ? "" : ", ") + n;
    log(fmt::format("network: host '{}' ({}) in {} at {}", h.name, svcs, h.netns, h.address));
  }
}

asio::awaitable<void> Run::start_clone() {
  phase(0, "starting the clone");
  log(fmt::format("starting {} service(s) in {}", s_.services.size(), run_dir_.string()));
  arm_clock();
  try {
    // Run-owned filesystems (disk.full) under the services' directories first.
    mount_run_filesystems(s_, run_dir_, *ledger_, [this](const std::string& line) { log(line); });
  } catch (const std::exception& e) {
    throw Inconclusive(fmt::format("cannot mount the run's filesystems (nothing was started): {}", e.what()));
  }
  try {
    // Resource faults' cgroups, so that every process of their services starts inside.
    make_run_cgroups(s_, ledger_->run_id, ledger_->cgroup, *clone_, *ledger_, [this](const std::string& line) { log(line); });
  } catch (const std::exception& e) {
    throw Inconclusive(fmt::format("cannot make the services' cgroups (nothing was started): {}", e.what()));
  }
  try {
    co_await clone_->start(stop_);
  } catch (const CloneError& e) {
    std::string msg = e.what();
    msg += clock_skew_start_note(s_, e.service);
    if (!e.log_tail.empty()) msg += fmt::format("\n--- last lines of {} ---\n{}", clone_->log_path(e.service).string(), e.log_tail);
    throw Inconclusive(msg);
  }
  if (!stop_.requested()) log("clone ready");
}

void Run::arm_clock() {
  const auto services = clock_skew_services(s_);
  if (services.empty()) return;
  // The control files go into the crash ledger before they are made.
  for (const auto& name : services) ledger_->control_files.push_back(clock_control_path(run_dir_, name).string());
  try {
    ledger_note(save_ledger(*ledger_));
    arm_clock_skew(*clone_, s_, run_dir_);
  } catch (const std::exception& e) {
    throw Inconclusive(fmt::format("clock.skew cannot be prepared (nothing was started): {}", e.what()));
  }
  log(fmt::format("clock.skew: libfaketime preloaded in {} service(s), control files in {}", services.size(),
                  (run_dir_ / "clock").string()));
}

asio::awaitable<void> Run::shut_down() {
  phase(0, "reverting what is applied, stopping the clone");
  release_reserved_descriptors();  // the teardown may need them (fd_reserve.hpp)
  // Nothing here may end the teardown early: an unexpected error in one
  // revert is recorded and the rest goes on (an io_context left with the
  // probes running would never return, deaf to signals).
  while (!applied_.empty()) {
    const std::size_t event = applied_.back().event;
    try {
      co_await revert(applied_.back());
    } catch (const std::exception& e) {
      rec_.left_behind.push_back(fmt::format("{}: {}", rec_.faults[event].fault, e.what()));
      fail(Outcome::harness_error, fmt::format("fault '{}' could not be reverted: {}", rec_.faults[event].fault, e.what()));
      std::erase_if(applied_, [&](const Applied& x) { return x.event == event; });
    }
  }
  scheduler_->stop();
  co_await scheduler_->drain();
  if (guards_) {
    guards_->stop();
    co_await guards_->drain();
  }
  stall_watch_->stop();
  warn_stalls();
  co_await clone_->stop();
  if (const int n = clone_->escaped(); n > 0)
    warn(fmt::format("{} process(es) had left their service's process group (setsid or a daemon's fork); killed at "
                     "teardown",
                     n));
  log("clone stopped");
  for (const auto& left : remove_run_cgroups(*ledger_)) {
    rec_.left_behind.push_back(left);
    fail(Outcome::harness_error, left);
  }
  for (const auto& left : unmount_run_filesystems(*ledger_)) {
    rec_.left_behind.push_back(left);
    fail(Outcome::harness_error, left);
  }
  if (!ledger_->control_files.empty())
    if (const std::string left = remove_faketime_controls(ledger_->control_files); !left.empty())
      rec_.left_behind.push_back("clock.skew control files: " + left.substr(0, left.size() - 1));
  links_.stop();
  stop_hosts();
  stop_network();
}

asio::awaitable<void> Run::start_hosts() {
  if (hosts_->empty()) co_return;
  // The hosts go into the crash ledger before anything is made on them:
  // should the harness die, the watchdog or `faultline cleanup` stops what
  // the run started there and removes its directory (over a fresh ssh).
  ledger_->hosts = hosts_->ledger_hosts();
  ledger_->ssh_control_dir = hosts_->control_dir();
  try {
    ledger_note(save_ledger(*ledger_));
  } catch (const std::exception& e) {
    throw Inconclusive(fmt::format("cannot write the crash ledger (nothing was started on the hosts): {}", e.what()));
  }
  phase(0, "connecting to the hosts");
  const std::string failed = co_await hosts_->open(io_.get_executor(), stop_, std::chrono::seconds(30));
  if (!failed.empty()) {
    std::string msg = "cannot reach every host (nothing was started):\n" + failed;
    if (msg.back() == '\n') msg.pop_back();
    throw Inconclusive(msg);
  }
  // A partition across hosts needs nft on each of its hosts: known now, before any fault.
  const std::string missing = co_await missing_partition_tools(
      io_.get_executor(), s_, [this](const std::string& h) -> const RemoteShell* { return hosts_->shell(h); });
  const std::string no_tc = co_await missing_qdisc_tools(
      io_.get_executor(), s_, [this](const std::string& h) -> const RemoteShell* { return hosts_->shell(h); });
  if (!missing.empty() || !no_tc.empty())
    throw Inconclusive("a fault cannot act on every host (no fault was applied):\n" +
                       (missing + no_tc).substr(0, missing.size() + no_tc.size() - 1));
  log(fmt::format("connected to {} host(s); run directory {} on each", s_.hosts.size(), hosts_->run_dir()));
}

void Run::stop_hosts() {
  if (!hosts_ || hosts_->empty()) return;
  for (const auto& left : hosts_->close()) {
    rec_.left_behind.push_back(left);
    fail(Outcome::harness_error, left);
  }
}

void Run::warn_stalls() {
  Nanos longest{0};
  std::size_t n = 0;
  for (const auto& st : stall_watch_->peek()) {
    n += st.count;
    longest = std::max(longest, st.longest_stall());
  }
  if (n == 0) return;
  warn(fmt::format("the harness itself did not run on schedule {} time(s) (longest {}): it was stopped or "
                   "starved of CPU; figures near those times are less certain",
                   n, format_ms(longest)));
}

void Run::stop_network() {
  if (!network_ || !network_up_) return;
  try {
    const auto deleted = tear_down(network_->tag);
    log(fmt::format("network: deleted {} namespace(s)", deleted.size()));
  } catch (const std::exception& e) {
    rec_.left_behind.push_back(std::string("network: ") + e.what());
    fail(Outcome::harness_error, std::string("the network namespaces could not be deleted: ") + e.what());
  }
  network_up_ = false;
}

void Run::fail(Outcome o, const std::string& why) {
  // The first failure is the one to report; later ones are consequences.
  if (rec_.outcome == Outcome::passed || rec_.outcome == Outcome::failed) {
    rec_.outcome = o;
    rec_.error = why;
  }
  warn(why);
}

void Run::start_links() {
  links_.start(io_.get_executor(), s_, clock_);
  for (const auto& l : s_.links) log(fmt::format("link '{}' forwards {{link.{}}} to {}", l.name, l.name, l.to));
}

}  // namespace faultline
