#include "run/run_mounts.hpp"

#include <fmt/format.h>
#include <set>

#include "fault_injectors/file_io.hpp"
#include "fault_injectors/injector.hpp"
#include "os/iofs.hpp"
#include "os/run_mount.hpp"
#include "scenario/byte_size.hpp"

namespace faultline {

namespace fs = std::filesystem;

void mount_run_filesystems(const Scenario& s, const fs::path& run_dir, Ledger& ledger,
                           const std::function<void(const std::string&)>& log) {
  std::set<std::string> done;
  for (const FaultSpec& f : s.faults) {
    const InjectorKind* kind = nullptr;
    for (const InjectorKind* k : injector_kinds())
      if (k->kind.spec.name == f.kind) kind = k;
    if (!kind || !kind->filesystem || done.contains(f.target)) continue;
    const std::int64_t size = kind->filesystem(f);
    const fs::path dir = run_dir / "services" / f.target;
    fs::create_directories(dir);
    // In the ledger before it exists: whatever happens next, it is unmounted.
    ledger.mounts.push_back(dir.string());
    save_ledger(ledger);
    mount_run_tmpfs(dir, size);
    done.insert(f.target);
    log(fmt::format("service '{}': its directory {} is a tmpfs of {} (for fault '{}')", f.target,
                    dir.string(), format_size(size), f.name));
  }
  // Then the passthrough filesystems (file.io), over any tmpfs: their
  // operations reach the tmpfs underneath.
  std::set<std::string> served;
  for (const FaultSpec& f : s.faults) {
    if (!f.params.holds<FileIoParams>() || served.contains(f.target)) continue;
    const fs::path dir = run_dir / "services" / f.target;
    fs::create_directories(dir);
    ledger.mounts.push_back(dir.string());
    save_ledger(ledger);
    serve_iofs(dir);
    served.insert(f.target);
    log(fmt::format("service '{}': its directory {} is served through a FUSE passthrough "
                    "filesystem (for fault '{}')",
                    f.target, dir.string(), f.name));
  }
}

std::vector<std::string> unmount_run_filesystems(Ledger& ledger) {
  std::vector<std::string> left;
  while (!ledger.mounts.empty()) {
    const std::string dir = ledger.mounts.back();
    if (const std::string why = unmount_run_mount(dir); !why.empty()) {
      left.push_back(fmt::format("mount {}: {}", dir, why));
      break;  // kept in the ledger for the watchdog and cleanup
    }
    stop_iofs(dir);  // a passthrough's serving thread, once its mount is gone
    ledger.mounts.pop_back();
    try {
      save_ledger(ledger, Durability::crash_safe);
    } catch (const std::exception&) {
      // The watchdog would find it unmounted already: unmounting is idempotent.
    }
  }
  return left;
}

}  // namespace faultline
