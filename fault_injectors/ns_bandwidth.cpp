// net.bandwidth with network = "namespaces" — the kernel's token bucket.
//
// How it works: a tbf (token bucket filter) becomes the root qdisc of the
// target service's veth end for each direction (ns_qdisc.hpp says which end
// is which). Tokens accrue at `rate` (converted to bits per second for tc);
// the bucket holds 10 ms of traffic (at least one full frame), and a packet
// that would wait more than 200 ms in the queue is dropped, as on a real
// congested link. Unlike the proxied kind, the rate is for all of the
// service's traffic in that direction together, not per connection, and
// `toxicity` does not apply (validate refuses a value other than 1).
//
// How it is undone: the root qdisc of each device is deleted (the device
// falls back to its default queue) and `tc qdisc show` is read back; a
// device that is gone took its qdisc with it.
#include "fault_injectors/ns_qdisc.hpp"
#include "os/netns.hpp"

namespace faultline {

namespace {

class NsBandwidth final : public QdiscInjector {
 public:
  explicit NsBandwidth(const FaultSpec& spec)
      : QdiscInjector(spec, std::get<BandwidthParams>(spec.params).direction, "tbf"),
        params_(std::get<BandwidthParams>(spec.params)) {}

 protected:
  std::vector<std::string> add_argv(const std::string& netns, const std::string& dev) const override {
    return tbf_argv(netns, dev, params_.rate);
  }

 private:
  BandwidthParams params_;
};

}  // namespace

std::unique_ptr<Injector> make_ns_bandwidth(const FaultSpec& spec) { return std::make_unique<NsBandwidth>(spec); }

}  // namespace faultline
