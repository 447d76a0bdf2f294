// disk.full — fill the filesystem a service keeps its data on, then free it.
//
// What it may fill: only a filesystem the run made for it. A scenario with a
// disk.full fault on service S gets S's directory in the run directory
// (run_dir/services/S) on a tmpfs of the declared `size`, mounted by the run
// before the clone starts (src/run/run_mounts.cpp) and recorded in the crash
// ledger before it exists (Ledger::mounts), so that the run's teardown, the
// watchdog and `faultline cleanup` unmount it on every exit path. Mounting
// needs root (CAP_SYS_ADMIN): without it the fault is refused at validation
// with the reason, and `faultline doctor` says so (src/os/host_caps.cpp).
// Like file.corrupt, it refuses a service with a `workdir` of its own, an
// attached one and one on a [[host]].
//
// How it works: inject reads the filesystem's free space (statvfs) and
// writes one filler file, `.faultline-fill-N` in the service's directory,
// of the size that leaves the `level` asked for: "100%" (nothing free),
// "95%" (5% of the size free) or "free=1MiB". The filler is allocated with
// fallocate and, where the kernel refuses the last blocks, topped up by
// writes until ENOSPC, so that "100%" is full to the last byte the service
// could get. The record says how much was filled and what was left free.
//
// How it is undone: the filler's path is in the crash ledger (undo kind
// `remove`) before it is created; revert removes it and reads the free
// space back. The watchdog and `faultline cleanup` remove it too, and then
// unmount the tmpfs, which frees everything in any case.
#include "fault_injectors/disk_full.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "fault_injectors/injector.hpp"
#include "os/fd.hpp"
#include "os/run_mount.hpp"
#include "scenario/byte_size.hpp"

namespace faultline {

namespace fs = std::filesystem;

namespace {

/// "100%", "95%", "free=1MiB".
bool parse_level(const std::string& text, DiskFullParams& p, std::string& error) {
  if (text.starts_with("free=")) {
    auto free = parse_size(text.substr(5), &error);
    if (!free) return false;
    p.free = *free;
    return true;
  }
  if (text.size() >= 2 && text.back() == '%') {
    try {
      std::size_t used = 0;
      const double v = std::stod(text.substr(0, text.size() - 1), &used);
      if (used == text.size() - 1 && v > 0 && v <= 100) {
        p.percent = v;
        return true;
      }
    } catch (const std::exception&) {
    }
  }
  error = fmt::format(
      "invalid level '{}': write a percentage of the size used, \"100%\" or \"95%\" (above 0, at "
      "most 100), or the space left free, \"free=1MiB\"",
      text);
  return false;
}

class DiskFull final : public Injector {
 public:
  explicit DiskFull(const FaultSpec& spec)
      : target_(spec.target), params_(spec.params.get<DiskFullParams>()) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    if (ctx.run_dir.empty()) throw FaultError("disk.full needs the run directory");
    dir_ = ctx.run_dir / "services" / target_;
    if (!is_mount_point(dir_))
      throw FaultError(fmt::format(
          "{} is not the run's filesystem (not mounted): refusing to fill it", dir_.string()));
    filler_ = dir_ / fmt::format(".faultline-fill-{}", ctx.event);
    co_return;
  }

  asio::awaitable<void> inject(InjectorContext&) override {
    try {
      const FsSpace before = filesystem_space(dir_);
      const std::int64_t keep_free =
          params_.free ? *params_.free
                       : static_cast<std::int64_t>(static_cast<double>(before.size) *
                                                   (100 - params_.percent) / 100);
      const std::int64_t want = std::max<std::int64_t>(0, before.free - keep_free);
      UniqueFd fd(::open(filler_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
      if (!fd)
        throw std::runtime_error(
            fmt::format("cannot create {}: {}", filler_.string(), std::strerror(errno)));
      created_ = true;
      filled_ = fill(fd.get(), want);
      free_after_ = filesystem_space(dir_).free;
    } catch (const std::exception& e) {
      throw FaultError(fmt::format("disk.full on service '{}': {}", target_, e.what()));
    }
    co_return;
  }

  asio::awaitable<void> revert(InjectorContext&) override {
    if (!created_) co_return;
    std::error_code ec;
    fs::remove(filler_, ec);
    if (ec) throw FaultError(fmt::format("cannot remove {}: {}", filler_.string(), ec.message()));
    created_ = false;
    co_return;
  }

  bool reversible() const override { return true; }

  Undo undo_plan(InjectorContext&) const override {
    Undo u;
    u.kind = Undo::Kind::remove;
    u.path = filler_.string();
    return u;
  }

  std::string describe() const override {
    return fmt::format("fill service '{}''s {} filesystem to {} with {}", target_,
                       format_size(params_.size), params_.level, filler_.filename().string());
  }

  FaultDone done() const override {
    DataDamage d;
    d.mode = "fill";
    d.path = filler_.filename().string();
    d.files = 1;
    d.bytes_added = filled_;
    return {fmt::format("filled {} ({} bytes); {} left free", format_size(filled_), filled_,
                        format_size(free_after_)),
            d};
  }

 private:
  /// Allocates `want` bytes in `fd`; where the kernel refuses (the last
  /// blocks of a full tmpfs), writes until ENOSPC. Returns the bytes held.
  std::int64_t fill(int fd, std::int64_t want) {
    if (want <= 0) return 0;
    if (::fallocate(fd, 0, 0, want) == 0) return want;
    if (errno != ENOSPC && errno != EOPNOTSUPP)
      throw std::runtime_error(
          fmt::format("cannot fill {}: {}", filler_.string(), std::strerror(errno)));
    static const std::string chunk(1 << 16, '\0');
    std::int64_t done = 0;
    while (done < want) {
      const auto n = static_cast<std::size_t>(
          std::min<std::int64_t>(want - done, static_cast<std::int64_t>(chunk.size())));
      const ssize_t w = ::pwrite(fd, chunk.data(), n, done);
      if (w > 0) {
        done += w;
        continue;
      }
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno != ENOSPC)
        throw std::runtime_error(
            fmt::format("cannot fill {}: {}", filler_.string(), std::strerror(errno)));
      break;  // full
    }
    return done;
  }

  std::string target_;
  DiskFullParams params_;
  fs::path dir_;
  fs::path filler_;
  bool created_ = false;
  std::int64_t filled_ = 0;
  std::int64_t free_after_ = 0;
};

FaultParams read(ParamReader& r) {
  DiskFullParams p;
  if (r.require("size")) {
    if (const auto text = r.text("size")) {
      std::string error;
      if (auto size = parse_size(*text, &error); size && *size >= 4096)
        p.size = *size;
      else
        p.bad.emplace_back(
            "size",
            size ? fmt::format("size '{}' is below 4 KiB: a tmpfs needs at least a page", *text)
                 : error);
    }
  }
  if (const auto level = r.text("level")) {
    p.level = *level;
    std::string error;
    if (!parse_level(*level, p, error)) p.bad.emplace_back("level", error);
  }
  return p;
}

void check(FaultCheck& c) {
  const auto* p = c.fault().params.get_if<DiskFullParams>();
  if (!p) return;
  for (const auto& [key, message] : p->bad)
    c.error(c.at(key), fmt::format("{}: {}", c.label(), message));
  if (p->free && p->size && *p->free >= p->size)
    c.error(c.at("level"),
            fmt::format("{}: level '{}' leaves as much free as the filesystem holds ({})",
                        c.label(), p->level, format_size(p->size)));
  if (::geteuid() != 0)
    c.error(
        c.at("size"),
        fmt::format(
            "{}: disk.full needs root: the run mounts a tmpfs of {} for service '{}''s data, and "
            "mounting needs CAP_SYS_ADMIN",
            c.label(), format_size(p->size), c.fault().target),
        "run faultline as root (a CI container with --privileged, or sudo); `faultline doctor` "
        "shows what this "
        "host can do");
  const FaultSpec& f = c.fault();
  if (f.select)
    c.error(f.select->pos,
            fmt::format("{}: disk.full needs its service named: the run mounts that service's filesystem before "
                        "the clone starts, long before a select chooses at injection",
                        c.label()),
            "target = \"SERVICE\"");
  for (const auto& other : c.scenario().faults) {
    const auto* q = other.params.get_if<DiskFullParams>();
    if (q && &other != &f && other.target == f.target && q->size != p->size &&
        other.pos.line < f.pos.line)
      c.error(c.at("size"),
              fmt::format(
                  "{}: service '{}' already has a {} filesystem (fault '{}'); one size per service",
                  c.label(), f.target, format_size(q->size), other.name));
  }
  for (const auto& s : c.scenario().services) {
    if (s.name != f.target) continue;
    std::string why;
    if (!s.workdir.empty()) why = fmt::format("its workdir '{}' is not the run's", s.workdir);
    if (s.attach.attached()) why = "it is an attached service: its disk is not the run's";
    if (!s.host.empty() && c.scenario().network != NetworkMode::namespaces)
      why = fmt::format("it runs on host '{}': only a filesystem on this machine can be filled",
                        s.host);
    if (!why.empty())
      c.error(c.at("target"),
              fmt::format("{}: service '{}' cannot get a run-owned filesystem: {}", c.label(),
                          f.target, why),
              "let the service use its own directory in the run ({service.dir}), where the run "
              "mounts the filesystem");
  }
}

std::string describe(const FaultSpec& f) {
  const auto* p = f.params.get_if<DiskFullParams>();
  return p ? fmt::format("fill '{}''s {} tmpfs to {}", f.target, format_size(p->size), p->level)
           : std::string();
}

std::int64_t filesystem_size(const FaultSpec& f) {
  const auto* p = f.params.get_if<DiskFullParams>();
  return p ? p->size : 0;
}

}  // namespace

const InjectorKind& disk_full_kind() {
  static const InjectorKind kind{
      .kind =
          {
              .spec = {"disk.full",
                       "fill the target service's data filesystem (a tmpfs of 'size' the run "
                       "mounts over its "
                       "directory before it starts; root) to 'level', and free it at revert",
                       true,
                       {
                           {"size", "size", "",
                            "the size of the tmpfs the run mounts at the service's directory "
                            "before the clone "
                            "starts (\"64MiB\"; at least 4 KiB); one size per service",
                            true},
                           {"level", "string", "100%",
                            "how full: a percentage of the size used (\"100%\", \"95%\") or the "
                            "space left free "
                            "(\"free=1MiB\")",
                            false},
                       }},
              .target = FaultTarget::service,
              .duration = FaultDuration::required,
              .duration_why = "needs to know how long to keep the disk full",
              .read = &read,
              .check = &check,
              .describe = &describe,
          },
      .make = &make_injector_of<DiskFull>,
      .filesystem = &filesystem_size,
  };
  return kind;
}

}  // namespace faultline
