#include "scenario/schedule.hpp"

#include <algorithm>

namespace faultline {

std::uint64_t name_hash(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
  return h;
}

std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {
  auto splitmix = [](std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  };
  return splitmix(splitmix(splitmix(seed) ^ a) ^ b);
}

std::vector<PlannedInjection> schedule_iteration(const Scenario& s, std::uint64_t seed, int iteration) {
  std::vector<PlannedInjection> out;
  for (std::size_t f = 0; f < s.faults.size(); ++f) {
    const FaultSpec& spec = s.faults[f];
    Nanos first = spec.at_min;
    if (spec.at_max > spec.at_min) {
      // Uniform over [at_min, at_max] at nanosecond resolution; the modulo
      // bias over a 64-bit draw is below 1e-9 for any window a drill uses.
      const auto span = static_cast<std::uint64_t>((spec.at_max - spec.at_min).count()) + 1;
      first += Nanos(static_cast<std::int64_t>(mix_seed(seed, static_cast<std::uint64_t>(iteration), f) % span));
    }
    const bool holds = spec.duration.has_value();
    for (int r = 1; r <= spec.repeat; ++r) {
      PlannedInjection p;
      p.fault = f;
      p.repetition = r;
      p.offset = first + (r - 1) * spec.every;
      if (holds) p.hold = spec.duration;
      out.push_back(p);
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const PlannedInjection& a, const PlannedInjection& b) { return a.offset < b.offset; });
  return out;
}

}  // namespace faultline
