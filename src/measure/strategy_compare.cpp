// The strategies' comparison (strategy_compare.hpp): a percentile bootstrap
// of the difference of medians, the ranking and its sentence.
//
// The bootstrap resamples each strategy's iterations with replacement (as
// many as it ran), takes each resample's nearest-rank median, and keeps the
// difference; the interval is the (1 - c)/2 and (1 + c)/2 quantiles of the
// differences. Its generator is splitmix64 over the seed (mix_seed), so the
// same record and seed give the same interval everywhere. How many
// iterations would tell two strategies apart is read off the observed
// interval: its half-width shrinks as 1/sqrt(n), so n' = n (h / |d|)^2
// iterations per strategy would bring it inside the observed difference.
#include "measure/strategy_compare.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numeric>

#include "scenario/schedule.hpp"

namespace faultline {

namespace {

constexpr std::int64_t kInf = std::numeric_limits<std::int64_t>::max();
/// Keeps the bootstrap's draws apart from every other seeded choice of the run.
constexpr std::uint64_t kBootstrapSalt = 0x426f6f7473747270ULL;  // "Bootstrp"

std::vector<std::int64_t> keys_of(const std::vector<StrategySample>& s) {
  std::vector<std::int64_t> out;
  for (const auto& x : s) out.push_back(x.recovery_time ? x.recovery_time->count() : kInf);
  return out;
}

/// Nearest-rank median of `v` (reordered).
std::int64_t median(std::vector<std::int64_t>& v) {
  const std::size_t rank = (v.size() + 1) / 2;  // ceil(n / 2)
  std::nth_element(v.begin(), v.begin() + static_cast<long>(rank - 1), v.end());
  return v[rank - 1];
}

/// median(a) - median(b), a never-recovered median being beyond every number.
std::int64_t difference(std::int64_t a, std::int64_t b) {
  if (a == kInf && b == kInf) return 0;
  if (a == kInf) return kInf;
  if (b == kInf) return -kInf;
  return a - b;
}

/// A resampled median of `keys`, drawing from (seed, stream, r).
std::int64_t resampled_median(const std::vector<std::int64_t>& keys, std::uint64_t seed, std::uint64_t stream,
                              std::uint64_t r, std::vector<std::int64_t>& scratch) {
  scratch.resize(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i)
    scratch[i] = keys[mix_seed(seed, (stream << 32) ^ r, i) % keys.size()];
  return median(scratch);
}

Nanos bound(std::int64_t v) { return v == kInf ? Nanos::max() : v == -kInf ? -Nanos::max() : Nanos{v}; }

std::int64_t time_key(const std::optional<StrategyTime>& t) {
  return !t ? kInf : t->beyond_deadline ? kInf : t->value.count();
}

/// "A is faster than B", "A cannot be told from B", ... for the conclusion.
std::string conclusion_for(const StrategyComparison& c, const std::vector<const StrategyStats*>& ranked) {
  if (ranked.empty()) {
    std::string why;
    for (const auto& s : c.strategies) why += fmt::format("{}{}: {}", why.empty() ? "" : "; ", s.name, s.ineligible_why);
    return "no strategy can be ranked (" + why + ")";
  }
  const StrategyStats& first = *ranked.front();
  if (time_key(first.recovery_p50) == kInf) return "no rankable strategy recovered in most of its iterations";
  if (ranked.size() == 1) return fmt::format("'{}' is the only strategy that can be ranked", first.name);
  const StrategyStats& second = *ranked[1];
  for (const auto& p : c.pairs) {
    if (!((p.a == first.name && p.b == second.name) || (p.a == second.name && p.b == first.name))) continue;
    if (p.significant) return fmt::format("'{}' restores fastest, faster than '{}' at {:g}% confidence", first.name, second.name, c.confidence);
    if (p.difference && p.difference->count() == 0)
      return fmt::format("'{}' and '{}' tie: no difference of medians measured", first.name, second.name);
    if (p.iterations_needed > 0)
      return fmt::format("not enough iterations to tell '{}' from '{}': about {} iterations each would be needed at "
                         "the observed spread",
                         first.name, second.name, p.iterations_needed);
    return fmt::format("not enough iterations to tell '{}' from '{}'", first.name, second.name);
  }
  return {};
}

}  // namespace

StrategyPair compare_pair(const std::string& a, const std::vector<StrategySample>& sa, const std::string& b,
                          const std::vector<StrategySample>& sb, const CompareParams& p) {
  StrategyPair out;
  out.a = a;
  out.b = b;
  out.verdict = "not enough iterations to tell";
  if (sa.empty() || sb.empty()) return out;
  auto ka = keys_of(sa), kb = keys_of(sb);
  std::vector<std::int64_t> ma = ka, mb = kb;
  const std::int64_t observed = difference(median(ma), median(mb));
  if (observed != kInf && observed != -kInf && median(ma) != kInf) out.difference = Nanos{observed};
  const int resamples = std::max(p.resamples, 1);
  std::vector<std::int64_t> diffs, scratch;
  diffs.reserve(static_cast<std::size_t>(resamples));
  for (int r = 0; r < resamples; ++r) {
    const std::int64_t x = resampled_median(ka, p.seed, 1, static_cast<std::uint64_t>(r), scratch);
    const std::int64_t y = resampled_median(kb, p.seed, 2, static_cast<std::uint64_t>(r), scratch);
    diffs.push_back(difference(x, y));
  }
  std::sort(diffs.begin(), diffs.end());
  const double alpha = 1.0 - p.confidence / 100.0;
  const auto n = static_cast<double>(diffs.size());
  const auto lo = static_cast<std::size_t>(std::clamp(std::floor(alpha / 2 * n), 0.0, n - 1));
  const auto hi = static_cast<std::size_t>(std::clamp(std::ceil((1 - alpha / 2) * n) - 1, 0.0, n - 1));
  // No interval tighter than what was observed: each finite bound moves out
  // by the resolution of both figures.
  const std::int64_t widen = 2 * p.resolution.count();
  std::int64_t low = diffs[lo], high = diffs[hi];
  if (low != kInf && low != -kInf) low -= widen;
  if (high != kInf && high != -kInf) high += widen;
  out.ci_low = bound(low);
  out.ci_high = bound(high);
  const int fewest = static_cast<int>(std::min(sa.size(), sb.size()));
  out.significant = fewest >= kMinIterationsToTell && (low > 0 || high < 0);
  if (out.significant) {
    out.verdict = high < 0 ? a + " faster" : b + " faster";
  } else if (out.difference && out.difference->count() == 0) {
    out.verdict = "no difference measured";
  } else if (out.difference && low != -kInf && high != kInf && (low > 0 || high < 0)) {
    out.iterations_needed = kMinIterationsToTell;  // the interval excludes 0; too few iterations to say so
  } else if (out.difference && low != -kInf && high != kInf) {
    const double half = (static_cast<double>(high) - static_cast<double>(low)) / 2;
    const double d = std::abs(static_cast<double>(out.difference->count()));
    const double now = static_cast<double>(fewest);
    const double need = std::max({now + 1, static_cast<double>(kMinIterationsToTell), std::ceil(now * (half / d) * (half / d))});
    out.iterations_needed = static_cast<int>(std::min(1e6, need));
  }
  return out;
}

StrategyComparison compare_strategies(const std::vector<std::string>& names,
                                      const std::vector<std::vector<StrategySample>>& samples,
                                      const CompareParams& p) {
  StrategyComparison c;
  c.confidence = p.confidence;
  c.bootstrap_seed = p.seed;
  c.bootstrap_resamples = p.resamples;
  for (std::size_t i = 0; i < names.size(); ++i)
    c.strategies.push_back(summarize_strategy(names[i], i < samples.size() ? samples[i] : std::vector<StrategySample>{},
                                              p.max_secondary_rate));
  for (std::size_t i = 0; i < names.size(); ++i)
    for (std::size_t j = i + 1; j < names.size(); ++j)
      c.pairs.push_back(compare_pair(names[i], samples[i], names[j], samples[j], p));
  std::vector<StrategyStats*> ranked;
  for (auto& s : c.strategies)
    if (s.eligible) ranked.push_back(&s);
  std::stable_sort(ranked.begin(), ranked.end(), [](const StrategyStats* x, const StrategyStats* y) {
    return std::pair(time_key(x->recovery_p50), time_key(x->recovery_p95)) <
           std::pair(time_key(y->recovery_p50), time_key(y->recovery_p95));
  });
  for (std::size_t r = 0; r < ranked.size(); ++r) ranked[r]->rank = static_cast<int>(r + 1);
  const std::vector<const StrategyStats*> view(ranked.begin(), ranked.end());
  c.conclusion = conclusion_for(c, view);
  if (c.conclusion.find("restores fastest") != std::string::npos ||
      c.conclusion.find("is the only strategy") != std::string::npos)
    c.fastest = view.front()->name;
  return c;
}

std::optional<StrategyComparison> compare_record(const RunRecord& rec) {
  if (rec.scenario.strategies.empty()) return std::nullopt;
  std::vector<std::string> names;
  for (const auto& s : rec.scenario.strategies) names.push_back(s.name);
  CompareParams p;
  p.confidence = rec.scenario.confidence;
  p.max_secondary_rate = rec.scenario.max_secondary_outage_rate;
  p.seed = mix_seed(rec.seed, kBootstrapSalt);
  for (const auto& m : rec.iterations) p.resolution = std::max(p.resolution, m.uncertainty);
  return compare_strategies(names, strategy_samples(rec), p);
}

}  // namespace faultline
