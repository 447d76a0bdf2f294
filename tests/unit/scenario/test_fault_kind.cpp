#include <doctest/doctest.h>

#include "fault_injectors/net_bandwidth.hpp"
#include "fault_injectors/net_blackhole.hpp"
#include "fault_injectors/net_reset.hpp"
#include "fault_injectors/net_slicer.hpp"
#include "fault_injectors/net_slow_close.hpp"
#include "fault_injectors/process_kill.hpp"
#include "scenario/fault_kind.hpp"

using namespace faultline;

namespace {

FaultSpec net(const std::string& kind, FaultParams p) {
  FaultSpec f;
  f.kind = kind;
  f.target = "db";
  f.params = std::move(p);
  return f;
}

}  // namespace

TEST_CASE("fault_kind: one sentence per network fault, from its parameters") {
  CHECK(describe_net_fault(net("net.latency", LatencyParams{100ms, 10ms, LatencyDistribution::normal,
                                                             NetDirection::upstream, 0.25})) ==
        "delay 100ms sd 10ms (normal), upstream (client to server), 25% of connections on link 'db'");
  CHECK(describe_net_fault(net("net.latency", LatencyParams{5ms, 2ms, LatencyDistribution::uniform,
                                                             NetDirection::both, 1.0})) ==
        "delay 5ms +/- 2ms (uniform), both directions on link 'db'");
  CHECK(describe_net_fault(net("net.bandwidth", BandwidthParams{100e3, NetDirection::downstream, 1.0})) ==
        "limit to 100 KB/s per connection, downstream (server to client) on link 'db'");
  CHECK(describe_net_fault(net("net.blackhole", BlackholeParams{NetDirection::both, 2s, 1.0})) ==
        "discard data, both directions, close connections after 2s on link 'db'");
  CHECK(describe_net_fault(net("net.reset", ResetParams{250ms, 1.0})) ==
        "reset connections (RST) 250ms after the fault reaches them on link 'db'");
  CHECK(describe_net_fault(net("net.slow_close", SlowCloseParams{1s, NetDirection::both, 1.0})) ==
        "delay closes by 1s, both directions on link 'db'");
  CHECK(describe_net_fault(net("net.slicer", SlicerParams{10, 3, 1ms, NetDirection::upstream, 1.0})) ==
        "slice data into 10 +/- 3 byte pieces 1ms apart, upstream (client to server) on link 'db'");

  PartitionParams groups;
  groups.groups = {{"a"}, {"b", "c"}};
  CHECK(describe_net_fault(net("net.partition", groups)) ==
        "partition [a] | [b, c], drop (traffic held, new connections hang), both directions");
  PartitionParams iso;
  iso.isolate = "db";
  iso.mode = PartitionMode::reject;
  iso.one_way = true;
  CHECK(describe_net_fault(net("net.partition", iso)) ==
        "partition isolate 'db', reject (connections reset, new ones as soon as accepted), only from the first group "
        "to the others");
  PartitionParams ring;
  ring.shape = PartitionShape::ring;
  CHECK(describe_net_fault(net("net.partition", ring)).starts_with("partition majorities ring, drop"));

  CHECK(describe_net_fault(net("process.kill", KillParams{})).empty());
}
