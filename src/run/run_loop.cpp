#include "run/run_loop.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <functional>

namespace faultline {

void run_event_loop(asio::io_context& io, Run& run, RunObserver& observer, ProcessGuards& guards,
                    const Scenario& scenario) {
  bool done = false;
  // A live console redraws as time passes, not only when something happens.
  asio::steady_timer refresh(io);
  std::function<void(const boost::system::error_code&)> on_refresh = [&](const boost::system::error_code& ec) {
    if (ec || done) return;
    observer.tick(run.clock().now());
    refresh.expires_after(observer.refresh_interval());
    refresh.async_wait(on_refresh);
  };
  if (observer.refresh_interval().count() > 0) {
    refresh.expires_after(observer.refresh_interval());
    refresh.async_wait(on_refresh);
  }
  // max_duration bounds everything up to the end of the last iteration;
  // the teardown after it is never cut short.
  asio::steady_timer bound(io);
  if (scenario.max_duration) {
    bound.expires_after(*scenario.max_duration);
    bound.async_wait([&](const boost::system::error_code& ec) {
      if (ec || done) return;
      run.abort(Outcome::inconclusive,
                fmt::format("max_duration {} reached: the run was aborted and every fault reverted",
                            format_duration(*scenario.max_duration)));
    });
  }
  asio::co_spawn(io, run.main(), [&](std::exception_ptr) {
    done = true;
    guards.stop_listening();
    refresh.cancel();
    bound.cancel();
  });
  io.run();
  observer.end(run.clock().now());
}

}  // namespace faultline
