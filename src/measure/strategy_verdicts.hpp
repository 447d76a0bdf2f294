// The verdicts of a strategy run (issue 17) beside the run's own: each
// strategy's [strategy.thresholds] judged over its own iterations, and its
// [[strategy.recovery]] and [[strategy.verify]] steps a verdict each, scoped
// "strategy NAME" (one JUnit testcase each). A pure function of the record.
#pragma once

#include <vector>

#include "measure/measurement.hpp"
#include "record/record.hpp"

namespace faultline {

/// The record restricted to one strategy's iterations: its iteration
/// metrics, steps and workload results (the iterations keep their run-wide
/// numbers).
struct StrategyPart {
  std::vector<IterationMetrics> iterations;
  std::vector<StepOutcome> steps;
  std::vector<WorkloadResult> workloads;
};

/// The part of `rec` that ran strategy `name`.
StrategyPart strategy_part(const RunRecord& rec, const std::string& name);

/// Every strategy's verdicts, in declaration order: its thresholds (as
/// measure/thresholds and data_loss judge them), then a "runbook" verdict per
/// [[strategy.recovery]] step and a "verify" verdict per [[strategy.verify]]
/// step. None without strategies.
std::vector<Verdict> strategy_verdicts(const RunRecord& rec, const MeasureParams& params);

}  // namespace faultline
