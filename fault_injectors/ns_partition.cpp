// The partition kind's kernel version (network = "namespaces") — a real split.
//
// How it works: every host of the run reaches every other one only through
// the run's hub namespace, which routes between them (netns.hpp). The
// partition's groups (explicit `groups`, `isolate` or a `shape`, exactly as
// for proxied links: topology.hpp) give the pairs of services whose traffic
// is cut, and so the pairs of addresses. One nft table of the run's own,
// `inet faultline_TAG_N` in the hub, with a forward chain, holds one rule
// per pair and direction (with direction "one", only from the first group to
// the others). It is created with one `nft` command, a single atomic
// transaction: the whole partition appears at once or not at all.
//  - drop: packets vanish. A connection attempt across the split times out
//    (SYNs are retransmitted unanswered), established connections stall
//    and retransmit, keepalives and election timers fire: what a consensus
//    or replication system sees on a real network split.
//  - reject: TCP gets a reset (a new connection is refused at once), other
//    protocols an ICMP administratively-prohibited.
// Traffic inside a group, and between the hub and any host (the harness's
// own probes), never crosses a rule: the harness's observation is not cut
// by the partition it makes.
//
// How it is undone: the table is deleted whole (`nft delete table`), and
// `nft list tables` in the hub is read back to check it is gone. Tables the
// run did not create are never touched; the name carries the run's tag and
// the application's number. If the harness dies, the crash ledger names the
// table for `faultline cleanup`, and deleting the run's namespaces removes
// it in any case.
#include <fmt/format.h>

#include "fault_injectors/injector.hpp"
#include "fault_injectors/kernel_command.hpp"
#include "os/netns.hpp"
#include "os/subprocess.hpp"
#include "scenario/fault_kind.hpp"

namespace faultline {

namespace {

asio::awaitable<CommandResult> nft(InjectorContext& ctx, const std::string& netns, std::vector<std::string> args) {
  args.insert(args.begin(), "nft");
  co_return co_await run_kernel_command(ctx, in_netns(netns, std::move(args)));
}

// (Built outside the coroutines: GCC 12 miscompiles string literals in a
// braced list inside a coroutine, "array used as initializer".)
std::vector<std::string> list_tables() { return {"list", "tables"}; }
std::vector<std::string> delete_table(const std::string& table) { return {"delete", "table", "inet", table}; }

class NsPartition final : public Injector {
 public:
  explicit NsPartition(const FaultSpec& spec) : spec_(spec), params_(spec.params.get<PartitionParams>()) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    if (!ctx.network) throw FaultError("the run has no network namespaces");
    hub_ = ctx.network->hub;
    cuts_ = partition_address_cuts(params_, *ctx.network);
    if (cuts_.empty()) throw FaultError("the partition separates no two hosts");
    table_ = partition_table(ctx.network->tag, ctx.event);
    co_return;
  }

  asio::awaitable<void> inject(InjectorContext& ctx) override {
    attempted_ = true;
    const CommandResult add = co_await nft(ctx, hub_, std::vector<std::string>(1, partition_ruleset(table_, cuts_, params_.mode)));
    if (!add.status.success() || add.timed_out)
      throw FaultError(fmt::format("`nft` could not create table inet {} in {}: {}", table_, hub_, first_line(add)));
    const CommandResult list = co_await nft(ctx, hub_, list_tables());
    if (!lists_table(list.out, table_))
      throw FaultError(fmt::format("table inet {} is not listed in {} after it was created", table_, hub_));
  }

  asio::awaitable<void> revert(InjectorContext& ctx) override {
    if (!attempted_) co_return;
    CommandResult list = co_await nft(ctx, hub_, list_tables());
    if (!list.status.success()) {
      // The hub is gone (teardown after a failure), and the table with it.
      attempted_ = false;
      co_return;
    }
    CommandResult del;
    if (lists_table(list.out, table_)) del = co_await nft(ctx, hub_, delete_table(table_));
    list = co_await nft(ctx, hub_, list_tables());
    if (list.status.success() && lists_table(list.out, table_))
      throw FaultError(fmt::format("table inet {} is still in {}: {}", table_, hub_, first_line(del)));
    attempted_ = false;
  }

  bool reversible() const override { return true; }

  Undo undo_plan(InjectorContext&) const override {
    Undo u;
    u.kind = Undo::Kind::nft_table;
    u.netns = hub_;
    u.table = table_;
    return u;
  }

  std::string describe() const override {
    std::string d = describe_fault(spec_);
    if (!cuts_.empty()) {
      std::string pairs;
      for (const auto& c : cuts_) pairs += fmt::format("{}{} -> {}", pairs.empty() ? "" : ", ", c.from, c.to);
      d += fmt::format("; nft table inet {} in {} cuts {}", table_, hub_, pairs);
    }
    return d;
  }

 private:
  FaultSpec spec_;
  PartitionParams params_;
  std::string hub_;
  std::string table_;
  std::vector<AddressCut> cuts_;
  bool attempted_ = false;
};

}  // namespace

std::unique_ptr<Injector> make_ns_partition(const FaultSpec& spec) { return std::make_unique<NsPartition>(spec); }

}  // namespace faultline
