#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

#include "../scenario/validate_fixture.hpp"
#include "fault_injectors/resource_fault.hpp"
#include "resource_fixture.hpp"

using namespace faultline;
using namespace faultline::testing;
using namespace faultline::validate_fixture;

namespace {

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one;
}

/// Seconds `dd_args` takes in the service's cgroups (it joins them the way
/// the service did: a shell writes its pid to each cgroup.procs, then execs).
double timed_dd(const ResourceFixture& fx, const std::string& dd_args) {
  std::string line = "sh -c '";
  for (const auto& d : fx.cgroups) line += "echo $$ > " + (d / "cgroup.procs").string() + " && ";
  line += "exec dd " + dd_args + " status=none'";
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = std::system(line.c_str());
  const auto t1 = std::chrono::steady_clock::now();
  REQUIRE_MESSAGE(rc == 0, line);
  return std::chrono::duration<double>(t1 - t0).count();
}

}  // namespace

TEST_CASE("resource.io: direct writes and reads to a throttled disk go at about the limit, and freely after the revert") {
  if (::geteuid() != 0) return;  // root-only: CI runs as root
  ResourceFixture fx("exec sleep 600", "resource.io",
                     "write_bps = \"1MiB\"\nread_bps = \"1MiB\"\nwrite_iops = 40\n", "never",
                     {CgroupController::io});
  const fs::path file = fx.dir / "services" / "svc" / "data";
  const std::string of = "if=/dev/zero of=" + file.string() + " oflag=direct";
  timed_dd(fx, of + " bs=1M count=2");  // the file to read back, before the throttle
  auto inj = make_injector(fx.spec());
  auto ctx = fx.context();
  run_sync(fx.io, inj->prepare(ctx));
  run_sync(fx.io, inj->inject(ctx));
  const std::string what = inj->describe();
  INFO(what);
  CHECK(what.find("writes 1 MiB/s") != std::string::npos);
  auto controls = cgroup_controls(fx.cgroups);
  std::string why;
  const std::string device = block_device_of(file, why);
  REQUIRE_MESSAGE(!device.empty(), why);
  CHECK(what.find(device) != std::string::npos);
  CHECK(controls->io_limits(device) == IoLimits{1 << 20, 1 << 20, std::nullopt, 40});

  // 3 MiB at 1 MiB/s: about 3 s (the throttle lets a little through early).
  const double write_s = timed_dd(fx, of + " bs=256k count=12 conv=notrunc");
  // 2 MiB read back, direct (no page cache): about 2 s.
  const double read_s = timed_dd(fx, "if=" + file.string() + " of=/dev/null iflag=direct bs=256k count=8");
  // 80 writes of 4 KiB at 40 per second: about 2 s (the bytes are far under 1 MiB/s).
  const double iops_s = timed_dd(fx, of + " bs=4k count=80 conv=notrunc");
  INFO("throttled: 3 MiB written in ", write_s, " s, 2 MiB read in ", read_s, " s, 80 writes in ", iops_s,
       " s (load average ", load_average(), ")");
  CHECK(write_s >= 2.5);
  CHECK(write_s <= 4.5);
  CHECK(read_s >= 1.5);
  CHECK(read_s <= 3.0);
  CHECK(iops_s >= 1.5);
  CHECK(iops_s <= 3.0);

  run_sync(fx.io, inj->revert(ctx));
  run_sync(fx.io, inj->revert(ctx));  // idempotent
  CHECK(controls->io_limits(device) == IoLimits{});
  const double free_write = timed_dd(fx, of + " bs=256k count=12 conv=notrunc");
  const double free_iops = timed_dd(fx, of + " bs=4k count=80 conv=notrunc");
  INFO("after the revert: 3 MiB written in ", free_write, " s, 80 writes in ", free_iops, " s");
  CHECK(free_write < 1.0);
  CHECK(free_iops < 1.0);
}

TEST_CASE("resource.io: the revert restores the limits the cgroup had, and keys not given keep theirs") {
  if (::geteuid() != 0) return;  // root-only: CI runs as root
  ResourceFixture fx("exec sleep 600", "resource.io", "write_bps = \"2MiB\"\n", "never", {CgroupController::io});
  auto controls = cgroup_controls(fx.cgroups);
  std::string why;
  const std::string device = block_device_of(fx.dir / "services" / "svc", why);
  REQUIRE_MESSAGE(!device.empty(), why);
  const IoLimits before{std::nullopt, 8 << 20, 500, std::nullopt};
  controls->set_io(device, before);
  auto inj = make_injector(fx.spec());
  auto ctx = fx.context();
  run_sync(fx.io, inj->prepare(ctx));
  run_sync(fx.io, inj->inject(ctx));
  CHECK(controls->io_limits(device) == IoLimits{std::nullopt, 2 << 20, 500, std::nullopt});
  run_sync(fx.io, inj->revert(ctx));
  CHECK(controls->io_limits(device) == before);
  controls->clear_io(device);
  CHECK(controls->io_limits(device) == IoLimits{});
}

TEST_CASE("resource.io: a path on no block device fails the fault at prepare, saying why") {
  if (::geteuid() != 0) return;  // root-only: CI runs as root
  ResourceFixture fx("exec sleep 600", "resource.io", "write_bps = \"1MiB\"\npath = \"/proc/self\"\n", "never",
                     {CgroupController::io});
  auto inj = make_injector(fx.spec());
  auto ctx = fx.context();
  CHECK_THROWS_WITH(run_sync(fx.io, inj->prepare(ctx)), doctest::Contains("no block device"));
}

TEST_CASE("resource.io: bad limits, no limit, a path on no disk and a missing controller are refused at file:line:col") {
  auto text = [](const std::string& keys) {
    return "name = \"v\"\n[[service]]\nname = \"s\"\ncommand = [\"sleep\", \"9\"]\n[[fault]]\nkind = "
           "\"resource.io\"\ntarget = \"s\"\nduration = \"1s\"\n" +
           keys;
  };
  for (const std::string bad : {"fast", "-1MiB", "1 parsec"}) {
    const std::string t = text("write_bps = \"" + bad + "\"\n");
    check_at(diag(check(t), "invalid size '" + bad + "'"), value_of(t, "write_bps = \"" + bad + "\""));
  }
  {
    const std::string t = text("read_bps = \"1KiB\"\n");
    check_at(diag(check(t), "below 4 KiB"), value_of(t, "read_bps = \"1KiB\""));
  }
  {
    const std::string t = text("");
    check_at(diag(check(t), "needs at least one limit"), value_of(t, "kind = \"resource.io\""));
  }
  {
    const std::string t = text("write_bps = \"1MiB\"\npath = \"/proc/sys\"\n");
    check_at(diag(check(t), "cannot be throttled"), value_of(t, "path = \"/proc/sys\""));
  }
  {
    const auto r = parse_scenario(text("write_iops = 0\n"), "v.toml");
    CHECK(all_messages(r.diagnostics).find("write_iops") != std::string::npos);
  }
  const std::string good = text("write_bps = \"1MiB\"\nread_iops = 100\n");
  if (::geteuid() == 0) {
    // On a host without an io controller the refusal says so (cgroup_refusal, tested on a fake tree).
    const std::string why = cgroup_refusal(host_cgroup_layout(), CgroupController::io);
    if (why.empty()) CHECK(check(good).empty());
    else CHECK(all_messages(check(good)).find("no usable io controller") != std::string::npos);
  } else {
    CHECK(all_messages(check(good)).find("needs root") != std::string::npos);
  }
}
