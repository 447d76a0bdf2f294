// Phase 4 of a strategy run (issue 17; runner.cpp): which iteration runs
// which [[strategy]], and so which runbook and checks. The order itself was
// drawn in phase 1 (run_prepare: RunRecord::iteration_strategies, from
// scenario/strategy_schedule.hpp); here each iteration looks its strategy
// up. Everything else about an iteration (the steady-state gate, setup, the
// fault timeline, observation, workloads, cool-down) is the same for every
// strategy, so that the strategies differ in their runbook and nothing else.
#include <algorithm>
#include <fmt/format.h>

#include "run/run.hpp"

namespace faultline {

int Run::iteration_count() const {
  return rec_.iteration_strategies.empty() ? s_.iterations : static_cast<int>(rec_.iteration_strategies.size());
}

const StrategySpec* Run::strategy_of(int it) const {
  if (it < 1 || static_cast<std::size_t>(it) > rec_.iteration_strategies.size()) return nullptr;
  const std::string& name = rec_.iteration_strategies[static_cast<std::size_t>(it) - 1];
  auto found = std::find_if(s_.strategies.begin(), s_.strategies.end(),
                            [&](const StrategySpec& st) { return st.name == name; });
  return found == s_.strategies.end() ? nullptr : &*found;
}

const std::vector<RecoverySpec>& Run::runbook_of(int it) const {
  const StrategySpec* st = strategy_of(it);
  return st ? st->recovery : s_.recovery;
}

std::vector<StepSpec> Run::verify_of(int it) const {
  std::vector<StepSpec> steps = s_.verify;
  if (const StrategySpec* st = strategy_of(it)) steps.insert(steps.end(), st->verify.begin(), st->verify.end());
  return steps;
}

std::string Run::iteration_tag(int it) const {
  const StrategySpec* st = strategy_of(it);
  return fmt::format("iteration {}/{}{}", it, iteration_count(), st ? fmt::format(" (strategy '{}')", st->name) : "");
}

}  // namespace faultline
