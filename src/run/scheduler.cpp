// Fixed-rate probe scheduling. Each probe has one tick loop that sleeps on an
// absolute deadline (origin + start + k * interval, never a relative sleep),
// so neither probe duration nor wake-up latency accumulates into drift. A
// tick spawns the execution as its own coroutine and goes straight back to
// sleep; a tick that finds the previous execution of the same probe still
// running is skipped and counted as an overrun. Executions of different
// probes are independent coroutines on the same io_context.
#include "run/scheduler.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <utility>

#include "system/probe.hpp"

namespace faultline {

struct ProbeScheduler::Impl : std::enable_shared_from_this<ProbeScheduler::Impl> {
  asio::any_io_executor ex;
  RunClock clock;
  std::vector<ProbeSpec> probes;
  std::vector<ProbeSeries> series;
  std::vector<bool> busy;  ///< an execution of probe i is in flight
  std::vector<std::unique_ptr<asio::steady_timer>> tick_timers;
  std::size_t in_flight = 0;
  bool stopped = false;
  SampleCallback callback;
  asio::steady_timer drained;  ///< cancelled whenever in_flight drops to 0

  Impl(asio::any_io_executor e, const RunClock& c, std::vector<ProbeSpec> p)
      : ex(e), clock(c), probes(std::move(p)), busy(probes.size(), false), drained(e) {
    drained.expires_at(asio::steady_timer::time_point::max());
    for (const auto& spec : probes) {
      ProbeSeries s;
      s.name = spec.name;
      s.kind = spec.kind;
      s.interval = spec.interval;
      s.steady_state = spec.steady_state;
      series.push_back(std::move(s));
      tick_timers.push_back(std::make_unique<asio::steady_timer>(e));
    }
  }

  /// Tick k of probe i fires at start + k * interval.
  static asio::awaitable<void> tick_loop(std::shared_ptr<Impl> self, std::size_t i, Nanos start) {
    const Nanos interval = self->probes[i].interval.count() > 0 ? self->probes[i].interval : Nanos(1);
    auto& timer = *self->tick_timers[i];
    for (std::int64_t k = 0; !self->stopped; ++k) {
      timer.expires_at(self->clock.at(start + k * interval));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (self->stopped) co_return;
      if (self->busy[i]) {
        ++self->series[i].overruns;
        continue;
      }
      self->busy[i] = true;
      ++self->in_flight;
      asio::co_spawn(self->ex, execute(self, i), asio::detached);
    }
  }

  /// One execution of probe i, recorded as a sample.
  static asio::awaitable<void> execute(std::shared_ptr<Impl> self, std::size_t i) {
    Sample s;
    s.start = self->clock.now();
    try {
      auto outcome = co_await run_probe_once(self->ex, self->probes[i]);
      s.ok = outcome.ok;
      s.detail = std::move(outcome.detail);
    } catch (const std::exception& e) {
      s.ok = false;
      s.detail = std::string("probe error: ") + e.what();
    }
    s.end = self->clock.now();
    self->series[i].samples.push_back(s);
    self->busy[i] = false;
    if (--self->in_flight == 0) self->drained.cancel();
    if (self->callback) self->callback(i, self->series[i].samples.back());
  }

  void stop() {
    stopped = true;
    for (auto& t : tick_timers) t->cancel();
  }
};

ProbeScheduler::ProbeScheduler(asio::any_io_executor ex, const RunClock& clock, std::vector<ProbeSpec> probes)
    : impl_(std::make_shared<Impl>(std::move(ex), clock, std::move(probes))) {}

ProbeScheduler::~ProbeScheduler() {
  impl_->callback = nullptr;  // executions still in flight must not call back into a dead owner
  impl_->stop();
}

void ProbeScheduler::start(Nanos start) {
  for (std::size_t i = 0; i < impl_->probes.size(); ++i)
    asio::co_spawn(impl_->ex, Impl::tick_loop(impl_, i, start), asio::detached);
}

void ProbeScheduler::stop() { impl_->stop(); }

asio::awaitable<void> ProbeScheduler::drain() {
  auto self = impl_;
  while (self->in_flight > 0) {
    // The expiry stays at "never": only cancel() (in_flight reached 0) wakes us.
    boost::system::error_code ec;
    co_await self->drained.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

void ProbeScheduler::on_sample(SampleCallback cb) { impl_->callback = std::move(cb); }

const std::vector<ProbeSeries>& ProbeScheduler::series() const { return impl_->series; }

std::vector<ProbeSeries> ProbeScheduler::take_series() { return std::exchange(impl_->series, {}); }

}  // namespace faultline
