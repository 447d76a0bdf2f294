// [[recovery]] steps: the runbook a drill rehearses. The steps run in order
// beside the fault timeline of every iteration, each `after` past its
// trigger (detection, the first injection, or the iteration start) and never
// before the previous step ended; a failed step stops the runbook. What the
// runbook did becomes StepOutcomes (phase "recovery"), two metrics beside TTR
// (time to mitigate, runbook duration) and one verdict per step.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "os/clock.hpp"
#include "os/stop.hpp"
#include "os/subprocess.hpp"
#include "record/record.hpp"
#include "scenario/placeholders.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

namespace asio = boost::asio;

/// Impact as the runner first observes it: the start of the earliest failing
/// sample of a steady-state probe that began at or after `inject_start`
/// (docs/design.md section 3, t_fail). nullopt while there is none.
std::optional<Nanos> observed_impact(const std::vector<ProbeSeries>& series, Nanos inject_start);

/// When a step is due: its trigger time plus `after`; nullopt while the
/// trigger has not happened. `t_inject` and `t_detect` are nullopt until known.
std::optional<Nanos> due_time(const RecoverySpec& step, Nanos iteration_start, std::optional<Nanos> t_inject,
                              std::optional<Nanos> t_detect);

/// "detect", "detect + 2000.000 ms", "start + 500.000 ms": the step's trigger for plans and records.
std::string trigger_text(const RecoverySpec& step);

/// Whether a finished command meets a step's expectations; `why` says why not.
bool recovery_step_passed(const RecoverySpec& step, bool timed_out, int exit_code, const std::string& out,
                          std::string& why);

/// What a runbook needs from the run while it goes.
struct RunbookContext {
  asio::any_io_executor ex;
  const RunClock* clock = nullptr;
  StopSource* stop = nullptr;
  int iteration = 1;
  Nanos iteration_start{0};
  Nanos poll{10ms};                                 ///< how often triggers are re-evaluated
  std::function<std::optional<Nanos>()> t_inject;   ///< nullopt until the first injection returned
  std::function<std::optional<Nanos>()> t_detect;   ///< nullopt until impact is observed
  std::function<bool()> observation_over;           ///< no trigger can come any more
  std::function<void(const StepOutcome&)> on_step;  ///< each outcome, as it is decided
};

/// Runs the runbook of one iteration to its end (every step ran, failed,
/// or will never be triggered); every step's outcome goes to `ctx.on_step`.
/// A stop request ends a wait or a running command at once (the command's
/// process group is killed).
asio::awaitable<void> run_runbook(const std::vector<RecoverySpec>& steps, RunbookContext ctx);

/// run_command (subprocess.hpp) that a stop request ends at once, its
/// process group killed; nullopt when stopped (or it could not be waited on).
asio::awaitable<std::optional<CommandResult>> run_command_or_stop(asio::any_io_executor ex, SpawnOptions opts,
                                                                  Nanos timeout, StopSource& stop);

}  // namespace faultline
