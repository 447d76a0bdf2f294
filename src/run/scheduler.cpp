// Fixed-rate probe scheduling on the scheduler's own thread (scheduler.hpp).
// Each probe has one tick loop that sleeps on an absolute deadline (origin +
// start + k * interval, never a relative sleep), so neither probe duration
// nor wake-up latency accumulates into drift. A tick starts the execution:
// what needs no wait is done on the spot (start_probe: a tcp connect on
// loopback, whose sample is then delivered with no coroutine at all), the
// rest as its own coroutine, and the tick loop goes back to sleep at its
// first wait (co_spawn runs it inline until then: an exec probe's spawn
// holds the exec thread for its length); a tick that finds the previous
// execution of the same probe still running is skipped and counted as an
// overrun.
//
// Who touches what: the tick loops, tick timers, executions and stall list of
// tcp/http probes live on the probe thread; those of exec probes on the exec
// thread (started only when there are exec probes); series, lateness
// histograms and the callback on the run's event loop ("main"). Between them
// only atomics (busy, stopping, the skip and tick counters) and the delivery
// queue under its mutex, which main empties whenever it reads series() and
// on a timer of its own (the pump), rather than being signalled for each
// batch: only a pump asleep for want of samples is woken, by an eventfd
// write (no lock of main's, which a real-time probe thread must not wait
// for: os/realtime.hpp). The threads' io_contexts are owned by
// ProbeScheduler::Thread, not by Impl (which coroutine frames keep alive), so
// that destroying them destroys the frames and never the reverse.
#include "run/scheduler.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include "os/realtime.hpp"
#include "run/lateness.hpp"
#include "record/sample_compactor.hpp"
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

/// Each probe's effective timeout, in declaration order.
std::vector<Nanos> timeouts_of(const std::vector<ProbeSpec>& probes) {
  std::vector<Nanos> out;
  for (const auto& p : probes) out.push_back(p.effective_timeout());
  return out;
}

}  // namespace

struct ProbeScheduler::Thread {
  asio::io_context io{1};
  std::thread thread;
  asio::io_context exec_io{1};  ///< exec probes: spawning may block, so never on the probe thread
  std::thread exec_thread;
  bool joinable() const { return thread.joinable() || exec_thread.joinable(); }
  void join() {
    if (thread.joinable()) thread.join();
    if (exec_thread.joinable()) exec_thread.join();
  }
};

struct ProbeScheduler::Impl : std::enable_shared_from_this<ProbeScheduler::Impl> {
  // Set at construction, read by both threads.
  asio::any_io_executor main_ex;
  asio::io_context::executor_type probe_ex;
  asio::io_context::executor_type exec_ex;
  RunClock clock;
  std::vector<ProbeSpec> probes;

  // Shared.
  std::unique_ptr<std::atomic<bool>[]> busy;  ///< an execution of probe i is in flight
  std::unique_ptr<std::atomic<std::uint64_t>[]> skipped, scheduled;
  std::atomic<bool> stopping{false};
  std::atomic<bool> realtime{false};  ///< the probe thread runs at real-time priority
  PriorityInheritingMutex mu;         ///< the probe thread may be real-time, main is not (os/realtime.hpp)
  std::vector<Delivery> queue;        ///< under mu
  std::atomic<bool> pump_asleep{false};  ///< the pump waits for a delivery rather than its timer (pump_loop)
  int wake_fd = -1;  ///< the eventfd a delivery writes to wake a sleeping pump (owned by `wake`); -1: none

  // The probe thread only: its CPU time at the start of the current second (watch_saturation).
  Nanos window_start{0}, window_cpu{0};
  double saturation_limit = 0.75;  ///< set before the thread starts

  // The thread of the probe's kind only (read by main after the threads were joined).
  std::vector<asio::steady_timer*> tick_timers;
  std::vector<HarnessStall> stalls;       ///< the probe thread's
  std::vector<HarnessStall> exec_stalls;  ///< the exec thread's

  // Main only.
  std::vector<ProbeSeries> series;
  std::vector<LatenessHistogram> lateness;
  SampleCompactor compactor;  ///< folds the series as samples arrive (sample_compactor.hpp)
  SampleCallback callback;
  asio::steady_timer drained;  ///< cancelled when every thread is done
  asio::steady_timer pump;     ///< paces the delivery of queued samples (pump_loop)
  asio::posix::stream_descriptor wake;  ///< wake_fd, read by a sleeping pump
  int threads_running = 0;     ///< threads started and not yet done
  Nanos callback_latency{0};   ///< set_callback_latency(); 0: pump_period()'s default
  bool flushing = false;       ///< flush() is running (a callback must not re-enter it)
  bool owner_gone = false;     ///< the ProbeScheduler was destroyed (a drain() still pending must not touch it)

  Impl(asio::any_io_executor e, asio::io_context::executor_type pe, asio::io_context::executor_type ee,
       const RunClock& c, std::vector<ProbeSpec> p)
      : main_ex(e), probe_ex(pe), exec_ex(ee), clock(c), probes(std::move(p)),
        busy(new std::atomic<bool>[probes.size()]),
        skipped(new std::atomic<std::uint64_t>[probes.size()]),
        scheduled(new std::atomic<std::uint64_t>[probes.size()]),
        tick_timers(probes.size(), nullptr), lateness(probes.size()), compactor(timeouts_of(probes)), drained(e),
        pump(e), wake(e) {
    drained.expires_at(asio::steady_timer::time_point::max());
    // No eventfd (no descriptors left): the pump never sleeps, as before.
    if (const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); fd >= 0) {
      boost::system::error_code ec;
      wake.assign(fd, ec);
      if (ec) ::close(fd);
      else wake_fd = fd;
    }
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
  bool has_exec() const {
    return std::any_of(probes.begin(), probes.end(), [](const ProbeSpec& p) { return p.kind == ProbeKind::exec; });
  }
  /// The executor probe i ticks and runs on.
  asio::io_context::executor_type ex_of(std::size_t i) const { return is_exec(i) ? exec_ex : probe_ex; }

  /// Tick k of probe i fires at start + k * interval, on the thread of its
  /// kind (the exec thread spawns commands; the probe thread never does).
  static asio::awaitable<void> tick_loop(std::shared_ptr<Impl> self, std::size_t i, Nanos start) {
    const Nanos interval = self->interval_of(i);
    auto& stalls = self->is_exec(i) ? self->exec_stalls : self->stalls;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    self->tick_timers[i] = &timer;
    // When the loop last handled a tick (fired or skipped it); at first, its start.
    Nanos last_ran = self->clock.now();
    for (std::int64_t k = 0;;) {
      const Nanos tick = start + k * interval;
      // A stop that came while the thread was busy (an exec probe's spawn
      // blocks it: co_spawn runs the execution inline up to its first wait)
      // is seen here, without waiting: the tick due next is still judged.
      if (!self->stopping) {
        timer.expires_at(self->clock.at(tick));
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      const Nanos now = self->clock.now();
      if (!self->is_exec(i)) self->watch_saturation(now);
      // The thread did not handle this tick within an interval: it was
      // stalled (starved, or blocked by a spawn) from the last tick it
      // handled until now, also when the stop came meanwhile. Seen in CI: an
      // exec thread that missed its last 224 ms, and one whose last two
      // ticks before the stop went unscheduled with no stall in the record
      // (a spawn blocking it past the stop, as far as the code tells).
      if (now - tick > interval) add_stall(stalls, HarnessStall{last_ran, now, self->probes[i].name}, interval);
      if (self->stopping) break;  // ticks it had not reached yet were never scheduled
      ++self->scheduled[i];
      last_ran = now;
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
    }
    self->tick_timers[i] = nullptr;
  }

  /// Probe thread, at real-time priority: once a second, its CPU time over
  /// that second; above three quarters of a core it goes back to ordinary
  /// priority for the rest of the run. A real-time thread that falls behind
  /// never yields, and would take the core from the system under test
  /// (os/realtime.hpp). Ten 1 ms probes take about a third of a core here.
  void watch_saturation(Nanos now) {
    if (!realtime || now - window_start < Nanos(1'000'000'000)) return;
    const Nanos cpu = thread_cpu_time();
    if (static_cast<double>((cpu - window_cpu).count()) > saturation_limit * static_cast<double>((now - window_start).count())) {
      lower_thread_to_ordinary();
      realtime = false;
    }
    window_start = now;
    window_cpu = cpu;
  }

  /// Starts one execution of probe i (on the thread its ticks run on). What
  /// needs no event loop is done here (start_probe: a tcp connect on
  /// loopback completes within the call); only the rest is a coroutine.
  void launch(std::size_t i, Nanos tick) {
    const Nanos start = clock.now();
    ProbeStart started = is_exec(i) ? ProbeStart{} : start_probe(probes[i]);
    if (started.outcome) {
      Delivery d{i, Sample{}, tick};
      d.sample.start = start;
      d.sample.ok = started.outcome->ok;
      d.sample.detail = std::move(started.outcome->detail);
      d.sample.end = clock.now();
      busy[i] = false;
      deliver(std::move(d));
      return;
    }
    const auto ex = ex_of(i);
    asio::co_spawn(ex, execute(shared_from_this(), i, tick, start, std::move(started), ex), asio::detached);
  }

  /// One execution of probe i on `ex` (the probe thread, or the exec
  /// thread), begun at `start` (with `started`: launch()).
  static asio::awaitable<void> execute(std::shared_ptr<Impl> self, std::size_t i, Nanos tick, Nanos start,
                                       ProbeStart started, asio::any_io_executor ex) {
    Delivery d{i, Sample{}, tick};
    d.sample.start = start;
    try {
      auto outcome = co_await run_probe_once(ex, self->probes[i], std::move(started));
      d.sample.ok = outcome.ok;
      d.sample.detail = std::move(outcome.detail);
    } catch (const std::exception& e) {
      d.sample.ok = false;
      d.sample.detail = std::string("probe error: ") + e.what();
    }
    d.sample.end = self->clock.now();
    self->busy[i] = false;
    self->deliver(std::move(d));
  }

  /// Probe or exec thread: queues a sample for main (pump_loop takes it),
  /// and wakes the pump if it went to sleep for want of samples.
  void deliver(Delivery d) {
    {
      std::lock_guard lock(mu);
      queue.push_back(std::move(d));
    }
    if (pump_asleep.exchange(false)) {
      const std::uint64_t one = 1;
      [[maybe_unused]] const auto n = ::write(wake_fd, &one, sizeof one);  // cannot fail: the count is far from its limit
    }
  }

  /// Whether samples wait in the queue.
  bool queued() {
    std::lock_guard lock(mu);
    return !queue.empty();
  }

  /// How often main takes the queued samples when nothing reads series():
  /// callback_latency if set, else the shortest probe interval, within
  /// [1 ms, 10 ms]. Main wakes on its own timer, so the probe thread never
  /// signals it (a post per batch cost a lock on main's scheduler, contended
  /// with main itself, and an eventfd write per batch).
  Nanos pump_period() const {
    if (callback_latency.count() > 0) return callback_latency;
    Nanos p = Nanos(10'000'000);
    for (std::size_t i = 0; i < probes.size(); ++i) p = std::min(p, interval_of(i));
    return std::max(p, Nanos(1'000'000));
  }

  /// Main: records the queued samples every pump_period() while the threads
  /// run and samples come. A turn that found none puts the pump to sleep
  /// until the next delivery wakes it (an eventfd write from the probe or
  /// exec thread), so that probes seconds apart do not wake the run's loop
  /// every few milliseconds in between: that loop also moves the links'
  /// bytes. While samples come at least once a pump period, nothing signals.
  static asio::awaitable<void> pump_loop(std::shared_ptr<Impl> self) {
    const auto period = std::chrono::duration_cast<asio::steady_timer::duration>(self->pump_period());
    boost::system::error_code ec;
    while (self->threads_running > 0) {
      self->pump.expires_after(period);
      co_await self->pump.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (self->flush() || self->threads_running == 0 || self->wake_fd < 0) continue;
      // Asleep first, then look: a delivery after the look sees the flag and
      // writes the eventfd, which the read below then finds (at once, if it
      // came first). A write for a look that found samples after all only
      // cuts a later sleep short.
      self->pump_asleep = true;
      if (self->queued()) {
        self->pump_asleep = false;
        continue;
      }
      std::uint64_t count = 0;
      co_await self->wake.async_read_some(asio::buffer(&count, sizeof count),
                                          asio::redirect_error(asio::use_awaitable, ec));
      self->pump_asleep = false;  // a delivery cleared it already; the run's end (a cancel) did not
      self->flush();
    }
  }

  /// Main: records every queued sample (not again from inside a callback
  /// it makes: the outer call records what came meanwhile at its next turn),
  /// then folds what may be folded if `fold`. series() records without
  /// folding: it may run after the caller read the clock for a cut it has
  /// not made yet (observe: the clock, the series, then the cut), and a
  /// fold made then could take in samples that started after that time. The
  /// pump folds on a turn of its own, after any such cut.
  /// Returns whether it recorded anything (true when it could not look).
  bool flush(bool fold = true) {
    if (flushing) return true;
    flushing = true;
    struct Done {
      bool& f;
      ~Done() { f = false; }
    } done{flushing};
    std::vector<Delivery> batch;
    {
      std::lock_guard lock(mu);
      batch.swap(queue);
    }
    for (auto& d : batch) record(std::move(d));
    if (fold) compactor.compact(series);
    return !batch.empty();
  }

  /// Main: appends one sample and calls back.
  void record(Delivery d) {
    lateness[d.probe].add(d.sample.start - d.tick);
    auto& s = series[d.probe];
    s.samples.push_back(std::move(d.sample));
    s.overruns = skipped[d.probe];
    compactor.arrived(series, d.probe);
    if (callback) callback(d.probe, s.samples.back());
  }

  /// Main: one thread ended; wakes drain() once none runs (every sample is then queued).
  void thread_ended() {
    if (owner_gone || --threads_running > 0) return;
    drained.cancel();
    pump.cancel();
    boost::system::error_code ignored;
    wake.cancel(ignored);
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
      series[i].realtime = realtime && !is_exec(i);
    }
  }

  /// Main: no tick is scheduled once the tick loops see this (one being
  /// handled at this instant may still launch; drain() waits for it).
  void stop() {
    stopping = true;
    for (const bool exec : {false, true})
      asio::post(exec ? exec_ex : probe_ex, [self = shared_from_this(), exec] {
        for (std::size_t i = 0; i < self->probes.size(); ++i)
          if (self->is_exec(i) == exec && self->tick_timers[i]) self->tick_timers[i]->cancel();
      });
  }
};

ProbeScheduler::ProbeScheduler(asio::any_io_executor ex, const RunClock& clock, std::vector<ProbeSpec> probes)
    : thread_(std::make_unique<Thread>()) {
  impl_ = std::make_shared<Impl>(std::move(ex), thread_->io.get_executor(), thread_->exec_io.get_executor(), clock,
                                 std::move(probes));
}

ProbeScheduler::~ProbeScheduler() {
  impl_->callback = nullptr;  // executions still in flight must not call back into a dead owner
  impl_->stop();
  thread_->io.stop();  // abandons executions in flight: the threads end now
  thread_->exec_io.stop();
  thread_->join();
  thread_.reset();  // destroys the frames of the tick loops and executions (and their timers, sockets)
  // Destroyed before drain() completed (an error path; a test whose
  // assertion failed): the coroutines still waiting on the run's loop (the
  // pump, a drain()) are woken to end rather than left for the loop's own
  // destruction, which would destroy the Impl that owns their timers from
  // inside those very timers' queue.
  impl_->owner_gone = true;
  impl_->threads_running = 0;
  impl_->pump.cancel();
  boost::system::error_code ignored;
  impl_->wake.cancel(ignored);
  impl_->drained.cancel();
}

void ProbeScheduler::start(Nanos start) {
  if (thread_->joinable() || impl_->threads_running > 0 || impl_->stopping) return;
  for (std::size_t i = 0; i < impl_->probes.size(); ++i)
    asio::co_spawn(impl_->ex_of(i), Impl::tick_loop(impl_, i, start), asio::detached);
  // Each thread, once its io_context has run out of work, tells main.
  auto body = [self = impl_](asio::io_context& io) {
    io.run();
    asio::post(self->main_ex, [self] { self->thread_ended(); });
  };
  try {
    impl_->threads_running = 1;
    thread_->thread = std::thread([body, self = impl_](asio::io_context& io) {
      self->window_start = self->clock.now();
      self->window_cpu = thread_cpu_time();
      self->realtime = raise_thread_to_realtime();  // os/realtime.hpp
      body(io);
    }, std::ref(thread_->io));
    if (impl_->has_exec()) {
      impl_->threads_running = 2;
      thread_->exec_thread = std::thread(body, std::ref(thread_->exec_io));
    }
    asio::co_spawn(impl_->main_ex, Impl::pump_loop(impl_), asio::detached);
  } catch (...) {
    // A thread could not be created (EAGAIN: the machine is out of
    // processes): only those that exist will end, so drain() waits for them
    // alone. The caller ends the run.
    impl_->threads_running = thread_->thread.joinable() ? 1 : 0;
    throw;
  }
}

void ProbeScheduler::stop() { impl_->stop(); }

asio::awaitable<void> ProbeScheduler::drain() {
  auto self = impl_;
  while (self->threads_running > 0) {
    // The expiry stays at "never": only cancel() (nothing left) wakes us.
    boost::system::error_code ec;
    co_await self->drained.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (self->owner_gone) co_return;  // the scheduler is gone: nothing to finish, `this` is not to be touched
  thread_->join();  // each has posted its last act
  self->finish();
}

void ProbeScheduler::on_sample(SampleCallback cb) { impl_->callback = std::move(cb); }

void ProbeScheduler::set_saturation_limit(double share_of_a_core) { impl_->saturation_limit = share_of_a_core; }

void ProbeScheduler::cut(Nanos t) { impl_->compactor.cut(t); }

const std::vector<ProbeSeries>& ProbeScheduler::series() {
  if (impl_->threads_running > 0) impl_->flush(false);  // after drain() everything is recorded already
  return impl_->series;
}

void ProbeScheduler::set_callback_latency(Nanos at_most) { impl_->callback_latency = at_most; }

std::vector<ProbeSeries> ProbeScheduler::take_series() { return std::exchange(impl_->series, {}); }

std::vector<HarnessStall> ProbeScheduler::take_stalls() {
  if (thread_->joinable()) return {};  // still running: the lists are the threads'
  std::vector<HarnessStall> out = std::exchange(impl_->stalls, {});
  for (auto& st : impl_->exec_stalls) out.push_back(std::move(st));
  impl_->exec_stalls.clear();
  return out;
}

}  // namespace faultline
