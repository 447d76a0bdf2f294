#include <doctest/doctest.h>

#include "fault_injectors/disk_full.hpp"
#include "fault_injectors/clock_skew.hpp"
#include "fault_injectors/file_io.hpp"
#include "fault_injectors/resource_cpu.hpp"
#include "fault_injectors/resource_memory.hpp"
#include "fault_injectors/resource_io.hpp"
#include "fault_injectors/stress.hpp"
#include "fault_injectors/exec_fault.hpp"
#include "fault_injectors/file_corrupt.hpp"
#include "fault_injectors/injector.hpp"
#include "fault_injectors/net_bandwidth.hpp"
#include "fault_injectors/net_blackhole.hpp"
#include "fault_injectors/net_corrupt.hpp"
#include "fault_injectors/net_reset.hpp"
#include "fault_injectors/net_slicer.hpp"
#include "fault_injectors/net_slow_close.hpp"
#include "fault_injectors/process_kill.hpp"
#include "fault_injectors/process_pause.hpp"
#include "fault_injectors/process_restart.hpp"
#include "scenario/catalog.hpp"
#include "scenario/fault_kind.hpp"

using namespace faultline;

TEST_CASE("registry: every fault kind in the catalog has an injector with the same reversibility") {
  for (const auto& kind : fault_kinds()) {
    if (kind.name.starts_with("http.")) continue;  // their parameters are their files' own: test_http_kind.cpp makes them from a scenario
    FaultSpec spec;
    spec.kind = kind.name;
    spec.target = "svc";
    if (kind.name == "process.kill") spec.params = KillParams{};
    else if (kind.name == "process.pause") spec.params = PauseParams{};
    else if (kind.name == "process.restart") spec.params = RestartParams{};
    else if (kind.name == "exec") {
      ExecParams e;
      e.apply.argv = {"true"};
      e.revert = Command{{"true"}, false, {}};
      spec.params = e;
    } else if (kind.name == "net.latency") spec.params = LatencyParams{};
    else if (kind.name == "net.bandwidth") spec.params = BandwidthParams{1000, NetDirection::both, 1.0};
    else if (kind.name == "net.blackhole") spec.params = BlackholeParams{};
    else if (kind.name == "net.reset") spec.params = ResetParams{};
    else if (kind.name == "net.slow_close") spec.params = SlowCloseParams{};
    else if (kind.name == "net.slicer") spec.params = SlicerParams{};
    else if (kind.name == "net.corrupt") spec.params = CorruptParams{};
    else if (kind.name == "net.partition") {
      PartitionParams p;
      p.isolate = "svc";
      spec.params = p;
    } else if (kind.name == "file.corrupt") spec.params = FileCorruptParams{};
    else if (kind.name == "disk.full") spec.params = DiskFullParams{};
    else if (kind.name == "clock.skew") spec.params = ClockSkewParams{"+1s", "", false};
    else if (kind.name == "file.io") spec.params = FileIoParams{};
    else if (kind.name == "resource.cpu") spec.params = ResourceCpuParams{"10%", 0.1, ""};
    else if (kind.name == "resource.memory") spec.params = ResourceMemoryParams{64 << 20, std::nullopt, {}};
    else if (kind.name == "stress") spec.params = StressParams{1, 0, 1 << 20, 0, false, {}};
    else if (kind.name == "resource.io") {
      ResourceIoParams p;
      p.write_bps = 1 << 20;
      spec.params = p;
    }
    auto inj = make_injector(spec);
    REQUIRE(inj);
    INFO(kind.name);
    CHECK(inj->reversible() == kind.reversible);
    CHECK_FALSE(inj->describe().empty());
  }
}

TEST_CASE("registry: an unknown kind is refused") {
  FaultSpec spec;
  spec.kind = "net.teleport";
  CHECK_THROWS_AS(make_injector(spec), std::invalid_argument);
}

TEST_CASE("registry: exec without a revert command is not reversible") {
  FaultSpec spec;
  spec.kind = "exec";
  ExecParams e;
  e.apply.argv = {"true"};
  spec.params = e;
  CHECK_FALSE(make_injector(spec)->reversible());
}

TEST_CASE("registry: each entry has its factories and a descriptor the scenario layer finds by name") {
  REQUIRE(registered_fault_kinds().size() == injector_kinds().size());
  for (std::size_t i = 0; i < injector_kinds().size(); ++i) {
    const InjectorKind& k = *injector_kinds()[i];
    INFO(k.kind.spec.name);
    CHECK(registered_fault_kinds()[i] == &k.kind);
    CHECK(fault_kind(k.kind.spec.name) == &k.kind);
    CHECK(static_cast<bool>(k.make));
    CHECK(static_cast<bool>(k.kind.read));
    CHECK(static_cast<bool>(k.kind.describe));
    CHECK(k.kind.kernel == (k.make_kernel != nullptr));
    CHECK((k.kind.target == FaultTarget::link) == (k.kind.toxicity != nullptr));
  }
  CHECK(fault_kind("net.teleport") == nullptr);
}

TEST_CASE("registry: the table's names are its descriptors' names, in order, and find the same descriptors") {
  const std::vector<const FaultKind*>& kinds = registered_fault_kinds();
  const std::vector<std::string> names = registered_fault_kind_names();
  REQUIRE(names.size() == kinds.size());
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    CHECK(names[i] == kinds[i]->spec.name);
    CHECK(fault_kind(names[i]) == kinds[i]);
  }
  CHECK(fault_kind("process.kil") == nullptr);
  CHECK(fault_kind("") == nullptr);
}
