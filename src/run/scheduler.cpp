// Fixed-rate probe scheduling on the scheduler's own thread (scheduler.hpp).
// Each probe has one tick loop that sleeps on an absolute deadline (origin +
// start + k * interval, never a relative sleep), so neither probe duration
// nor wake-up latency accumulates into drift. A tick spawns the execution as
// its own coroutine and goes straight back to sleep; a tick that finds the
// previous execution of the same probe still running is skipped and counted
// as an overrun.
//
// Who touches what: the tick loops, tick timers, executions and stall list of
// tcp/http probes live on the probe thread; those of exec probes, series,
// lateness histograms and the callback on the run's event loop ("main"). Between them
// only atomics (busy, stopping, the skip and tick counters, exec_pending)
// and the delivery queue under its mutex. The probe thread's io_context is
// owned by ProbeScheduler::Thread, not by Impl (which coroutine frames keep
// alive), so that destroying it destroys the frames and never the reverse.
#include "run/scheduler.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include "run/lateness.hpp"
#include "run/stall_watch.hpp"
#include "system/probe.hpp"

namespace faultline {

namespace {

/// A sample on its way from the probe thread to the run's event loop.
struct Delivery {
  std::size_t probe = 0;
  Sample sample;
  Nanos tick{0};  ///< the tick it ran on
};

}  // namespace

struct ProbeScheduler::Thread {
  asio::io_context io{1};
  std::thread thread;
};

struct ProbeScheduler::Impl : std::enable_shared_from_this<ProbeScheduler::Impl> {
  // Set at construction, read by both threads.
  asio::any_io_executor main_ex;
  asio::io_context::executor_type probe_ex;
  RunClock clock;
  std::vector<ProbeSpec> probes;

  // Shared.
  std::unique_ptr<std::atomic<bool>[]> busy;  ///< an execution of probe i is in flight
  std::unique_ptr<std::atomic<std::uint64_t>[]> skipped, scheduled;
  std::atomic<bool> stopping{false};
  std::atomic<int> exec_pending{0};  ///< exec executions handed to main and not yet recorded
  std::mutex mu;
  std::vector<Delivery> queue;  ///< under mu
  bool flush_posted = false;    ///< under mu

  // Probe thread only (read by main after the thread was joined); the
  // entries of exec probes are main's.
  std::vector<asio::steady_timer*> tick_timers;
  std::vector<HarnessStall> stalls;
  std::vector<HarnessStall> main_stalls;  ///< main only: the exec probes' stalls

  // Main only.
  std::vector<ProbeSeries> series;
  std::vector<LatenessHistogram> lateness;
  SampleCallback callback;
  asio::steady_timer drained;  ///< cancelled when the thread is done and no exec is pending
  bool thread_done = true;     ///< until start()

  Impl(asio::any_io_executor e, asio::io_context::executor_type pe, const RunClock& c, std::vector<ProbeSpec> p)
      : main_ex(e), probe_ex(pe), clock(c), probes(std::move(p)),
        busy(new std::atomic<bool>[probes.size()]),
        skipped(new std::atomic<std::uint64_t>[probes.size()]),
        scheduled(new std::atomic<std::uint64_t>[probes.size()]),
        tick_timers(probes.size(), nullptr), lateness(probes.size()), drained(e) {
    drained.expires_at(asio::steady_timer::time_point::max());
    for (std::size_t i = 0; i < probes.size(); ++i) {
      busy[i] = false;
      skipped[i] = 0;
      scheduled[i] = 0;
      ProbeSeries s;
      s.name = probes[i].name;
      s.kind = probes[i].kind;
      s.interval = probes[i].interval;
      s.steady_state = probes[i].steady_state;
      series.push_back(std::move(s));
    }
  }

  Nanos interval_of(std::size_t i) const {
    return probes[i].interval.count() > 0 ? probes[i].interval : Nanos(1);
  }

  bool is_exec(std::size_t i) const { return probes[i].kind == ProbeKind::exec; }

  /// Tick k of probe i fires at start + k * interval: on the probe thread,
  /// or on main for an exec probe (its command is spawned there).
  static asio::awaitable<void> tick_loop(std::shared_ptr<Impl> self, std::size_t i, Nanos start) {
    const Nanos interval = self->interval_of(i);
    auto& stalls = self->is_exec(i) ? self->main_stalls : self->stalls;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    self->tick_timers[i] = &timer;
    Nanos last_ran = self->clock.now();
    for (std::int64_t k = 0; !self->stopping;) {
      const Nanos tick = start + k * interval;
      timer.expires_at(self->clock.at(tick));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (self->stopping) break;  // ticks it had not reached yet were never scheduled
      const Nanos now = self->clock.now();
      ++self->scheduled[i];
      // The thread did not run for more than an interval past this tick.
      if (now - tick > interval) add_stall(stalls, HarnessStall{last_ran, now, self->probes[i].name}, interval);
      if (self->busy[i]) {
        ++self->skipped[i];
      } else {
        self->busy[i] = true;
        self->launch(i, tick);
      }
      // Ticks that went by while the thread was late are skipped, not fired
      // in a burst now; the latest one due is kept.
      const std::int64_t next = std::max<std::int64_t>(k + 1, (now - start) / interval);
      self->scheduled[i] += static_cast<std::uint64_t>(next - k - 1);
      self->skipped[i] += static_cast<std::uint64_t>(next - k - 1);
      k = next;
      last_ran = self->clock.now();
    }
    self->tick_timers[i] = nullptr;
  }

  /// Starts one execution of probe i (on the thread its ticks run on).
  void launch(std::size_t i, Nanos tick) {
    auto self = shared_from_this();
    if (!is_exec(i)) {
      asio::co_spawn(probe_ex, execute(self, i, tick, probe_ex), asio::detached);
      return;
    }
    ++exec_pending;
    asio::co_spawn(main_ex, execute(self, i, tick, main_ex), asio::detached);
  }

  /// One execution of probe i on `ex` (the probe thread, or main for exec probes).
  static asio::awaitable<void> execute(std::shared_ptr<Impl> self, std::size_t i, Nanos tick, asio::any_io_executor ex) {
    Delivery d{i, Sample{}, tick};
    d.sample.start = self->clock.now();
    try {
      auto outcome = co_await run_probe_once(ex, self->probes[i]);
      d.sample.ok = outcome.ok;
      d.sample.detail = std::move(outcome.detail);
    } catch (const std::exception& e) {
      d.sample.ok = false;
      d.sample.detail = std::string("probe error: ") + e.what();
    }
    d.sample.end = self->clock.now();
    self->busy[i] = false;
    if (self->probes[i].kind == ProbeKind::exec) {  // already on main
      self->record(std::move(d));
      --self->exec_pending;
      self->check_drained();
    } else {
      self->deliver(std::move(d));
    }
  }

  /// Probe thread: queues a sample for main.
  void deliver(Delivery d) {
    std::lock_guard lock(mu);
    queue.push_back(std::move(d));
    if (flush_posted) return;
    flush_posted = true;
    asio::post(main_ex, [self = shared_from_this()] { self->flush(); });
  }

  /// Main: records every queued sample.
  void flush() {
    std::vector<Delivery> batch;
    {
      std::lock_guard lock(mu);
      batch.swap(queue);
      flush_posted = false;
    }
    for (auto& d : batch) record(std::move(d));
  }

  /// Main: appends one sample and calls back.
  void record(Delivery d) {
    lateness[d.probe].add(d.sample.start - d.tick);
    auto& s = series[d.probe];
    s.samples.push_back(std::move(d.sample));
    s.overruns = skipped[d.probe];
    if (callback) callback(d.probe, s.samples.back());
  }

  /// Main: wakes drain() once nothing is left to deliver.
  void check_drained() {
    if (thread_done && exec_pending == 0) drained.cancel();
  }

  /// Main: the final figures of every probe, after the thread ended.
  void finish() {
    flush();
    for (std::size_t i = 0; i < series.size(); ++i) {
      series[i].overruns = skipped[i];
      series[i].scheduled = scheduled[i];
      series[i].lateness_p50 = lateness[i].percentile(0.50);
      series[i].lateness_p99 = lateness[i].percentile(0.99);
      series[i].lateness_max = lateness[i].max();
    }
  }

  /// Main: no tick fires after this.
  void stop() {
    stopping = true;
    for (std::size_t i = 0; i < probes.size(); ++i)
      if (is_exec(i) && tick_timers[i]) tick_timers[i]->cancel();
    asio::post(probe_ex, [self = shared_from_this()] {
      for (std::size_t i = 0; i < self->probes.size(); ++i)
        if (!self->is_exec(i) && self->tick_timers[i]) self->tick_timers[i]->cancel();
    });
  }
};

ProbeScheduler::ProbeScheduler(asio::any_io_executor ex, const RunClock& clock, std::vector<ProbeSpec> probes)
    : thread_(std::make_unique<Thread>()) {
  impl_ = std::make_shared<Impl>(std::move(ex), thread_->io.get_executor(), clock, std::move(probes));
}

ProbeScheduler::~ProbeScheduler() {
  impl_->callback = nullptr;  // executions still in flight must not call back into a dead owner
  impl_->stop();
  thread_->io.stop();  // abandons executions in flight: the thread ends now
  if (thread_->thread.joinable()) thread_->thread.join();
  thread_.reset();  // destroys the frames of the tick loops and executions (and their timers, sockets)
}

void ProbeScheduler::start(Nanos start) {
  if (thread_->thread.joinable() || impl_->stopping) return;
  for (std::size_t i = 0; i < impl_->probes.size(); ++i) {
    if (impl_->is_exec(i)) asio::co_spawn(impl_->main_ex, Impl::tick_loop(impl_, i, start), asio::detached);
    else asio::co_spawn(thread_->io, Impl::tick_loop(impl_, i, start), asio::detached);
  }
  impl_->thread_done = false;
  try {
    thread_->thread = std::thread([this, self = impl_] {
      thread_->io.run();
      asio::post(self->main_ex, [self] {
        self->thread_done = true;
        self->check_drained();
      });
    });
  } catch (...) {
    // No thread (EAGAIN: the machine is out of processes): nothing will run
    // on it, so drain() must not wait for it to end.
    impl_->thread_done = true;
    throw;
  }
}

void ProbeScheduler::stop() { impl_->stop(); }

asio::awaitable<void> ProbeScheduler::drain() {
  auto self = impl_;
  while (!self->thread_done || self->exec_pending > 0) {
    // The expiry stays at "never": only cancel() (nothing left) wakes us.
    boost::system::error_code ec;
    co_await self->drained.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (thread_->thread.joinable()) thread_->thread.join();  // it has posted its last act
  self->finish();
}

void ProbeScheduler::on_sample(SampleCallback cb) { impl_->callback = std::move(cb); }

const std::vector<ProbeSeries>& ProbeScheduler::series() const { return impl_->series; }

std::vector<ProbeSeries> ProbeScheduler::take_series() { return std::exchange(impl_->series, {}); }

std::vector<HarnessStall> ProbeScheduler::take_stalls() {
  if (thread_->thread.joinable()) return {};  // still running: the list is the probe thread's
  std::vector<HarnessStall> out = std::exchange(impl_->stalls, {});
  for (auto& st : impl_->main_stalls) out.push_back(std::move(st));
  impl_->main_stalls.clear();
  return out;
}

}  // namespace faultline
