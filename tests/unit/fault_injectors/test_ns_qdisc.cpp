// net.bandwidth and net.latency with network = "namespaces": root qdiscs on
// the target's veth ends, added and removed for real.
#include <doctest/doctest.h>

#include "fault_injectors/net_bandwidth.hpp"
#include "injector_fixture.hpp"
#include "netns_fixture.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

bool has_qdisc(const std::string& ns, const std::string& dev, const std::string& kind) {
  return shows_qdisc(run_command_sync(qdisc_show_argv(ns, dev)).output, kind);
}

}  // namespace

TEST_CASE("ns bandwidth: tbf on the target's veth ends per direction, read back, and removed by revert") {
  CloneFixture fx;
  NetFixture net;
  auto ctx = fx.context();
  ctx.network = &net.plan;
  const NetHost& b = net.host("b");
  for (auto [direction, hub_side, host_side] :
       {std::tuple{NetDirection::both, true, true}, std::tuple{NetDirection::upstream, true, false},
        std::tuple{NetDirection::downstream, false, true}}) {
    const int direction_value = static_cast<int>(direction);  // clang 14 cannot capture a structured binding in doctest's message lambda
    CAPTURE(direction_value);
    BandwidthParams p;
    p.rate = 125000;
    p.direction = direction;
    FaultSpec f = fault("net.bandwidth", p);
    f.target = "b";
    auto inj = make_injector(f, NetworkMode::namespaces);
    run_sync(fx.io, inj->prepare(ctx));
    const Undo undo = inj->undo_plan(ctx);
    CHECK(undo.kind == Undo::Kind::qdisc);
    CHECK(undo.qdiscs.size() == (hub_side ? 1u : 0u) + (host_side ? 1u : 0u));
    run_sync(fx.io, inj->inject(ctx));
    CHECK(has_qdisc(net.plan.hub, b.hub_if, "tbf") == hub_side);
    CHECK(has_qdisc(b.netns, b.host_if, "tbf") == host_side);
    CHECK(inj->describe().find("on service 'b'") != std::string::npos);
    run_sync(fx.io, inj->revert(ctx));
    CHECK_FALSE(has_qdisc(net.plan.hub, b.hub_if, "tbf"));
    CHECK_FALSE(has_qdisc(b.netns, b.host_if, "tbf"));
  }
}

TEST_CASE("ns bandwidth: cleanup's synchronous undo removes a tbf left applied") {
  NetFixture net;
  const NetHost& a = net.host("a");
  REQUIRE(run_command_sync(tbf_argv(a.netns, a.host_if, 125000)).ok());
  std::string why;
  CHECK(remove_root_qdisc(a.netns, a.host_if, why));
  CHECK_FALSE(has_qdisc(a.netns, a.host_if, "tbf"));
  CHECK(remove_root_qdisc("fl-no-such-namespace", "nodev", why));  // gone: nothing left
}

TEST_CASE("ns latency: netem where the kernel has it; where it has not, inject fails naming tc and nothing is left") {
  CloneFixture fx;
  NetFixture net;
  auto ctx = fx.context();
  ctx.network = &net.plan;
  const NetHost& c = net.host("c");
  LatencyParams p;
  p.latency = std::chrono::milliseconds(20);
  FaultSpec f = fault("net.latency", p);
  f.target = "c";
  auto inj = make_injector(f, NetworkMode::namespaces);
  run_sync(fx.io, inj->prepare(ctx));
  // Does this kernel have sch_netem? Ask it the same way doctor does.
  const bool netem = run_command_sync(netem_argv(c.netns, "lo", p)).ok();
  run_command_sync(qdisc_delete_argv(c.netns, "lo"));
  if (netem) {
    run_sync(fx.io, inj->inject(ctx));
    CHECK(has_qdisc(c.netns, c.host_if, "netem"));
  } else {
    try {
      run_sync(fx.io, inj->inject(ctx));
      FAIL("inject succeeded without sch_netem");
    } catch (const FaultError& e) {
      CHECK(std::string(e.what()).find("tc qdisc add") != std::string::npos);
    }
  }
  run_sync(fx.io, inj->revert(ctx));
  CHECK_FALSE(has_qdisc(net.plan.hub, c.hub_if, "netem"));
  CHECK_FALSE(has_qdisc(c.netns, c.host_if, "netem"));
}
