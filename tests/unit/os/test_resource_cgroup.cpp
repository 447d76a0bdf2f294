#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "os/resource_cgroup.hpp"

using namespace faultline;
namespace fs = std::filesystem;

namespace {

struct FakeTree {
  fs::path root = fs::temp_directory_path() / ("faultline-cgfake-" + std::to_string(::getpid()));
  FakeTree() {
    fs::remove_all(root);
    fs::create_directories(root);
  }
  ~FakeTree() { fs::remove_all(root); }
  static void put(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  static std::string get(const fs::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

}  // namespace

TEST_CASE("resource cgroup: the v2 interface writes cpu.max, memory.max and memory.high, io.max") {
  FakeTree t;
  const fs::path d = t.root / "faultline-r1-svc";
  for (const char* f : {"cpu.max", "memory.max", "memory.high", "io.max", "cgroup.procs"}) FakeTree::put(d / f, "");
  FakeTree::put(d / "cgroup.controllers", "cpu io memory pids\n");
  FakeTree::put(d / "memory.events", "low 0\nhigh 4\nmax 9\noom 2\noom_kill 2\n");
  auto c = cgroup_controls({d});
  CHECK(c->version() == "cgroup v2");
  c->set_cpu(0.1);
  CHECK(FakeTree::get(d / "cpu.max") == "10000 100000");
  c->set_cpu(1.5, 50000);
  CHECK(FakeTree::get(d / "cpu.max") == "75000 50000");
  c->clear_cpu();
  CHECK(FakeTree::get(d / "cpu.max") == "max 100000");
  c->set_memory(64 << 20, 32 << 20);
  CHECK(FakeTree::get(d / "memory.max") == "67108864");
  CHECK(FakeTree::get(d / "memory.high") == "33554432");
  c->set_memory(64 << 20, std::nullopt);
  CHECK(FakeTree::get(d / "memory.high") == "max");
  c->clear_memory();
  CHECK(FakeTree::get(d / "memory.max") == "max");
  c->set_io("254:0", IoLimits{1 << 20, std::nullopt, std::nullopt, 50});
  CHECK(FakeTree::get(d / "io.max") == "254:0 rbps=1048576 wbps=max riops=max wiops=50");
  // As the kernel shows it: only devices with a limit, "max" for the rest.
  FakeTree::put(d / "io.max", "8:0 rbps=max wbps=4096 riops=max wiops=max\n254:0 rbps=1048576 wbps=max riops=max wiops=50\n");
  CHECK(c->io_limits("254:0") == IoLimits{1 << 20, std::nullopt, std::nullopt, 50});
  CHECK(c->io_limits("8:0") == IoLimits{std::nullopt, 4096, std::nullopt, std::nullopt});
  CHECK(c->io_limits("7:0") == IoLimits{});
  c->clear_io("254:0");
  CHECK(FakeTree::get(d / "io.max") == "254:0 rbps=max wbps=max riops=max wiops=max");
  CHECK(c->oom_kills() == 2);
}

TEST_CASE("resource cgroup: the v1 interface writes cfs quota over period, the memory limits in order, blkio") {
  FakeTree t;
  const fs::path cpu = t.root / "cpu/faultline-r1-svc", mem = t.root / "memory/faultline-r1-svc",
                 blk = t.root / "blkio/faultline-r1-svc";
  for (const char* f : {"cpu.cfs_quota_us", "cpu.cfs_period_us"}) FakeTree::put(cpu / f, "");
  for (const char* f : {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes"}) FakeTree::put(mem / f, "");
  FakeTree::put(mem / "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 5\n");
  for (const char* f : {"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
                        "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"})
    FakeTree::put(blk / f, "");
  auto c = cgroup_controls({cpu, mem, blk});
  CHECK(c->version() == "cgroup v1");
  c->set_cpu(0.25);
  CHECK(FakeTree::get(cpu / "cpu.cfs_period_us") == "100000");
  CHECK(FakeTree::get(cpu / "cpu.cfs_quota_us") == "25000");
  c->clear_cpu();
  CHECK(FakeTree::get(cpu / "cpu.cfs_quota_us") == "-1");
  c->set_memory(32 << 20, std::nullopt);
  CHECK(FakeTree::get(mem / "memory.limit_in_bytes") == "33554432");
  CHECK(FakeTree::get(mem / "memory.memsw.limit_in_bytes") == "33554432");
  CHECK_THROWS_WITH(c->set_memory(32 << 20, 16 << 20), doctest::Contains("cgroup v2 control"));
  c->clear_memory();
  CHECK(FakeTree::get(mem / "memory.limit_in_bytes") == "-1");
  c->set_io("8:0", IoLimits{std::nullopt, 4096, 20, std::nullopt});
  CHECK(FakeTree::get(blk / "blkio.throttle.read_bps_device") == "8:0 0");  // 0 removes a rule
  CHECK(FakeTree::get(blk / "blkio.throttle.write_bps_device") == "8:0 4096");
  CHECK(FakeTree::get(blk / "blkio.throttle.read_iops_device") == "8:0 20");
  CHECK(FakeTree::get(blk / "blkio.throttle.write_iops_device") == "8:0 0");
  FakeTree::put(blk / "blkio.throttle.write_bps_device", "254:0 1048576\n8:0 4096\n");
  CHECK(c->io_limits("8:0") == IoLimits{std::nullopt, 4096, 20, std::nullopt});
  CHECK(c->io_limits("254:0") == IoLimits{std::nullopt, 1 << 20, std::nullopt, std::nullopt});
  CHECK(c->oom_kills() == 5);
  // A cgroup without a memory hierarchy: the fault says so rather than write nowhere.
  auto cpu_only = cgroup_controls({cpu});
  CHECK_THROWS_WITH(cpu_only->set_memory(1 << 20, std::nullopt), doctest::Contains("no memory controller"));
}

TEST_CASE("resource cgroup: the layout takes v2 where it has the controller, else the v1 hierarchy") {
  FakeTree t;
  const fs::path v2 = t.root / "unified", v1cpu = t.root / "cpu", v1mem = t.root / "memory";
  FakeTree::put(v2 / "cgroup.controllers", "memory pids\n");
  fs::create_directories(v1cpu);
  fs::create_directories(v1mem / "inner/x");
  FakeTree::put(t.root / "mounts", "cgroup2 " + v2.string() + " cgroup2 rw 0 0\ncgroup " + v1cpu.string() +
                                       " cgroup rw,cpu 0 0\ncgroup " + v1mem.string() + " cgroup rw,memory 0 0\n");
  FakeTree::put(t.root / "cgroup", "4:memory:/inner/x\n1:cpu:/\n0::/\n");
  const auto layout = probe_cgroup_layout(t.root / "mounts", t.root / "cgroup");
  CHECK(layout.at(CgroupController::memory).version == 2);  // v2 wins where it offers it
  CHECK(layout.at(CgroupController::memory).base == v2);
  CHECK(layout.at(CgroupController::cpu).version == 1);
  CHECK(layout.at(CgroupController::cpu).base == v1cpu);
  CHECK(layout.at(CgroupController::io).version == 0);
  CHECK(layout.at(CgroupController::io).why.find("blkio") != std::string::npos);
  const auto dirs = plan_service_cgroup(layout, "abc123", "db", {CgroupController::cpu, CgroupController::memory});
  REQUIRE(dirs.size() == 2);
  CHECK(dirs[0] == v1cpu / "faultline-abc123-db");
  CHECK(dirs[1] == v2 / "faultline-abc123-db");
  // Without v2's controller, memory comes from v1, under this process's own cgroup there.
  FakeTree::put(v2 / "cgroup.controllers", "pids\n");
  const auto v1only = probe_cgroup_layout(t.root / "mounts", t.root / "cgroup");
  CHECK(v1only.at(CgroupController::memory).version == 1);
  CHECK(v1only.at(CgroupController::memory).base == v1mem / "inner/x");
  // A v2 service cgroup's parent hands its controllers down before the child is made.
  FakeTree::put(v2 / "cgroup.controllers", "cpu io memory pids\n");
  FakeTree::put(v2 / "cgroup.subtree_control", "");
  make_service_cgroup(v2 / "faultline-abc123-db");
  CHECK(FakeTree::get(v2 / "cgroup.subtree_control") == "+cpu +io +memory");
  CHECK(fs::is_directory(v2 / "faultline-abc123-db"));
  CHECK(remove_service_cgroup(v2 / "faultline-abc123-db").empty());
  CHECK_FALSE(fs::exists(v2 / "faultline-abc123-db"));
  CHECK(remove_service_cgroup(v2 / "never-made").empty());
}

TEST_CASE("resource cgroup: block devices, and what has none") {
  std::string why;
  CHECK(block_device_of("/proc", why).empty());
  CHECK(why.find("no block device") != std::string::npos);
  if (fs::exists("/dev/vda")) {
    CHECK(block_device_of("/dev/vda", why) == "254:0");
  }
}

TEST_CASE("resource cgroup: this host's real cgroups take a cpu quota and a memory limit and go away") {
  if (::geteuid() != 0) return;  // CI runs as root
  const auto layout = probe_cgroup_layout();
  REQUIRE(cgroup_refusal(layout, CgroupController::cpu).empty());
  REQUIRE(cgroup_refusal(layout, CgroupController::memory).empty());
  const auto dirs = plan_service_cgroup(layout, "t" + std::to_string(::getpid()), "svc",
                                        {CgroupController::cpu, CgroupController::memory});
  for (const auto& d : dirs) make_service_cgroup(d);
  auto c = cgroup_controls(dirs);
  c->set_cpu(0.2);
  c->set_memory(64 << 20, std::nullopt);
  c->clear_cpu();
  c->clear_memory();
  CHECK(c->processes().empty());
  for (const auto& d : dirs) {
    CHECK(remove_service_cgroup(d).empty());
    CHECK_FALSE(fs::exists(d));
  }
}
