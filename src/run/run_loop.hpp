// The event loop of a run (phases 1 to 5 of runner.cpp): the run runs on
// one single-threaded io_context (the probes tick on threads of their own,
// run/scheduler.hpp, and hand their samples to it), the run's phases as one coroutine
// (Run::main), beside them the live console's refresh and the
// `max_duration` bound, and the signal handlers of the process guards.
// max_duration bounds everything up to the end of the last iteration; the
// teardown after it is never cut short.
#pragma once

#include <boost/asio/io_context.hpp>

#include "run/run.hpp"
#include "run/run_guards.hpp"
#include "run/run_observer.hpp"

namespace faultline {

/// Runs `run`'s phases on `io` until they are over (every fault reverted,
/// the clone stopped), with the console refreshed as time passes and the
/// run aborted as inconclusive at `max_duration`; then stops listening for
/// signals and tells `observer` the run ended.
void run_event_loop(asio::io_context& io, Run& run, RunObserver& observer, ProcessGuards& guards,
                    const Scenario& scenario);

}  // namespace faultline
