// Marking the samples the harness decided, by the rules of evidence.hpp:
//
// - an ok sample whose latency exceeds the probe's effective timeout: the
//   harness was not there when the timeout was due (it was stopped or
//   starved), so the answer it later read proves nothing about when;
// - a failing sample that lasted at least the timeout (it timed out) and
//   either overlapped a stall of its probe or of the whole harness, or
//   ended more than one interval after its timeout was due: the timer fired
//   when the harness ran again, and the answer may have been waiting.
//
// A prompt failure (refused, reset, a bad reply) is the system's answer
// whatever the harness did afterwards, and stays evidence.
#include "measure/evidence.hpp"

#include <algorithm>

namespace faultline {

bool harness_decided(const Sample& x, Nanos interval, Nanos timeout, const std::vector<HarnessStall>& stalls,
                     const std::string& probe) {
  if (timeout.count() <= 0) return false;
  if (x.ok) return x.latency() > timeout;
  if (x.latency() < timeout) return false;
  if (x.latency() > timeout + interval) return true;
  return std::any_of(stalls.begin(), stalls.end(), [&](const HarnessStall& s) {
    return (s.probe.empty() || s.probe == probe) && s.start < x.end && s.end > x.start;
  });
}

std::size_t mark_harness_decided(std::vector<ProbeSeries>& probes, const std::vector<ProbeSpec>& specs,
                                 const std::vector<HarnessStall>& stalls) {
  std::size_t marked = 0;
  for (auto& p : probes) {
    const auto spec = std::find_if(specs.begin(), specs.end(), [&](const ProbeSpec& s) { return s.name == p.name; });
    if (spec == specs.end()) continue;
    for (auto& x : p.samples) {
      if (x.harness_decided || !harness_decided(x, p.interval, spec->effective_timeout(), stalls, p.name)) continue;
      x.harness_decided = true;
      ++marked;
    }
  }
  return marked;
}

}  // namespace faultline
