// The checks `run` makes before it starts anything, and the leftovers that
// `cleanup` removes without a ledger. Each refusal is one line naming the
// flag, printed here; the caller exits 2.
#include "cli/run_start.hpp"

#include <fmt/format.h>

#include "os/atomic_file.hpp"
#include "os/cleaned_note.hpp"
#include "os/cleanup.hpp"
#include "os/host_caps.hpp"

namespace faultline {

namespace {

/// Whether a dead run's ledger says it never left a fault applied.
bool applied_nothing(const Ledger& l) {
  for (const auto& f : l.faults)
    if (f.state != "reverted") return false;
  return true;
}

}  // namespace

std::vector<std::pair<std::filesystem::path, Ledger>> dead_runs() {
  std::vector<std::pair<std::filesystem::path, Ledger>> out;
  std::vector<std::string> errors;
  for (auto& [path, l] : ledgers_in_state_dir(&errors)) {
    if (l.finished || l.harness_alive()) continue;
    if (!applied_nothing(l)) {
      out.emplace_back(path, std::move(l));
      continue;
    }
    CleanupReport r = cleanup_run(l);
    if (r.ok()) write_cleaned_note(l, "the start of a later run");
    fmt::print(stderr, "faultline: note: run {} of '{}' died before leaving any fault applied (ledger {}); {}\n",
               l.run_id, l.scenario, path.string(), r.ok() ? "resolved it" : "could not resolve it");
    for (const auto& d : r.done) fmt::print(stderr, "faultline: note:   {}\n", d);
    for (const auto& e : r.failed) fmt::print(stderr, "faultline: note:   LEFT BEHIND: {}\n", e);
    if (!r.ok()) out.emplace_back(path, std::move(l));
  }
  for (const auto& e : errors) fmt::print(stderr, "faultline: warning: {}\n", e);
  return out;
}

int cleanup_unowned(const std::vector<std::filesystem::path>& run_dirs, int& rc) {
  int removed = 0;
  std::vector<std::string> failed;
  for (const auto& ns : remove_stale_probe_namespaces(&failed)) {
    fmt::print("deleted network namespace {}: a capability probe's, whose process is gone\n", ns);
    ++removed;
  }
  for (const auto& f : failed) {
    fmt::print("LEFT BEHIND: probe namespace {}\n", f);
    rc = 4;
  }
  std::vector<std::filesystem::path> dirs = run_dirs;
  dirs.push_back(state_dir());
  dirs.push_back(".");
  for (const auto& dir : dirs)
    for (const auto& t : remove_stale_temporaries_in(dir)) {
      fmt::print("removed {}: a temporary file of a killed writer\n", t.string());
      ++removed;
    }
  return removed;
}

bool outputs_ok(const char* command, const std::vector<OutputFlag>& flags) {
  for (const auto& f : flags) {
    if (f.path.empty()) continue;
    if (const std::string why = output_path_problem(f.path, f.kind); !why.empty()) {
      fmt::print(stderr, "faultline {}: {}: {}\n", command, f.flag, why);
      return false;
    }
  }
  return true;
}

bool claim_out_dir(const std::string& out, bool force, std::optional<RunDirLock>& lock) {
  if (out.empty()) return true;
  std::string why;
  lock = RunDirLock::acquire(out, why);
  if (!lock) {
    fmt::print(stderr, "faultline run: --out: {}; choose another --out\n", why);
    return false;
  }
  const auto entries = run_dir_entries(out);
  if (entries.empty()) return true;
  std::string names;
  for (std::size_t i = 0; i < entries.size() && i < 5; ++i) names += (i ? ", " : "") + entries[i];
  if (entries.size() > 5) names += ", ...";
  if (!force) {
    fmt::print(stderr,
               "faultline run: --out: {} is not empty ({}): a run would start from what is there; choose a new "
               "directory, or add --force to empty it first\n",
               out, names);
    return false;
  }
  if (!looks_like_run_dir(out)) {
    fmt::print(stderr,
               "faultline run: --out: {} holds files that are not a faultline run's ({}): --force empties only run "
               "directories; choose another --out\n",
               out, names);
    return false;
  }
  return true;
}

}  // namespace faultline
