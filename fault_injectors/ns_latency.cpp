// net.latency with network = "namespaces" — the kernel's netem.
//
// How it works: netem becomes the root qdisc of the target service's veth
// end for each direction (ns_qdisc.hpp says which end is which) and holds
// every packet `latency` (+/- `jitter`, uniform by default or netem's normal
// table) before it leaves. Only where the kernel has sch_netem: many
// minimal kernels do not, and there validate, plan and run refuse the
// scenario in one line before anything is built (host_caps.hpp), pointing
// at proxied links, whose net.latency needs nothing from the kernel.
// `toxicity` does not apply (validate refuses a value other than 1).
//
// How it is undone: the root qdisc of each device is deleted, which releases
// the packets it held, and `tc qdisc show` is read back.
#include "fault_injectors/ns_qdisc.hpp"
#include "os/netns.hpp"

namespace faultline {

namespace {

class NsLatency final : public QdiscInjector {
 public:
  explicit NsLatency(const FaultSpec& spec)
      : QdiscInjector(spec, std::get<LatencyParams>(spec.params).direction, "netem"),
        params_(std::get<LatencyParams>(spec.params)) {}

 protected:
  std::vector<std::string> add_argv(const std::string& netns, const std::string& dev) const override {
    return netem_argv(netns, dev, params_);
  }

 private:
  LatencyParams params_;
};

}  // namespace

std::unique_ptr<Injector> make_ns_latency(const FaultSpec& spec) { return std::make_unique<NsLatency>(spec); }

}  // namespace faultline
