// What `run` checks before it starts anything (issue 16): every output path,
// the ownership of its run directory (--out, --force), and the ledgers of
// dead runs (those that applied nothing are resolved with a note); and what
// `cleanup` removes that no ledger names (namespaces of killed capability
// probes, temporaries of killed writers).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "os/ledger.hpp"
#include "os/output_path.hpp"
#include "os/run_dir_lock.hpp"

namespace faultline {

/// An output flag and what it names.
struct OutputFlag {
  const char* flag;  ///< "--json"
  std::string path;  ///< "" = not given
  OutputKind kind;
};

/// Checks every given output path (output_path.hpp); prints
/// "faultline COMMAND: FLAG: why" for the first that cannot be written and
/// returns false.
bool outputs_ok(const char* command, const std::vector<OutputFlag>& flags);

/// --out: takes the run directory's lock (held in `lock` for the whole
/// command) and refuses a directory that holds anything, unless `force` and
/// it looks like a run directory (the caller empties it once nothing else
/// can refuse the run). Prints why and returns false when refused.
bool claim_out_dir(const std::string& out, bool force, std::optional<RunDirLock>& lock);

/// Ledgers of runs whose harness died and that may have left a fault
/// applied. A dead run whose ledger shows no fault left applied (it died
/// starting up, or between faults) is resolved here with a note: what it
/// may have left (its clone's processes, its namespaces) is only its own.
/// Unreadable ledgers are named in a warning.
std::vector<std::pair<std::filesystem::path, Ledger>> dead_runs();

/// Leftovers no ledger names: namespaces of killed capability probes and
/// temporaries of killed writers (in the state directory, `run_dirs` and
/// the current directory). Prints each; returns how many were removed and
/// sets `rc` to 4 when one could not be.
int cleanup_unowned(const std::vector<std::filesystem::path>& run_dirs, int& rc);

}  // namespace faultline
