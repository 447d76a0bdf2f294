// The crash ledger: what a run has applied and started, written before each
// fault is applied (write, fsync, rename), so that whatever kills the
// harness (SIGKILL, OOM, a power cut of the CI runner) the faults can still
// be reverted and the clone stopped, by the watchdog or `faultline cleanup`.
//
// One JSON file per run, in the run directory and in a per-user state
// directory ($FAULTLINE_STATE_DIR, else $XDG_STATE_HOME/faultline, else
// ~/.local/state/faultline), named by run id. Processes are identified by
// pid *and* start time, so a recycled pid is never signalled.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "os/atomic_file.hpp"
#include "os/ledger_file.hpp"
#include "scenario/duration.hpp"

namespace faultline {

/// How to undo a fault from outside the run that applied it.
struct Undo {
  /// nft_table: delete table `inet TABLE` in namespace `netns`; qdisc: delete
  /// the root qdisc of each (namespace, device) in `qdiscs`; restore: put
  /// the saved original `saved` back at `path` (file.corrupt, saved_copy.hpp),
  /// after the run's processes are stopped; remove: delete `path` (disk.full's
  /// filler).
  enum class Kind { none, sigcont, command, nft_table, qdisc, restore, remove };
  Kind kind = Kind::none;
  pid_t pid = 0;                      ///< sigcont: the leader (== pgid when group)
  unsigned long long start_time = 0;  ///< sigcont: the leader's identity
  bool group = true;                  ///< sigcont: the whole process group
  std::vector<std::string> argv;      ///< command: the revert command
  Nanos timeout{30s};                 ///< command
  std::string netns;                  ///< nft_table: the namespace holding the table
  std::string table;                  ///< nft_table: its name (family inet)
  std::vector<std::pair<std::string, std::string>> qdiscs;  ///< qdisc: (namespace, device)
  /// command: the [[host]] the command acts on (its argv is the host's
  /// `ssh ... /bin/sh -c SCRIPT`, with paths and names, never a secret);
  /// "" = this machine.
  std::string host;
  std::string path;   ///< restore: the damaged file or directory; remove: the file to delete
  std::string saved;  ///< restore: the saved original (absent = nothing was changed yet)
};

/// A process the run started (a service's process-group leader).
struct LedgerProcess {
  std::string service;
  pid_t pid = 0;
  unsigned long long start_time = 0;
};

/// The run directory's and the state directory's copy of a ledger.
struct LedgerFiles {
  LedgerFile run_dir;
  LedgerFile state;
};

/// One application of a fault.
struct LedgerFault {
  std::string id;      ///< unique within the run
  std::string fault;   ///< its name
  std::string kind;
  std::string state;   ///< "applying", "applied", "reverted"
  Undo undo;
};

/// A [[host]] of the run (issue 14, docs/distributed.md): what the watchdog
/// and `faultline cleanup` run there should the harness die, over a fresh
/// ssh connection (the run's master dies with the run): stop every service
/// group the run started there that is still the one it started (the pid
/// and start time its pid file holds) and remove the run's directory.
struct LedgerHost {
  std::string host;                  ///< its name in the scenario
  std::string run_dir;               ///< the run's directory there (/tmp/faultline-RUNID)
  std::vector<std::string> cleanup;  ///< `ssh ... /bin/sh -c SCRIPT` (paths and names, never a secret)
};

/// Everything a run must be able to undo.
struct Ledger {
  std::string run_id;
  std::string scenario;
  std::string run_dir;
  pid_t harness_pid = 0;
  unsigned long long harness_start_time = 0;
  pid_t watchdog_pid = 0;  ///< 0 until the watchdog is started
  /// network = "namespaces": the tag naming every namespace of the run
  /// (fl-TAG, fl-TAG-*), written before the first one is created; "" = none.
  std::string network_tag;
  bool finished = false;  ///< the run ended and reverted everything itself
  std::vector<LedgerProcess> processes;
  std::vector<LedgerFault> faults;
  /// The harness's copies, held open with their space reserved from the
  /// start (reserve_ledger_files); null elsewhere (watchdog, cleanup).
  std::shared_ptr<LedgerFiles> files;
  /// The run's cgroup (run_cgroup.hpp), holding every process the run
  /// started; "" when the machine gave it none.
  std::string cgroup;
  /// The run's [[host]]s, written before the run's directory is made on
  /// any of them; empty = none.
  std::vector<LedgerHost> hosts;
  /// The local directory of the run's ssh control sockets (/tmp/flssh-*),
  /// removed by the watchdog and `cleanup`; "" = none.
  std::string ssh_control_dir;
  /// The mount points the run made (disk.full: a service's data directory
  /// on a tmpfs or loop-mounted image of a declared size), each written
  /// before it is mounted; the watchdog and `cleanup` unmount them once the
  /// run's processes are gone. Empty = none.
  std::vector<std::string> mounts;
  /// clock.skew's control files (run_dir/clock/SERVICE.faketime,
  /// faketime.hpp), written before they are made; removed at the end of the
  /// run, by the watchdog and by `cleanup`; empty = none.
  std::vector<std::string> control_files;
  /// The cgroups the run made for the services its resource faults act on
  /// (resource_cgroup.hpp: one directory per v1 hierarchy, or one v2),
  /// each written before it is made; the watchdog and `cleanup` kill what is
  /// left in them and remove them; empty = none.
  std::vector<std::string> resource_cgroups;

  /// Whether the harness that wrote it is still running.
  bool harness_alive() const;
};

/// The per-user state directory holding the ledgers of unfinished runs.
std::filesystem::path state_dir();

/// The ledger as JSON text, and back (throws std::runtime_error naming the
/// problem for malformed input).
std::string ledger_to_json(const Ledger& l);
Ledger ledger_from_json(const std::string& text);

/// Gives `l` its files (run directory and state directory), held open from
/// now on so that writing the ledger never needs a new descriptor
/// (ledger_file.hpp). Call before the first save_ledger.
void reserve_ledger_files(Ledger& l);

/// Writes the ledger to the run directory and the state directory,
/// atomically where the disk allows, else in place in the space reserved by
/// the previous write (ledger_file.hpp). Returns "" when both copies were
/// written atomically, else what was not (written in place, or a copy that
/// could not be written at all). Throws std::runtime_error when neither copy
/// could be written: a run that cannot record its intent must not apply the
/// fault; progress that cannot be recorded is reported and the run goes on.
///
/// Which writes need `durable` (fsync, milliseconds on the run's only
/// thread, delaying probe ticks): only the intent written before a fault is
/// applied, since an exec fault's effect may outlive a power cut. Progress
/// written while the run measures (a process restarted, a fault applied or
/// reverted) is `crash_safe`: the watchdog and `faultline cleanup` see it at
/// once after the harness dies, and a power cut, which may bring back the
/// previous durable version, also takes away every process and kernel state
/// that version would make cleanup undo; re-reverting is idempotent.
std::string save_ledger(const Ledger& l, Durability durability = Durability::durable);

/// Marks the ledger finished in the run directory, removes it from the
/// state directory, and removes temporaries a killed writer left beside it.
/// Never throws: the state directory's copy is removed even when the run
/// directory cannot be written. Returns "" or what could not be done.
std::string finish_ledger(Ledger& l);

/// The state directory's copy of the ledger of run `run_id`.
std::filesystem::path ledger_state_path(const std::string& run_id);

/// A run's ledger as the watchdog reads it, from its run directory's copy
/// and its state directory's copy: finished when the first says so (the
/// second is removed then), else whichever holds more (faults and processes
/// are only ever added: a copy that could not be written is behind). Throws
/// std::runtime_error when neither can be read.
Ledger read_latest_ledger(const std::filesystem::path& run_dir_copy, const std::filesystem::path& state_copy);

/// Every ledger in the state directory, with the path it was read from.
/// Unreadable files are reported in `errors` and skipped.
std::vector<std::pair<std::filesystem::path, Ledger>> ledgers_in_state_dir(std::vector<std::string>* errors = nullptr);

}  // namespace faultline
