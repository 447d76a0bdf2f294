// The strategies' part of `plan` (strategy_plan.hpp): each strategy's
// runbook as the runner will run it, and the order of the iterations, so
// that what `run` does with a seed can be read before it does it. Long runs
// are shown in full for their first blocks only, as the fault timeline is.
#include "run/strategy_plan.hpp"

#include <fmt/format.h>

#include "run/plan.hpp"
#include "run/runbook.hpp"
#include "scenario/strategy_schedule.hpp"

namespace faultline {

namespace {

std::string strategy_text(const StrategySpec& st) {
  std::string out = fmt::format("  strategy '{}'{}\n", st.name, st.description.empty() ? "" : ": " + st.description);
  if (st.recovery.empty()) out += "    runbook: none (the system is left to recover on its own)\n";
  for (const auto& r : st.recovery)
    out += fmt::format("    runbook '{}' on {}, timeout {}: `{}`\n", r.name, trigger_text(r), format_duration(r.timeout),
                       r.command.display());
  for (const auto& v : st.verify) out += fmt::format("    verify '{}': `{}`\n", v.name, v.command.display());
  const std::string th = thresholds_block(st.thresholds, "    thresholds (its own iterations):");
  if (th.find("(none") == std::string::npos) out += th;
  return out;
}

}  // namespace

std::string strategies_block(const Scenario& s, std::optional<std::uint64_t> seed) {
  if (s.strategies.empty()) return {};
  std::string out = fmt::format(
      "strategies ({}, each run {} time(s); compared at {:g}% confidence; a secondary-outage rate above {:g}% "
      "keeps one from ranking):\n",
      s.strategies.size(), s.iterations, s.confidence, s.max_secondary_outage_rate);
  for (const auto& st : s.strategies) out += strategy_text(st);
  out += fmt::format("order of the {} iterations ({}; blocks of every strategy once, each block shuffled):\n",
                     s.strategies.size() * static_cast<std::size_t>(s.iterations),
                     seed ? fmt::format("seed {}", *seed) : std::string("no seed given: shown for seed 0, pass --seed"));
  const auto order = strategy_order(s, seed.value_or(0));
  constexpr int kShownBlocks = 10;
  const std::size_t per_block = s.strategies.size();
  for (int b = 0; b < s.iterations; ++b) {
    if (b == kShownBlocks) {
      out += fmt::format("  blocks {} to {}: each shuffled anew from the seed\n", b + 1, s.iterations);
      break;
    }
    std::string line;
    for (std::size_t i = 0; i < per_block; ++i) {
      const std::size_t it = static_cast<std::size_t>(b) * per_block + i;
      line += fmt::format("{}{}: {}", i ? ", " : "", it + 1, order[it]);
    }
    out += fmt::format("  block {}: {}\n", b + 1, line);
  }
  return out;
}

}  // namespace faultline
