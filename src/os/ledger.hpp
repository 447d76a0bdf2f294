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
#include <optional>
#include <string>
#include <vector>

#include "os/atomic_file.hpp"
#include "scenario/duration.hpp"

namespace faultline {

/// How to undo a fault from outside the run that applied it.
struct Undo {
  /// nft_table: delete table `inet TABLE` in namespace `netns`; qdisc: delete
  /// the root qdisc of each (namespace, device) in `qdiscs`.
  enum class Kind { none, sigcont, command, nft_table, qdisc };
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
};

/// A process the run started (a service's process-group leader).
struct LedgerProcess {
  std::string service;
  pid_t pid = 0;
  unsigned long long start_time = 0;
};

/// One application of a fault.
struct LedgerFault {
  std::string id;      ///< unique within the run
  std::string fault;   ///< its name
  std::string kind;
  std::string state;   ///< "applying", "applied", "reverted"
  Undo undo;
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

  /// Whether the harness that wrote it is still running.
  bool harness_alive() const;
};

/// The per-user state directory holding the ledgers of unfinished runs.
std::filesystem::path state_dir();

/// The ledger as JSON text, and back (throws std::runtime_error naming the
/// problem for malformed input).
std::string ledger_to_json(const Ledger& l);
Ledger ledger_from_json(const std::string& text);

/// Writes the ledger to the run directory and the state directory
/// atomically. Throws std::runtime_error on failure: a run that cannot record
/// its intent must not apply the fault.
///
/// Which writes need `durable` (fsync, milliseconds on the run's only
/// thread, delaying probe ticks): only the intent written before a fault is
/// applied, since an exec fault's effect may outlive a power cut. Progress
/// written while the run measures (a process restarted, a fault applied or
/// reverted) is `crash_safe`: the watchdog and `faultline cleanup` see it at
/// once after the harness dies, and a power cut, which may bring back the
/// previous durable version, also takes away every process and kernel state
/// that version would make cleanup undo; re-reverting is idempotent.
void save_ledger(const Ledger& l, Durability durability = Durability::durable);

/// Marks the ledger finished in the run directory, removes it from the
/// state directory, and removes temporaries a killed writer left beside it.
void finish_ledger(Ledger& l);

/// Every ledger in the state directory, with the path it was read from.
/// Unreadable files are reported in `errors` and skipped.
std::vector<std::pair<std::filesystem::path, Ledger>> ledgers_in_state_dir(std::vector<std::string>* errors = nullptr);

}  // namespace faultline
