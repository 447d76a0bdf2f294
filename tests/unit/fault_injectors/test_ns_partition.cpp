// net.partition with network = "namespaces", for real: three hosts, a
// listener in each, the partition applied by the injector as the runner does.
#include <doctest/doctest.h>

#include "injector_fixture.hpp"
#include "netns_fixture.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

FaultSpec partition(PartitionMode mode, bool one_way = false) {
  PartitionParams p;
  p.groups = {{"a"}, {"b", "c"}};
  p.mode = mode;
  p.one_way = one_way;
  FaultSpec f = fault("net.partition", p);
  f.target.clear();
  return f;
}

bool table_listed(const NetFixture& net, const std::string& table) {
  return lists_table(run_command_sync(in_netns(net.plan.hub, {"nft", "list", "tables"})).output, table);
}

}  // namespace

TEST_CASE("ns partition: drop makes a connection across the split time out; inside a group and from the hub it flows") {
  CloneFixture fx;
  NetFixture net;
  auto ctx = fx.context();
  ctx.network = &net.plan;
  ctx.event = 7;
  auto inj = make_injector(partition(PartitionMode::drop), NetworkMode::namespaces);
  run_sync(fx.io, inj->prepare(ctx));
  const Undo undo = inj->undo_plan(ctx);
  CHECK(undo.kind == Undo::Kind::nft_table);
  CHECK(undo.table == partition_table(net.plan.tag, 7));
  CHECK(undo.netns == net.plan.hub);
  run_sync(fx.io, inj->inject(ctx));
  CHECK(table_listed(net, undo.table));
  CHECK(inj->describe().find(net.host("a").address + " -> " + net.host("b").address) != std::string::npos);

  // Across: no answer at all within a second (not refused: the SYN is lost).
  CHECK(name(net.connect(net.host("a").netns, "b", std::chrono::milliseconds(1000))) == std::string("timed out"));
  CHECK(name(net.connect(net.host("c").netns, "a", std::chrono::milliseconds(1000))) == std::string("timed out"));
  // Inside group {b, c}, and from the hub (the harness's side), it flows.
  CHECK(name(net.connect(net.host("c").netns, "b")) == std::string("connected"));
  CHECK(name(net.connect(net.plan.hub, "a")) == std::string("connected"));

  run_sync(fx.io, inj->revert(ctx));
  CHECK_FALSE(table_listed(net, undo.table));
  CHECK(name(net.connect(net.host("a").netns, "b")) == std::string("connected"));
  run_sync(fx.io, inj->revert(ctx));  // idempotent
}

TEST_CASE("ns partition: reject makes a connection across the split refused at once") {
  CloneFixture fx;
  NetFixture net;
  auto ctx = fx.context();
  ctx.network = &net.plan;
  auto inj = make_injector(partition(PartitionMode::reject), NetworkMode::namespaces);
  run_sync(fx.io, inj->prepare(ctx));
  run_sync(fx.io, inj->inject(ctx));
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(name(net.connect(net.host("a").netns, "b")) == std::string("refused"));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(500));
  CHECK(name(net.connect(net.host("b").netns, "c")) == std::string("connected"));
  run_sync(fx.io, inj->revert(ctx));
  CHECK(name(net.connect(net.host("a").netns, "b")) == std::string("connected"));
}

TEST_CASE("ns partition: one way cuts only the first group's traffic to the others") {
  CloneFixture fx;
  NetFixture net;
  auto ctx = fx.context();
  ctx.network = &net.plan;
  auto inj = make_injector(partition(PartitionMode::reject, true), NetworkMode::namespaces);
  run_sync(fx.io, inj->prepare(ctx));
  run_sync(fx.io, inj->inject(ctx));
  CHECK(name(net.connect(net.host("a").netns, "b")) == std::string("refused"));
  // b -> a: the SYN passes, a's SYN-ACK is a -> b and is reset: b sees it refused or reset, never connected.
  CHECK(name(net.connect(net.host("b").netns, "a")) != std::string("connected"));
  run_sync(fx.io, inj->revert(ctx));
}

TEST_CASE("ns partition: revert after the hub is gone is a success, and tables the run did not create are untouched") {
  CloneFixture fx;
  NetFixture net;
  auto ctx = fx.context();
  ctx.network = &net.plan;
  // Someone else's table in the hub.
  REQUIRE(run_command_sync(in_netns(net.plan.hub, {"nft", "add", "table", "inet", "not_ours"})).ok());
  auto inj = make_injector(partition(PartitionMode::drop), NetworkMode::namespaces);
  run_sync(fx.io, inj->prepare(ctx));
  run_sync(fx.io, inj->inject(ctx));
  run_sync(fx.io, inj->revert(ctx));
  CHECK(table_listed(net, "not_ours"));
  // Cleanup's synchronous undo leaves it too, and a gone namespace is fine.
  std::string why;
  CHECK(remove_nft_table(net.plan.hub, "faultline_none_0", why));
  CHECK(table_listed(net, "not_ours"));
  auto again = make_injector(partition(PartitionMode::drop), NetworkMode::namespaces);
  run_sync(fx.io, again->prepare(ctx));
  run_sync(fx.io, again->inject(ctx));
  tear_down(net.plan.tag);
  run_sync(fx.io, again->revert(ctx));
  CHECK(remove_nft_table(net.plan.hub, partition_table(net.plan.tag, 0), why));
}

TEST_CASE("ns partition: without a network the fault cannot be prepared") {
  CloneFixture fx;
  auto ctx = fx.context();
  auto inj = make_injector(partition(PartitionMode::drop), NetworkMode::namespaces);
  CHECK_THROWS_AS(run_sync(fx.io, inj->prepare(ctx)), FaultError);
}
