// What net.bandwidth and net.latency share with network = "namespaces": a
// root qdisc on the veth ends of the target service's host. The target is
// treated as the server, as for a link: "upstream" (client to server) is the
// traffic into the service, which leaves the hub through the hub's veth end
// (flTAGhN); "downstream" (server to client) is the traffic the service
// sends, which leaves its host through the host's end (flTAGnN). A qdisc
// shapes what leaves a device, so each direction is one device.
//
// inject adds the qdisc on each device of the direction and reads
// `tc qdisc show` back; revert deletes the root qdisc of every device it was
// added to and reads back that no tbf or netem is left (a namespace or
// device that is gone took its qdisc with it). The crash ledger holds the
// (namespace, device) pairs, so `faultline cleanup` undoes the same.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "fault_injectors/injector.hpp"

namespace faultline {

/// A root qdisc of one kind on the target's veth ends.
class QdiscInjector : public Injector {
 public:
  QdiscInjector(const FaultSpec& spec, NetDirection direction, std::string qdisc_kind)
      : spec_(spec), direction_(direction), qdisc_kind_(std::move(qdisc_kind)) {}

  asio::awaitable<void> prepare(InjectorContext& ctx) override;
  asio::awaitable<void> inject(InjectorContext& ctx) override;
  asio::awaitable<void> revert(InjectorContext& ctx) override;
  bool reversible() const override { return true; }
  Undo undo_plan(InjectorContext& ctx) const override;
  std::string describe() const override;

 protected:
  /// The `tc` argv that adds the qdisc to `dev` in `netns`.
  virtual std::vector<std::string> add_argv(const std::string& netns, const std::string& dev) const = 0;

  FaultSpec spec_;

 private:
  NetDirection direction_;
  std::string qdisc_kind_;  ///< "tbf", "netem": what `tc qdisc show` must list
  std::vector<std::pair<std::string, std::string>> devices_;  ///< (namespace, device)
  std::vector<std::pair<std::string, std::string>> applied_;
};

}  // namespace faultline
