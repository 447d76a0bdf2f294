// Semantic checks of the [[strategy]] tables (issue 17): names unique, each
// strategy's runbook and verify steps named uniquely within it, a step that
// waits for detection only where a steady-state probe can detect, a
// strategy's data-loss threshold only with a workload, and a fault to
// recover from.
//
// The one rule that is a decision rather than a consequence: a scenario with
// strategies has no top-level [[recovery]]. A top-level runbook beside the
// strategies' would be ambiguous (run before each strategy's? instead of?
// as a strategy of its own?), and each reading would make the comparison
// measure something other than what the file seems to say; so it is an
// error, with the fix of moving the steps into the strategy they belong to
// (a strategy with no [[strategy.recovery]] at all is allowed: "do nothing"
// is a strategy worth comparing). The top-level [[verify]] steps, on the
// contrary, are the checks every strategy must pass: they run for every
// strategy, before its own [[strategy.verify]] steps. The top-level
// [thresholds] judge the whole run, a [strategy.thresholds] only that
// strategy's iterations.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "scenario/check_context.hpp"
#include "scenario/validate_checks.hpp"

namespace faultline {

namespace {

class StrategyChecks : public CheckContext {
 public:
  using CheckContext::CheckContext;

  void run() {
    if (s_.strategies.empty()) return;
    unique(s_.strategies.size(), "strategy name", [&](std::size_t i) {
      return std::pair(s_.strategies[i].name, where(fmt::format("strategy[{}].name", i), s_.strategies[i].pos));
    });
    if (!s_.recovery.empty())
      error(where("recovery[0]", s_.recovery.front().pos),
            "a scenario with [[strategy]] tables cannot have a top-level [[recovery]]: which runbook runs would be "
            "ambiguous",
            "move the steps into the [[strategy.recovery]] of the strategy they belong to");
    if (std::none_of(s_.faults.begin(), s_.faults.end(), [](const FaultSpec& f) { return f.injection; }))
      error(where("strategy[0]", s_.strategies.front().pos),
            "[[strategy]] tables compare recoveries from a fault, but no [[fault]] is injected",
            "declare the [[fault]] the strategies recover from");
    for (std::size_t i = 0; i < s_.strategies.size(); ++i) strategy(i);
  }

 private:
  template <class At>
  void unique(std::size_t count, std::string_view what, At at) {
    std::map<std::string, SourcePos> first;
    for (std::size_t i = 0; i < count; ++i) {
      auto [name, pos] = at(i);
      if (name.empty()) continue;
      auto [it, fresh] = first.emplace(name, pos);
      if (!fresh)
        error(pos, fmt::format("duplicate {} '{}'", what, name),
              it->second.line > 0 ? fmt::format("first declared at line {}", it->second.line) : "");
    }
  }

  void strategy(std::size_t i) {
    const StrategySpec& st = s_.strategies[i];
    const std::string path = fmt::format("strategy[{}]", i);
    unique(st.recovery.size(), fmt::format("recovery step name in strategy '{}'", st.name), [&](std::size_t j) {
      return std::pair(st.recovery[j].name, where(fmt::format("{}.recovery[{}].name", path, j), st.recovery[j].pos));
    });
    unique(st.verify.size(), fmt::format("verify step name in strategy '{}'", st.name), [&](std::size_t j) {
      return std::pair(st.verify[j].name, where(fmt::format("{}.verify[{}].name", path, j), st.verify[j].pos));
    });
    const bool steady =
        std::any_of(s_.probes.begin(), s_.probes.end(), [](const ProbeSpec& p) { return p.steady_state; });
    for (std::size_t j = 0; j < st.recovery.size(); ++j)
      if (st.recovery[j].on == RecoveryTrigger::detect && !steady)
        error(where(fmt::format("{}.recovery[{}].on", path, j), st.recovery[j].pos),
              fmt::format("recovery step '{}' of strategy '{}' waits for detection, but no steady-state [[probe]] "
                          "can detect impact",
                          st.recovery[j].name, st.name),
              "declare a [[probe]], or write on = \"inject\" or on = \"start\"");
    const auto& th = st.thresholds;
    if ((th.max_data_loss || th.max_data_loss_window) && s_.workloads.empty())
      error(where(path + ".thresholds.max_data_loss", th.pos.line ? th.pos : st.pos),
            fmt::format("'max_data_loss' of strategy '{}' needs a [[workload]] to measure data loss", st.name),
            "declare a [[workload]] that writes and reads back, or remove the threshold");
  }
};

}  // namespace

void check_strategies(const Scenario& s, std::vector<Diagnostic>& out) { StrategyChecks(s, out).run(); }

}  // namespace faultline
