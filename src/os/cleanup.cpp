#include "os/cleanup.hpp"

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <string_view>
#include <fmt/format.h>
#include <thread>

#include "os/faketime.hpp"
#include "os/netns.hpp"
#include "os/process_signal.hpp"
#include "os/procfs.hpp"
#include "os/resource_cgroup.hpp"
#include "os/run_cgroup.hpp"
#include "os/run_mount.hpp"
#include "os/saved_copy.hpp"
#include "os/spawn.hpp"
#include "os/ssh.hpp"
#include "os/subprocess.hpp"

namespace faultline {

namespace {

bool stopped(pid_t p) {
  auto s = process_state(p);
  return s && (*s == 'T' || *s == 't');
}

/// SIGCONT to the recorded process (group) if it is still the one the run
/// paused; true when nothing is left stopped.
bool resume(const Undo& u) {
  if (!same_process(u.pid, u.start_time)) return true;  // gone: nothing left paused
  if (u.group)
    signal_group(u.pid, u.start_time, SIGCONT);
  else
    signal_process(u.pid, u.start_time, SIGCONT);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (;;) {
    bool any = false;
    for (pid_t p : u.group ? processes_in_group(u.pid) : std::vector<pid_t>{u.pid}) any |= stopped(p);
    if (!any) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // The kernel delivers SIGCONT asynchronously; re-read /proc shortly.
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

/// Why a command that ran failed ("" when it exited 0): it could not
/// start, it timed out (`timed_out`), or it ended otherwise (`ended`).
std::string failure_of(const SyncOutcome& o, const std::string& program, std::string_view timed_out,
                       const std::string& ended) {
  if (!o.started()) return fmt::format("could not start `{}`", program);
  if (o.timed_out) return std::string(timed_out);
  return o.status.success() ? std::string() : ended;
}

/// Runs a revert command to completion (its own process group, output to
/// /dev/null, killed after the timeout); true on exit 0.
bool run_revert(const Undo& u, std::string& why) {
  if (u.argv.empty()) return true;
  const SyncOutcome o = run_sync(u.argv, u.timeout, SyncOutput::discard);
  why = failure_of(o, u.argv[0], "timed out",
                   o.status.signal == 0 ? fmt::format("exit {}", o.status.code) : "killed by a signal");
  return why.empty();
}

/// Runs a host's cleanup (LedgerHost::cleanup) over a fresh ssh; true when
/// the run's directory is gone there.
bool clean_host(const LedgerHost& h, std::string& why) {
  if (h.cleanup.empty()) return true;
  const SyncOutcome o = run_sync(h.cleanup, std::chrono::seconds(60));
  why = failure_of(o, h.cleanup[0], "no answer within 60 s",
                   fmt::format("{}: {}", o.status.describe(), last_ssh_message(o.output)));
  return why.empty();
}

/// Step 1 of cleanup_run for one fault (not one on files): its undo, by
/// kind. True when done; else `why` says why not.
bool undo_fault(const LedgerFault& f, std::vector<std::string>& done, std::string& why) {
  bool ok = true;
  switch (f.undo.kind) {
    case Undo::Kind::none: break;
    case Undo::Kind::sigcont:
      ok = resume(f.undo);
      if (ok) done.push_back(fmt::format("fault '{}': SIGCONT to process {} ({})", f.fault, f.undo.pid,
                                         f.undo.group ? "group" : "leader"));
      else why = "still stopped after SIGCONT";
      break;
    case Undo::Kind::command:
      ok = run_revert(f.undo, why);
      if (ok)
        done.push_back(fmt::format("fault '{}': ran its revert command{}", f.fault,
                                   f.undo.host.empty() ? std::string() : " on host '" + f.undo.host + "'"));
      break;
    case Undo::Kind::nft_table:
      ok = remove_nft_table(f.undo.netns, f.undo.table, why);
      if (ok) done.push_back(fmt::format("fault '{}': nft table inet {} is gone", f.fault, f.undo.table));
      break;
    case Undo::Kind::restore:
    case Undo::Kind::remove: break;  // step 3a
    case Undo::Kind::qdisc:
      for (const auto& [ns, dev] : f.undo.qdiscs) ok = remove_root_qdisc(ns, dev, why) && ok;
      if (ok) done.push_back(fmt::format("fault '{}': qdisc removed from {} device(s)", f.fault, f.undo.qdiscs.size()));
      break;
  }
  return ok;
}

/// Whether a fault's undo acts on the files the run's services use, and so
/// waits until they are stopped (file.corrupt's restore, disk.full's filler).
bool undoes_files(const Undo& u) { return u.kind == Undo::Kind::restore || u.kind == Undo::Kind::remove; }

/// Undoes a fault on files (undoes_files): true when done.
bool undo_files(const LedgerFault& f, std::vector<std::string>& done, std::string& why) {
  if (f.undo.kind == Undo::Kind::restore) {
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::symlink_status(f.undo.saved, ec))) {
      done.push_back(fmt::format("fault '{}': {} was never saved, so never changed", f.fault, f.undo.path));
      return true;
    }
    why = restore_copy(f.undo.saved, f.undo.path);
    if (!why.empty()) return false;
    done.push_back(fmt::format("fault '{}': {} restored from {}", f.fault, f.undo.path, f.undo.saved));
    drop_copy(f.undo.saved);
    return true;
  }
  std::error_code ec;
  if (std::filesystem::remove(f.undo.path, ec))
    done.push_back(fmt::format("fault '{}': {} removed", f.fault, f.undo.path));
  if (ec) why = fmt::format("cannot remove {}: {}", f.undo.path, ec.message());
  return !ec;
}

/// Steps 3a and 3b of cleanup_run: the faults on files, newest first, then
/// the run's mounts, now that no process of the run holds them.
void clean_files_and_mounts(Ledger& l, CleanupReport& r) {
  for (auto it = l.faults.rbegin(); it != l.faults.rend(); ++it) {
    LedgerFault& f = *it;
    if (f.state == "reverted" || !undoes_files(f.undo)) continue;
    std::string why;
    if (!undo_files(f, r.done, why)) {
      r.failed.push_back(fmt::format("fault '{}' ({}): {}", f.fault, f.kind, why));
      continue;
    }
    f.state = "reverted";
    save_ledger(l);
  }
  for (auto it = l.mounts.rbegin(); it != l.mounts.rend(); ++it) {
    const bool was = is_mount_point(*it);
    if (const std::string why = unmount_run_mount(*it); !why.empty())
      r.failed.push_back(fmt::format("mount {}: {}", *it, why));
    else if (was)
      r.done.push_back(fmt::format("mount {}: unmounted", *it));
  }
}

}  // namespace

CleanupReport cleanup_run(Ledger& l) {
  CleanupReport r;
  // 1. Faults, newest first: the reverse of the order they were applied;
  // those on files wait for step 3a, when nothing of the run writes them.
  for (auto it = l.faults.rbegin(); it != l.faults.rend(); ++it) {
    LedgerFault& f = *it;
    if (f.state == "reverted" || undoes_files(f.undo)) continue;
    std::string why;
    const bool ok = undo_fault(f, r.done, why);
    if (!ok) {
      r.failed.push_back(fmt::format("fault '{}' ({}): {}", f.fault, f.kind, why));
      continue;
    }
    f.state = "reverted";
    save_ledger(l);  // an interrupted cleanup resumes after what is done
  }
  // 2. The clone's processes: only those that are still the ones the run
  // started (pid and start time), each with its whole process group.
  for (const auto& p : l.processes) {
    std::vector<pid_t> members = processes_in_group(p.pid);
    if (members.empty()) continue;
    // A reused pid that leads its own group is someone else's: left alone.
    if (!signal_group(p.pid, p.start_time, SIGKILL)) continue;
    r.done.push_back(fmt::format("service '{}': SIGKILL to process group {} ({} process(es))", p.service, p.pid,
                                 members.size()));
  }
  // 2b. The run's cgroup (run_cgroup.hpp): what the ledger did not know of.
  if (const int n = kill_run_cgroup(l.cgroup); n > 0)
    r.done.push_back(fmt::format("cgroup {}: SIGKILL to {} process(es)", l.cgroup, n));
  // 2e. The services' resource cgroups (resource_cgroup.hpp): what is left
  // in them killed, then removed.
  for (auto it = l.resource_cgroups.rbegin(); it != l.resource_cgroups.rend(); ++it) {
    std::error_code ec;
    const bool was = std::filesystem::is_directory(*it, ec);
    if (const std::string why = remove_service_cgroup(*it, 5000); !why.empty())
      r.failed.push_back(fmt::format("cgroup {}: {}", *it, why));
    else if (was)
      r.done.push_back(fmt::format("cgroup {}: removed", *it));
  }
  // 3a, 3b. Saved originals back, fillers removed, the run's mounts gone.
  clean_files_and_mounts(l, r);
  // 2c. The run's [[host]]s, now that no local ssh of the run is left (the
  // master and the services' ssh clients were in the groups and the cgroup
  // above): over a fresh connection, the service groups the run started
  // there and the run's directory; then the local control sockets' directory.
  for (const auto& h : l.hosts) {
    std::string why;
    if (clean_host(h, why))
      r.done.push_back(fmt::format("host '{}': the run's services stopped, {} removed", h.host, h.run_dir));
    else
      r.failed.push_back(fmt::format("host '{}': {} ({})", h.host, h.run_dir, why));
  }
  if (l.ssh_control_dir.starts_with("/tmp/flssh-")) {
    std::error_code ec;
    std::filesystem::remove_all(l.ssh_control_dir, ec);
  }
  // 2d. clock.skew's control files, now that no process of the run reads them.
  if (!l.control_files.empty()) {
    if (const std::string left = remove_faketime_controls(l.control_files); left.empty())
      r.done.push_back(fmt::format("clock.skew: {} control file(s) removed", l.control_files.size()));
    else
      r.failed.push_back("clock.skew control files: " + left.substr(0, left.size() - 1));
  }
  // 3. The run's network, once nothing runs in it any more: every namespace
  // named after its tag (and with them veths, routes and nft tables).
  if (!l.network_tag.empty()) {
    try {
      const auto deleted = tear_down(l.network_tag);
      if (!deleted.empty())
        r.done.push_back(fmt::format("network: deleted {} namespace(s) fl-{}*", deleted.size(), l.network_tag));
    } catch (const std::exception& e) {
      r.failed.push_back(fmt::format("network of run {}: {}", l.run_id, e.what()));
    }
  }
  if (r.ok()) finish_ledger(l);
  return r;
}

}  // namespace faultline
