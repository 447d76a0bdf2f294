#include "fault_injectors/ns_qdisc.hpp"

#include <fmt/format.h>

#include "fault_injectors/kernel_command.hpp"
#include "os/netns.hpp"
#include "os/subprocess.hpp"

namespace faultline {

namespace {

/// A root qdisc of one kind on the target's veth ends.
class QdiscInjector final : public Injector {
 public:
  QdiscInjector(const FaultSpec& spec, NetDirection direction, std::string qdisc_kind, QdiscArgv add_argv,
                std::string description)
      : spec_(spec),
        direction_(direction),
        qdisc_kind_(std::move(qdisc_kind)),
        add_argv_(std::move(add_argv)),
        description_(std::move(description)) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override;
  asio::awaitable<void> inject(InjectorContext& ctx) override;
  asio::awaitable<void> revert(InjectorContext& ctx) override;
  bool reversible() const override { return true; }
  Undo undo_plan(InjectorContext& ctx) const override;
  std::string describe() const override;

 private:
  FaultSpec spec_;
  NetDirection direction_;
  std::string qdisc_kind_;
  QdiscArgv add_argv_;
  std::string description_;
  std::vector<std::pair<std::string, std::string>> devices_;  ///< (namespace, device)
  std::vector<std::pair<std::string, std::string>> applied_;
};

asio::awaitable<void> QdiscInjector::prepare(InjectorContext& ctx) {
  if (!ctx.network) throw FaultError("the run has no network namespaces");
  const NetHost* h = ctx.network->host_of(spec_.target);
  if (!h) throw FaultError(fmt::format("service '{}' has no network namespace", spec_.target));
  devices_.clear();
  if (direction_ != NetDirection::downstream) devices_.emplace_back(ctx.network->hub, h->hub_if);
  if (direction_ != NetDirection::upstream) devices_.emplace_back(h->netns, h->host_if);
  co_return;
}

asio::awaitable<void> QdiscInjector::inject(InjectorContext& ctx) {
  for (const auto& [ns, dev] : devices_) {
    const CommandResult add = co_await run_kernel_command(ctx, add_argv_(ns, dev));
    applied_.emplace_back(ns, dev);  // whatever tc said, revert looks
    if (!add.status.success() || add.timed_out)
      throw FaultError(fmt::format("`tc qdisc add` on {} in {} failed: {}", dev, ns, first_line(add)));
    const CommandResult show = co_await run_kernel_command(ctx, qdisc_show_argv(ns, dev));
    if (!shows_qdisc(show.out, qdisc_kind_))
      throw FaultError(fmt::format("{} on {} in {} is not listed by `tc qdisc show` after it was added", qdisc_kind_, dev, ns));
  }
}

asio::awaitable<void> QdiscInjector::revert(InjectorContext& ctx) {
  std::string left;
  for (const auto& [ns, dev] : applied_) {
    const CommandResult before = co_await run_kernel_command(ctx, qdisc_show_argv(ns, dev));
    if (!before.status.success()) continue;  // the device (or its namespace) is gone, and the qdisc with it
    if (shows_qdisc(before.out, qdisc_kind_)) co_await run_kernel_command(ctx, qdisc_delete_argv(ns, dev));
    const CommandResult after = co_await run_kernel_command(ctx, qdisc_show_argv(ns, dev));
    if (after.status.success() && shows_qdisc(after.out, qdisc_kind_))
      left += fmt::format("{}{} in {}", left.empty() ? "" : ", ", dev, ns);
  }
  applied_.clear();
  if (!left.empty()) throw FaultError(fmt::format("{} is still on {}", qdisc_kind_, left));
}

Undo QdiscInjector::undo_plan(InjectorContext&) const {
  Undo u;
  u.kind = Undo::Kind::qdisc;
  u.qdiscs = devices_;
  return u;
}

std::string QdiscInjector::describe() const {
  std::string d = description_;
  // The target is a service here, not a link.
  if (auto at = d.rfind(" on link '"); at != std::string::npos) d.replace(at, 10, " on service '");
  std::string devs;
  for (const auto& [ns, dev] : devices_) devs += fmt::format("{}{} in {}", devs.empty() ? "" : ", ", dev, ns);
  if (!devs.empty()) d += fmt::format("; {} on {}", qdisc_kind_, devs);
  return d;
}

}  // namespace

std::unique_ptr<Injector> make_qdisc_injector(const FaultSpec& spec, NetDirection direction, std::string qdisc_kind,
                                              QdiscArgv add_argv, std::string description) {
  return std::make_unique<QdiscInjector>(spec, direction, std::move(qdisc_kind), std::move(add_argv),
                                         std::move(description));
}

}  // namespace faultline
