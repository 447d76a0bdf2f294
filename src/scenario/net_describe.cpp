#include "scenario/net_describe.hpp"

#include <fmt/format.h>

#include "scenario/rate.hpp"

namespace faultline {

namespace {

std::string toxicity_text(double toxicity) {
  return toxicity < 1 ? fmt::format(", {:g}% of connections", toxicity * 100) : std::string();
}

std::string on_link(const FaultSpec& f) { return fmt::format(" on link '{}'", f.target); }

std::string partition_text(const PartitionParams& p) {
  std::string how;
  if (!p.isolate.empty()) {
    how = fmt::format("isolate '{}'", p.isolate);
  } else if (p.shape) {
    how = *p.shape == PartitionShape::ring ? "majorities ring" : "halves";
  } else {
    for (const auto& g : p.groups) {
      std::string names;
      for (const auto& n : g) names += (names.empty() ? "" : ", ") + n;
      how += fmt::format("{}[{}]", how.empty() ? "" : " | ", names);
    }
  }
  return fmt::format("partition {}, {} ({}), {}", how, p.mode == PartitionMode::drop ? "drop" : "reject",
                     p.mode == PartitionMode::drop ? "traffic held, new connections hang"
                                                   : "connections reset, new ones as soon as accepted",
                     p.one_way ? "only from the first group to the others" : "both directions");
}

}  // namespace

std::string direction_text(NetDirection d) {
  switch (d) {
    case NetDirection::upstream: return "upstream (client to server)";
    case NetDirection::downstream: return "downstream (server to client)";
    case NetDirection::both: return "both directions";
  }
  return "?";
}

std::string describe_net_fault(const FaultSpec& f) {
  if (const auto* p = std::get_if<LatencyParams>(&f.params)) {
    std::string jitter = p->jitter.count() > 0
                             ? fmt::format(" {} {} ({})", p->distribution == LatencyDistribution::normal ? "sd" : "+/-",
                                           format_duration(p->jitter),
                                           p->distribution == LatencyDistribution::normal ? "normal" : "uniform")
                             : std::string();
    return fmt::format("delay {}{}, {}{}{}", format_duration(p->latency), jitter, direction_text(p->direction),
                       toxicity_text(p->toxicity), on_link(f));
  }
  if (const auto* p = std::get_if<BandwidthParams>(&f.params))
    return fmt::format("limit to {} per connection, {}{}{}", format_rate(p->rate), direction_text(p->direction),
                       toxicity_text(p->toxicity), on_link(f));
  if (const auto* p = std::get_if<BlackholeParams>(&f.params))
    return fmt::format("discard data, {}{}{}{}", direction_text(p->direction),
                       p->close_after ? fmt::format(", close connections after {}", format_duration(*p->close_after))
                                      : std::string(),
                       toxicity_text(p->toxicity), on_link(f));
  if (const auto* p = std::get_if<ResetParams>(&f.params))
    return fmt::format("reset connections (RST){}{}{}",
                       p->after.count() > 0 ? fmt::format(" {} after the fault reaches them", format_duration(p->after))
                                            : std::string(),
                       toxicity_text(p->toxicity), on_link(f));
  if (const auto* p = std::get_if<SlowCloseParams>(&f.params))
    return fmt::format("delay closes by {}, {}{}{}", format_duration(p->delay), direction_text(p->direction),
                       toxicity_text(p->toxicity), on_link(f));
  if (const auto* p = std::get_if<SlicerParams>(&f.params))
    return fmt::format("slice data into {}{} byte pieces {} apart, {}{}{}", p->size,
                       p->size_variation ? fmt::format(" +/- {}", p->size_variation) : std::string(),
                       format_duration(p->delay), direction_text(p->direction), toxicity_text(p->toxicity), on_link(f));
  if (const auto* p = std::get_if<PartitionParams>(&f.params)) return partition_text(*p);
  return {};
}

}  // namespace faultline
