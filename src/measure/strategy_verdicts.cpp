// Per strategy verdicts (strategy_verdicts.hpp): the run's own judges
// (thresholds, data loss, runbook and verify steps) applied to the part of
// the record that one strategy ran, their scope naming the strategy.
#include "measure/strategy_verdicts.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "measure/data_loss.hpp"
#include "measure/verdicts.hpp"

namespace faultline {

namespace {

bool runs(const RunRecord& rec, int iteration, const std::string& name) {
  return iteration >= 1 && static_cast<std::size_t>(iteration) <= rec.iteration_strategies.size() &&
         rec.iteration_strategies[static_cast<std::size_t>(iteration) - 1] == name;
}

void scoped(std::vector<Verdict>& out, std::vector<Verdict>&& vs, const std::string& name) {
  for (auto& v : vs) {
    const std::string strategy = fmt::format("strategy {}", name);
    v.scope = v.scope.empty() || v.scope == "run" ? strategy : fmt::format("{}: {}", strategy, v.scope);
    out.push_back(std::move(v));
  }
}

}  // namespace

StrategyPart strategy_part(const RunRecord& rec, const std::string& name) {
  StrategyPart p;
  for (const auto& m : rec.iterations)
    if (runs(rec, m.index, name)) p.iterations.push_back(m);
  for (const auto& s : rec.steps)
    if (runs(rec, s.iteration, name)) p.steps.push_back(s);
  for (const auto& w : rec.workloads)
    if (runs(rec, w.iteration, name)) p.workloads.push_back(w);
  return p;
}

std::vector<Verdict> strategy_verdicts(const RunRecord& rec, const MeasureParams& params) {
  std::vector<Verdict> out;
  for (const auto& st : rec.scenario.strategies) {
    const StrategyPart part = strategy_part(rec, st.name);
    if (!part.iterations.empty())
      scoped(out, judge(st.thresholds, part.iterations, summarize(part.iterations), params), st.name);
    scoped(out, data_loss_verdicts(st.thresholds, part.workloads), st.name);
    // The strategy's own steps, judged as the run's are (verdicts.hpp).
    Scenario steps_only;
    steps_only.recovery = st.recovery;
    steps_only.verify = st.verify;
    scoped(out, runbook_verdicts(steps_only, part.steps), st.name);
    scoped(out, verify_verdicts(steps_only, part.steps), st.name);
  }
  return out;
}

}  // namespace faultline
