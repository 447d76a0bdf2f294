// Service cgroups for resource faults (see resource_cgroup.hpp).
#include "os/resource_cgroup.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "os/fd.hpp"

namespace faultline {

namespace fs = std::filesystem;

namespace {

const char* v1_hierarchy(CgroupController c) {
  switch (c) {
    case CgroupController::cpu: return "cpu";
    case CgroupController::memory: return "memory";
    case CgroupController::io: return "blkio";
  }
  return "";
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

/// Writes `text` to a cgroup file in one write(2), as the kernel wants it.
void write_file(const fs::path& p, const std::string& text) {
  UniqueFd fd(::open(p.c_str(), O_WRONLY | O_CLOEXEC | O_TRUNC));
  if (!fd) throw std::runtime_error(fmt::format("cannot open {}: {}", p.string(), std::strerror(errno)));
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw std::runtime_error(fmt::format("cannot write \"{}\" to {}: {}", text, p.string(), std::strerror(errno)));
}

/// The value of `key` in a "key value" file (memory.events, memory.oom_control).
std::int64_t keyed(const fs::path& p, const std::string& key) {
  std::istringstream in(read_text(p));
  std::string k;
  std::int64_t v = 0;
  while (in >> k >> v)
    if (k == key) return v;
  return 0;
}

std::vector<pid_t> procs_of(const fs::path& dir) {
  std::vector<pid_t> out;
  std::ifstream in(dir / "cgroup.procs");
  for (pid_t p = 0; in >> p;) out.push_back(p);
  return out;
}

/// v2: one directory holds every controller.
class V2Controls final : public CgroupControls {
 public:
  explicit V2Controls(fs::path dir) : dir_(std::move(dir)) {}
  std::string version() const override { return "cgroup v2"; }
  void set_cpu(double cores, std::int64_t period_us) override {
    const auto quota = std::max<std::int64_t>(1000, std::llround(cores * static_cast<double>(period_us)));
    write_file(dir_ / "cpu.max", fmt::format("{} {}", quota, period_us));
  }
  void clear_cpu() override { write_file(dir_ / "cpu.max", "max 100000"); }
  void set_memory(std::int64_t max, std::optional<std::int64_t> high) override {
    write_file(dir_ / "memory.high", high ? std::to_string(*high) : std::string("max"));
    write_file(dir_ / "memory.max", std::to_string(max));
  }
  void clear_memory() override {
    write_file(dir_ / "memory.max", "max");
    write_file(dir_ / "memory.high", "max");
  }
  IoLimits io_limits(const std::string& device) const override {
    // io.max: one line per device with a limit, "MAJ:MIN rbps=N wbps=max riops=max wiops=max".
    IoLimits out;
    std::istringstream in(read_text(dir_ / "io.max"));
    for (std::string line; std::getline(in, line);) {
      std::istringstream l(line);
      std::string dev, kv;
      if (!(l >> dev) || dev != device) continue;
      while (l >> kv) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos || kv.substr(eq + 1) == "max") continue;
        const std::int64_t v = std::stoll(kv.substr(eq + 1));
        const std::string k = kv.substr(0, eq);
        if (k == "rbps") out.read_bps = v;
        if (k == "wbps") out.write_bps = v;
        if (k == "riops") out.read_iops = v;
        if (k == "wiops") out.write_iops = v;
      }
    }
    return out;
  }
  void set_io(const std::string& device, const IoLimits& l) override {
    auto v = [](const std::optional<std::int64_t>& x) { return x ? std::to_string(*x) : std::string("max"); };
    write_file(dir_ / "io.max", fmt::format("{} rbps={} wbps={} riops={} wiops={}", device, v(l.read_bps),
                                            v(l.write_bps), v(l.read_iops), v(l.write_iops)));
  }
  std::int64_t oom_kills() const override { return keyed(dir_ / "memory.events", "oom_kill"); }
  std::vector<pid_t> processes() const override { return procs_of(dir_); }

 private:
  fs::path dir_;
};

/// v1: a directory per hierarchy (any may be absent).
class V1Controls final : public CgroupControls {
 public:
  V1Controls(fs::path cpu, fs::path memory, fs::path blkio)
      : cpu_(std::move(cpu)), memory_(std::move(memory)), blkio_(std::move(blkio)) {}
  std::string version() const override { return "cgroup v1"; }
  void set_cpu(double cores, std::int64_t period_us) override {
    need(cpu_, "cpu");
    const auto quota = std::max<std::int64_t>(1000, std::llround(cores * static_cast<double>(period_us)));
    write_file(cpu_ / "cpu.cfs_period_us", std::to_string(period_us));
    write_file(cpu_ / "cpu.cfs_quota_us", std::to_string(quota));
  }
  void clear_cpu() override {
    if (cpu_.empty()) return;
    write_file(cpu_ / "cpu.cfs_quota_us", "-1");
  }
  void set_memory(std::int64_t max, std::optional<std::int64_t> high) override {
    need(memory_, "memory");
    if (high) throw std::runtime_error("memory.high is a cgroup v2 control; this cgroup is v1");
    // memsw (memory + swap) may never be below the memory limit: lowered after it.
    write_file(memory_ / "memory.limit_in_bytes", std::to_string(max));
    if (fs::exists(memory_ / "memory.memsw.limit_in_bytes"))
      write_file(memory_ / "memory.memsw.limit_in_bytes", std::to_string(max));
  }
  void clear_memory() override {
    if (memory_.empty()) return;
    // Raised in the other order: memsw first.
    if (fs::exists(memory_ / "memory.memsw.limit_in_bytes")) write_file(memory_ / "memory.memsw.limit_in_bytes", "-1");
    write_file(memory_ / "memory.limit_in_bytes", "-1");
  }
  IoLimits io_limits(const std::string& device) const override {
    IoLimits out;
    if (blkio_.empty()) return out;
    // Each file: one "MAJ:MIN N" line per device with a rule.
    auto rule = [&](const char* file) -> std::optional<std::int64_t> {
      std::istringstream in(read_text(blkio_ / file));
      std::string dev;
      std::int64_t v = 0;
      while (in >> dev >> v)
        if (dev == device && v > 0) return v;
      return std::nullopt;
    };
    out.read_bps = rule("blkio.throttle.read_bps_device");
    out.write_bps = rule("blkio.throttle.write_bps_device");
    out.read_iops = rule("blkio.throttle.read_iops_device");
    out.write_iops = rule("blkio.throttle.write_iops_device");
    return out;
  }
  void set_io(const std::string& device, const IoLimits& l) override {
    need(blkio_, "blkio");
    // 0 removes a v1 throttle rule.
    write_file(blkio_ / "blkio.throttle.read_bps_device", fmt::format("{} {}", device, l.read_bps.value_or(0)));
    write_file(blkio_ / "blkio.throttle.write_bps_device", fmt::format("{} {}", device, l.write_bps.value_or(0)));
    write_file(blkio_ / "blkio.throttle.read_iops_device", fmt::format("{} {}", device, l.read_iops.value_or(0)));
    write_file(blkio_ / "blkio.throttle.write_iops_device", fmt::format("{} {}", device, l.write_iops.value_or(0)));
  }
  std::int64_t oom_kills() const override {
    return memory_.empty() ? 0 : keyed(memory_ / "memory.oom_control", "oom_kill");
  }
  std::vector<pid_t> processes() const override {
    for (const auto* d : {&cpu_, &memory_, &blkio_})
      if (!d->empty()) return procs_of(*d);
    return {};
  }

 private:
  static void need(const fs::path& dir, const char* what) {
    if (dir.empty()) throw std::runtime_error(fmt::format("the service's cgroup has no {} controller", what));
  }
  fs::path cpu_, memory_, blkio_;
};

}  // namespace

std::string controller_name(CgroupController c) {
  switch (c) {
    case CgroupController::cpu: return "cpu";
    case CgroupController::memory: return "memory";
    case CgroupController::io: return "io";
  }
  return "";
}

CgroupLayout::Place CgroupLayout::at(CgroupController c) const {
  const auto it = places.find(c);
  if (it != places.end()) return it->second;
  return {0, {}, "no cgroup hierarchy offers it"};
}

/// `mount` joined with a cgroup path from /proc/self/cgroup ("/" is the
/// mount itself: no trailing separator, so paths compare and print plainly).
static fs::path under(const fs::path& mount, const std::string& cgroup) {
  const fs::path rel = fs::path(cgroup).relative_path();
  return rel.empty() ? mount : mount / rel;
}

CgroupLayout probe_cgroup_layout(const fs::path& mounts, const fs::path& cgroups, const fs::path& run_cgroup) {
  CgroupLayout out;
  std::map<std::string, fs::path> v1_mounts;  // controller -> mount point
  fs::path v2;
  {
    std::istringstream in(read_text(mounts));
    std::string dev, dir, type, opts, rest;
    while (in >> dev >> dir >> type >> opts && std::getline(in, rest)) {
      if (type == "cgroup2") v2 = dir;
      if (type != "cgroup") continue;
      std::istringstream o(opts);
      for (std::string opt; std::getline(o, opt, ',');) v1_mounts.emplace(opt, dir);
    }
  }
  std::map<std::string, std::string> own;  // v1 controller -> own path; "" key: v2
  {
    std::istringstream in(read_text(cgroups));
    for (std::string line; std::getline(in, line);) {
      const auto a = line.find(':'), b = line.find(':', a + 1);
      if (a == std::string::npos || b == std::string::npos) continue;
      const std::string list = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
      if (list.empty()) own[""] = path;
      std::istringstream l(list);
      for (std::string c; std::getline(l, c, ',');) own[c] = path;
    }
  }
  // v2: the controllers the harness's original cgroup offers its children.
  std::string v2_controllers;
  fs::path v2_base;
  if (!v2.empty() && own.contains("")) {
    v2_base = under(v2, own[""]);
    if (!run_cgroup.empty()) v2_base = run_cgroup.parent_path();
    v2_controllers = " " + trimmed(read_text(v2_base / "cgroup.controllers")) + " ";
  }
  for (CgroupController c : {CgroupController::cpu, CgroupController::memory, CgroupController::io}) {
    CgroupLayout::Place p;
    if (v2_controllers.find(" " + controller_name(c) + " ") != std::string::npos) {
      p = {2, v2_base, {}};
    } else if (v1_mounts.contains(v1_hierarchy(c))) {
      const fs::path base = under(v1_mounts[v1_hierarchy(c)], own[v1_hierarchy(c)]);
      if (::access(base.c_str(), W_OK) == 0)
        p = {1, base, {}};
      else
        p.why = fmt::format("cgroup v1 {} hierarchy at {} is not writable here ({})", v1_hierarchy(c), base.string(),
                            std::strerror(errno));
    } else {
      p.why = fmt::format("neither cgroup v2 ({}) nor a cgroup v1 {} hierarchy offers it",
                          v2.empty() ? "not mounted" : "its controllers:" + (v2_controllers.size() > 2 ? v2_controllers : " none"),
                          v1_hierarchy(c));
    }
    out.places[c] = p;
  }
  return out;
}

std::string cgroup_refusal(const CgroupLayout& layout, CgroupController c) {
  if (::geteuid() != 0) return "it needs root (the run makes a cgroup for the service and writes its limits)";
  const auto p = layout.at(c);
  if (p.version == 0) return fmt::format("this host has no usable {} controller: {}", controller_name(c), p.why);
  return {};
}

std::vector<fs::path> plan_service_cgroup(const CgroupLayout& layout, const std::string& run_id,
                                          const std::string& service, const std::vector<CgroupController>& want) {
  std::vector<fs::path> out;
  const std::string name = fmt::format("faultline-{}-{}", run_id, service);
  for (CgroupController c : want) {
    const auto p = layout.at(c);
    if (p.version == 0) continue;
    const fs::path dir = p.base / name;
    if (std::find(out.begin(), out.end(), dir) == out.end()) out.push_back(dir);
  }
  return out;
}

void make_service_cgroup(const fs::path& dir) {
  const fs::path parent = dir.parent_path();
  if (fs::exists(parent / "cgroup.subtree_control")) {
    // v2: the parent hands its controllers down (those it has).
    std::string enable;
    std::istringstream have(read_text(parent / "cgroup.controllers"));
    for (std::string c; have >> c;)
      if (c == "cpu" || c == "memory" || c == "io") enable += (enable.empty() ? "+" : " +") + c;
    if (!enable.empty()) write_file(parent / "cgroup.subtree_control", enable);
  }
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    throw std::runtime_error(fmt::format("cannot create cgroup {}: {}", dir.string(), std::strerror(errno)));
}

std::string remove_service_cgroup(const fs::path& dir, int wait_ms) {
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec)) return {};
  for (int i = 0; i <= wait_ms / 5; ++i) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
    if (errno != EBUSY) return fmt::format("cannot remove {}: {}", dir.string(), std::strerror(errno));
    for (pid_t p : procs_of(dir))
      if (p != ::getpid()) ::kill(p, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return fmt::format("cannot remove {}: processes are still in it", dir.string());
}

std::unique_ptr<CgroupControls> cgroup_controls(const std::vector<fs::path>& dirs) {
  fs::path cpu, memory, blkio;
  for (const auto& d : dirs) {
    if (fs::exists(d / "cgroup.controllers")) return std::make_unique<V2Controls>(d);
    if (fs::exists(d / "cpu.cfs_quota_us")) cpu = d;
    if (fs::exists(d / "memory.limit_in_bytes")) memory = d;
    if (fs::exists(d / "blkio.throttle.read_bps_device")) blkio = d;
  }
  return std::make_unique<V1Controls>(cpu, memory, blkio);
}

std::vector<std::string> join_cgroups_argv(const std::vector<fs::path>& dirs, std::vector<std::string> argv) {
  if (dirs.empty()) return argv;
  std::string script;
  for (const auto& d : dirs) script += fmt::format("echo $$ > '{}' && ", (d / "cgroup.procs").string());
  script += "exec \"$@\"";
  std::vector<std::string> out = {"/bin/sh", "-c", script, "faultline-cgroup"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::string block_device_of(const fs::path& path, std::string& why) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    why = fmt::format("cannot stat {}: {}", path.string(), std::strerror(errno));
    return {};
  }
  const dev_t dev = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
  fs::path sys = fmt::format("/sys/dev/block/{}:{}", major(dev), minor(dev));
  std::error_code ec;
  if (!fs::exists(sys, ec)) {
    why = fmt::format("{} is on device {}:{}, which is no block device (tmpfs, overlay or another virtual "
                      "filesystem): I/O to it cannot be throttled",
                      path.string(), major(dev), minor(dev));
    return {};
  }
  if (fs::exists(sys / "partition", ec)) {
    // A partition: its disk is the parent directory in /sys/block's tree.
    const std::string disk = trimmed(read_text(fs::canonical(sys, ec).parent_path() / "dev"));
    if (!disk.empty()) return disk;
  }
  return fmt::format("{}:{}", major(dev), minor(dev));
}

}  // namespace faultline
