// resource.io — throttle a service's disk I/O, in bytes and in operations
// per second, on the block device that holds one of its paths, for
// `duration`.
//
// How it works: the service runs in a run-owned cgroup, as for resource.cpu
// (made before it starts, in the crash ledger first: src/run/run_cgroups.cpp),
// here one with the io controller. At prepare the fault finds the block
// device under `path` (relative to the service's directory, by default that
// directory itself; a path that does not exist yet is taken at its nearest
// existing parent): stat(2)'s st_dev, looked up in /sys/dev/block, a
// partition given as its whole disk, since the kernel throttles disks. A
// path on no block device (tmpfs, overlay, FUSE) cannot be throttled: the
// fault fails then (exit 4), saying so; an absolute path is checked already
// at validation. Inject reads the cgroup's limits on that device, then
// writes the fault's: on cgroup v2 `io.max` = "MAJ:MIN rbps=… wbps=… riops=…
// wiops=…", on cgroup v1 `blkio.throttle.{read,write}_{bps,iops}_device` =
// "MAJ:MIN N"; a key the fault does not give keeps the limit the cgroup had.
// The kernel's block throttle then holds every bio of the cgroup's
// processes to that device until the budget allows it: a service that reads
// or writes faster waits in read(2), write(2) and fsync(2).
//
// What it reaches: I/O the service's own processes submit. Direct I/O
// (O_DIRECT) always; buffered writes when the service's fsync(2) or
// fdatasync(2) writes them back (the flush is submitted by the caller);
// reads that miss the page cache. Buffered writes the kernel writes back
// later, on its own, are charged to the cgroup only on cgroup v2 with
// cgroup writeback; on v1 they are not throttled. Reads served from the
// page cache touch no device.
//
// Needs root and an io controller (v2's io, else v1's blkio hierarchy):
// refused at validation otherwise (the reason, and `faultline doctor`
// shows which controllers this host has).
//
// How it is undone: revert writes back the limits the cgroup had before the
// injection (in a fresh run cgroup: none, v2 "max", v1 rules removed); I/O
// the throttle was holding is released at once. The cgroup goes at the end
// of the run; should the harness die, the watchdog or `faultline cleanup`
// kills what is left in it and removes it, which also ends the throttle.
#include "fault_injectors/resource_io.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "fault_injectors/injector.hpp"
#include "fault_injectors/resource_fault.hpp"
#include "scenario/byte_size.hpp"
#include "system/clone.hpp"

namespace faultline {

namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kMinBps = 4096;
constexpr std::int64_t kMaxIops = 1'000'000'000;

/// `p`, or its nearest existing parent (a path the service creates later).
fs::path existing(fs::path p) {
  std::error_code ec;
  while (!p.empty() && !fs::exists(p, ec) && p != p.root_path()) p = p.parent_path();
  return p;
}

std::string limits_text(const IoLimits& l) {
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : ", ") + s; };
  if (l.read_bps) add(fmt::format("reads {}/s", format_size(*l.read_bps)));
  if (l.write_bps) add(fmt::format("writes {}/s", format_size(*l.write_bps)));
  if (l.read_iops) add(fmt::format("{} read op/s", *l.read_iops));
  if (l.write_iops) add(fmt::format("{} write op/s", *l.write_iops));
  return out.empty() ? std::string("unlimited") : out;
}

IoLimits limits_of(const ResourceIoParams& p) { return {p.read_bps, p.write_bps, p.read_iops, p.write_iops}; }

class ResourceIo final : public Injector {
 public:
  explicit ResourceIo(const FaultSpec& spec) : target_(spec.target), params_(spec.params.get<ResourceIoParams>()) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    controls_ = service_cgroup(ctx, target_);
    const fs::path dir = ctx.clone.dir(target_);
    const fs::path p(params_.path);
    path_ = params_.path.empty() ? dir : p.is_absolute() ? p : dir / p;
    std::string why;
    device_ = block_device_of(existing(path_), why);
    if (device_.empty())
      throw FaultError(fmt::format("cannot throttle the I/O of service '{}' under {}: {}", target_, path_.string(),
                                   why));
    co_return;
  }
  asio::awaitable<void> inject(InjectorContext&) override {
    try {
      previous_ = controls_->io_limits(device_);
      IoLimits want = previous_;
      const IoLimits mine = limits_of(params_);
      if (mine.read_bps) want.read_bps = mine.read_bps;
      if (mine.write_bps) want.write_bps = mine.write_bps;
      if (mine.read_iops) want.read_iops = mine.read_iops;
      if (mine.write_iops) want.write_iops = mine.write_iops;
      written_ = true;
      controls_->set_io(device_, want);
    } catch (const std::exception& e) {
      throw FaultError(fmt::format("cannot throttle the I/O of service '{}' on device {}: {}", target_, device_,
                                   e.what()));
    }
    co_return;
  }
  asio::awaitable<void> revert(InjectorContext&) override {
    if (!written_ || !controls_) co_return;
    try {
      controls_->set_io(device_, previous_);
    } catch (const std::exception& e) {
      throw FaultError(fmt::format("cannot lift the I/O throttle of service '{}' on device {}: {}", target_,
                                   device_, e.what()));
    }
    co_return;
  }
  bool reversible() const override { return true; }
  std::string describe() const override {
    return fmt::format("throttle the I/O of service '{}' on block device {} (holding {}) to {} ({})", target_,
                       device_.empty() ? std::string("?") : device_, path_.string(), limits_text(limits_of(params_)),
                       controls_ ? controls_->version() : std::string("cgroup"));
  }

 private:
  std::string target_;
  ResourceIoParams params_;
  std::unique_ptr<CgroupControls> controls_;
  fs::path path_;
  std::string device_;
  IoLimits previous_;
  bool written_ = false;
};

FaultParams read(ParamReader& r) {
  ResourceIoParams p;
  for (const char* key : {"read_bps", "write_bps"}) {
    const auto text = r.text(key);
    if (!text) continue;
    std::string error;
    const auto v = parse_size(*text, &error);
    if (!v) {
      p.bad.emplace_back(key, error);
      continue;
    }
    if (*v < kMinBps) {
      p.bad.emplace_back(key, fmt::format("{} '{}' is below 4 KiB per second: a single page would wait longer "
                                          "than a second",
                                          key, *text));
      continue;
    }
    (std::string(key) == "read_bps" ? p.read_bps : p.write_bps) = v;
  }
  p.read_iops = r.integer("read_iops", 1, kMaxIops);
  p.write_iops = r.integer("write_iops", 1, kMaxIops);
  if (const auto text = r.text("path")) p.path = *text;
  return p;
}

void check(FaultCheck& c) {
  const auto* p = c.fault().params.get_if<ResourceIoParams>();
  if (!p) return;
  for (const auto& [key, why] : p->bad) c.error(c.at(key), fmt::format("{}: {}", c.label(), why));
  const bool given = p->read_bps || p->write_bps || p->read_iops || p->write_iops;
  if (!given && p->bad.empty())
    c.error(c.at("kind"),
            fmt::format("{}: resource.io needs at least one limit: 'read_bps', 'write_bps', 'read_iops' or "
                        "'write_iops'",
                        c.label()));
  if (!p->path.empty() && fs::path(p->path).is_absolute()) {
    std::string why;
    if (block_device_of(existing(p->path), why).empty())
      c.error(c.at("path"), fmt::format("{}: 'path': {}", c.label(), why),
              "give a path on a disk (ext4, xfs, ... on a block device)");
  }
  check_cgroup_fault(c, CgroupController::io, "kind");
}

std::string describe(const FaultSpec& f) {
  const auto* p = f.params.get_if<ResourceIoParams>();
  return p ? fmt::format("throttle the I/O of '{}' to {} on the disk under {} (cgroup)", f.target,
                         limits_text(limits_of(*p)), p->path.empty() ? std::string("its directory") : p->path)
           : std::string();
}

std::vector<CgroupController> controllers(const FaultSpec&) { return {CgroupController::io}; }

}  // namespace

const InjectorKind& resource_io_kind() {
  static const InjectorKind kind{
      .kind =
          {
              .spec = {"resource.io",
                       "throttle the target service's disk I/O (bytes and operations per second) on the block "
                       "device holding 'path' for 'duration' (a run-owned cgroup: io.max or "
                       "blkio.throttle.*; root)",
                       true,
                       {
                           {"read_bps", "size", "",
                            "the most bytes per second its reads from the device may take: \"1MiB\" (at least "
                            "4 KiB)",
                            false},
                           {"write_bps", "size", "",
                            "the most bytes per second its writes to the device may take: \"512KiB\" (at least "
                            "4 KiB)",
                            false},
                           {"read_iops", "integer", "", "the most read operations per second, 1..1000000000",
                            false},
                           {"write_iops", "integer", "", "the most write operations per second, 1..1000000000",
                            false},
                           {"path", "string", "",
                            "a path of the service (relative to its directory, or absolute) whose block device is "
                            "throttled; default: the service's directory",
                            false},
                       }},
              .target = FaultTarget::service,
              .duration = FaultDuration::required,
              .duration_why = "needs to know how long to keep the service's I/O throttled",
              .read = &read,
              .check = &check,
              .describe = &describe,
          },
      .make = &make_injector_of<ResourceIo>,
      .cgroup = &controllers,
  };
  return kind;
}

}  // namespace faultline
