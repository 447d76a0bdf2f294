// The filesystems a run mounts for its faults before the clone starts
// (disk.full: a tmpfs of a declared size over a service's directory), each
// written to the crash ledger (durably) before it is mounted, and unmounted
// after the clone has stopped. Should the harness die, the watchdog and
// `faultline cleanup` unmount what the ledger lists (os/cleanup.cpp).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "os/ledger.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

/// Mounts, for each service that a fault's kind needs a filesystem for
/// (InjectorKind::filesystem), a tmpfs of that size at run_dir/services/NAME,
/// after adding it to `ledger.mounts` and saving the ledger. `log` hears one
/// line per mount. Throws std::runtime_error (nothing more is mounted then;
/// what was is in the ledger).
void mount_run_filesystems(const Scenario& s, const std::filesystem::path& run_dir, Ledger& ledger,
                           const std::function<void(const std::string&)>& log);

/// Unmounts every mount in `ledger.mounts`, newest first, removing each from
/// it once gone (the ledger is saved, crash-safe). Returns one line per mount
/// left behind; never throws.
std::vector<std::string> unmount_run_filesystems(Ledger& ledger);

}  // namespace faultline
