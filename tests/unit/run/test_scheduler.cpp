// Tests of fixed-rate probe scheduling with real probes (a local TCP
// listener, real commands): ticks on the start + k * interval grid, no drift
// over many ticks, overruns skipped and counted, probes independent of each
// other, and drain() waiting for executions in flight. Tolerances are
// derived from the probe interval.
//
// Structure (every tick fired or counted, in order, on the grid, never
// early) is checked always. Punctuality (how late, how many skipped) is
// checked only when the scheduler saw its own thread on time: on a starved
// machine (a sanitized build beside other jobs) a tick can come more than an
// interval late, and then the scheduler must say so (a HarnessStall naming
// the probe), which is what these tests check instead. Punctuality targets
// under load live in tests/bench/probe_load.
#include <doctest/doctest.h>

#include <sched.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "run/scheduler.hpp"

using namespace faultline;
using asio::ip::tcp;

namespace {

/// Runs `aw` on `io` to completion (30 s at most). On a time-out the
/// coroutine is left pending and the test fails: the scheduler's destructor
/// then ends what still waits on `io` (see the test "destroyed before drain"),
/// so a failed assertion fails cleanly instead of crashing the run.
template <typename T>
T run_sync(asio::io_context& io, asio::awaitable<T> aw) {
  auto fut = asio::co_spawn(io, std::move(aw), asio::use_future);
  const auto deadline = SteadyClock::now() + std::chrono::seconds(30);
  io.restart();
  while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    if (SteadyClock::now() >= deadline) FAIL("timed out waiting for a coroutine");
    io.run_one_for(std::chrono::milliseconds(50));
  }
  return fut.get();
}

/// A local listener that accepts and drops every connection.
struct Listener {
  tcp::acceptor acceptor;
  explicit Listener(asio::io_context& io) : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(io, loop(), asio::detached);
  }
  std::string port() const { return std::to_string(acceptor.local_endpoint().port()); }
  asio::awaitable<void> loop() {
    for (;;) {
      boost::system::error_code ec;
      auto s = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
    }
  }
};

ProbeSpec tcp_probe(const std::string& name, const std::string& port, Nanos interval) {
  ProbeSpec p;
  p.name = name;
  p.kind = ProbeKind::tcp;
  p.port = port;
  p.interval = interval;
  return p;
}

ProbeSpec sh_probe(const std::string& name, const std::string& line, Nanos interval, Nanos timeout = 0ns) {
  ProbeSpec p;
  p.name = name;
  p.kind = ProbeKind::exec;
  p.command.argv = {"sh", "-c", line};
  p.interval = interval;
  p.timeout = timeout;
  return p;
}

/// Starts at `start`, stops at `until` (run offsets), then drains.
asio::awaitable<void> run_window(ProbeScheduler& s, const RunClock& clock, Nanos start, Nanos until) {
  s.start(start);
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_at(clock.at(until));
  co_await t.async_wait(asio::use_awaitable);
  s.stop();
  co_await s.drain();
}

/// How late each sample started after its grid tick (sample k on tick k; no overruns).
std::vector<Nanos> lags(const ProbeSeries& series, Nanos start) {
  std::vector<Nanos> out;
  for (std::size_t k = 0; k < series.samples.size(); ++k)
    out.push_back(series.samples[k].start - (start + static_cast<std::int64_t>(k) * series.interval));
  return out;
}

Nanos mean(const std::vector<Nanos>& v, std::size_t from, std::size_t to) {
  Nanos sum{0};
  for (std::size_t i = from; i < to; ++i) sum += v[i];
  return sum / static_cast<std::int64_t>(to - from);
}

/// True when the scheduler saw no tick of its own run more than an interval
/// late (after drain()); else every stall names one of `probes` and is logged.
bool on_time(ProbeScheduler& sched, std::initializer_list<const char*> probes) {
  const auto stalls = sched.take_stalls();
  for (const auto& st : stalls) {
    CHECK(std::find_if(probes.begin(), probes.end(), [&](const char* p) { return st.probe == p; }) != probes.end());
    MESSAGE("the scheduler reported a stall of probe " << st.probe << " (" << (st.end - st.start).count() / 1000
                                                       << " us): punctuality not judged");
  }
  return stalls.empty();
}

/// Ticks k with start + k * interval <= until.
std::int64_t ticks_until(Nanos start, Nanos until, Nanos interval) { return (until - start) / interval + 1; }

/// The scheduler reached every tick due by the test's stop (`ticks` of
/// them), give or take the last one, which falls half an interval before the
/// stop; more if the test's own loop called stop() late.
bool reached(const ProbeSeries& s, std::int64_t ticks) { return static_cast<std::int64_t>(s.scheduled) + 1 >= ticks; }

}  // namespace

TEST_CASE("scheduler: tcp ticks every 10 ms on the grid, without drift over many ticks") {
  asio::io_context io;
  Listener listener(io);
  RunClock clock;
  const Nanos interval = 10ms;
  ProbeScheduler sched(io.get_executor(), clock, {tcp_probe("tcp", listener.port(), interval)});
  const Nanos start = clock.now() + 20ms;
  const Nanos until = start + 150 * interval + interval / 2;
  run_sync(io, run_window(sched, clock, start, until));

  const auto& s = sched.series()[0];
  CHECK(s.name == "tcp");
  CHECK(s.interval == interval);
  CHECK(s.samples.size() + s.overruns == s.scheduled);
  for (const auto& sample : s.samples) {
    CHECK((sample.start - start) % interval >= 0ns);  // never before its tick
    CHECK(sample.ok);
    CHECK(sample.end >= sample.start);
  }
  if (!on_time(sched, {"tcp"})) return;
  CHECK(reached(s, ticks_until(start, until, interval)));
  REQUIRE(s.overruns == 0);
  auto l = lags(s, start);
  for (std::size_t k = 0; k < l.size(); ++k) {
    CHECK(l[k] >= 0ns);         // never before its tick
    CHECK(l[k] < interval);     // never as late as the next tick
  }
  // No drift: the last ticks are as punctual as the first ones.
  CHECK(mean(l, 0, 20) < interval / 4);
  CHECK(mean(l, l.size() - 20, l.size()) < interval / 4);
  // Spacing between consecutive starts stays within one interval of nominal.
  for (std::size_t k = 1; k < s.samples.size(); ++k) {
    auto gap = s.samples[k].start - s.samples[k - 1].start;
    CHECK(gap > 0ns);
    CHECK(gap < 2 * interval);
  }
}

TEST_CASE("scheduler: 1 ms tcp probes keep to the grid") {
  asio::io_context io;
  Listener listener(io);
  RunClock clock;
  const Nanos interval = 1ms;
  ProbeScheduler sched(io.get_executor(), clock, {tcp_probe("fast", listener.port(), interval)});
  const Nanos start = clock.now() + 10ms;
  const Nanos until = start + 400 * interval + interval / 2;
  run_sync(io, run_window(sched, clock, start, until));
  const auto& s = sched.series()[0];
  const auto ticks = ticks_until(start, until, interval);
  CHECK(s.samples.size() + s.overruns == s.scheduled);
  // Every tick of the grid fired (samples + overruns == ticks: relative
  // sleeps would have lost ticks), in order, and the last ones were on time.
  REQUIRE_FALSE(s.samples.empty());
  CHECK(s.samples.front().start >= start);
  for (std::size_t k = 1; k < s.samples.size(); ++k) CHECK(s.samples[k].start > s.samples[k - 1].start);
  if (!on_time(sched, {"fast"})) return;
  CHECK(reached(s, ticks));
  CHECK(s.samples.size() >= static_cast<std::size_t>(ticks * 9 / 10));
  CHECK(until - s.samples.back().start < 2 * interval);
}

TEST_CASE("scheduler: exec probes every 10 ms keep to the grid") {
  asio::io_context io;
  RunClock clock;
  const Nanos interval = 10ms;
  ProbeScheduler sched(io.get_executor(), clock, {sh_probe("exec", "exit 0", interval, 1s)});
  const Nanos start = clock.now() + 20ms;
  const Nanos until = start + 60 * interval + interval / 2;
  run_sync(io, run_window(sched, clock, start, until));
  const auto& s = sched.series()[0];
  const auto ticks = ticks_until(start, until, interval);
  CHECK(s.samples.size() + s.overruns == s.scheduled);
  REQUIRE_FALSE(s.samples.empty());
  for (const auto& sample : s.samples) CHECK(sample.ok);
  if (!on_time(sched, {"exec"})) return;
  CHECK(reached(s, ticks));
  // A tick is skipped (an overrun) only while the previous probe is still
  // running: a spawn on a busy machine can take longer than the interval,
  // which is the machine's doing, but the scheduler must not skip a tick
  // with no probe in flight.
  std::uint64_t busy_ticks = 0;
  for (std::int64_t k = 0; k < ticks; ++k) {
    const Nanos tick = start + k * interval;
    busy_ticks += std::any_of(s.samples.begin(), s.samples.end(),
                              [&](const Sample& x) { return x.start < tick && x.end > tick; });
  }
  CHECK(s.overruns <= busy_ticks);
  // Most started within half an interval after a grid tick: a scheduler
  // that drifted (relative sleeps) would spread its phases over the whole
  // interval. Not every one: a spawn on a busy machine can start a few ms
  // late without the thread falling a whole interval behind.
  std::size_t early_phase = 0;
  for (const auto& sample : s.samples) early_phase += (sample.start - start) % interval < interval / 2;
  CHECK(early_phase * 4 >= s.samples.size() * 3);
  CHECK(until - s.samples.back().start < 2 * interval);
}

TEST_CASE("scheduler: a slow probe skips and counts overruns without shifting the grid") {
  asio::io_context io;
  RunClock clock;
  const Nanos interval = 10ms;
  // Each execution takes about 3.5 intervals.
  ProbeScheduler sched(io.get_executor(), clock, {sh_probe("slow", "sleep 0.035", interval, 1s)});
  const Nanos start = clock.now() + 20ms;
  const Nanos until = start + 30 * interval + interval / 2;
  run_sync(io, run_window(sched, clock, start, until));
  const auto& s = sched.series()[0];
  const auto ticks = ticks_until(start, until, interval);
  CHECK(s.samples.size() + s.overruns == s.scheduled);
  CHECK(s.overruns >= s.scheduled / 2);
  CHECK(s.samples.size() >= 4);
  for (std::size_t k = 0; k < s.samples.size(); ++k) {
    const auto& sample = s.samples[k];
    CHECK(sample.ok);
    CHECK(sample.latency() >= 35ms);
    if (k > 0) CHECK(sample.start >= s.samples[k - 1].end);  // one execution at a time
  }
  if (!on_time(sched, {"slow"})) return;
  CHECK(reached(s, ticks));
  // Started on a tick of the original grid, never in between (right after
  // the previous execution's end, 35 ms later, would be mid-interval); most
  // within half an interval of the tick, as in the exec grid test above.
  std::size_t early_phase = 0;
  for (const auto& sample : s.samples) early_phase += (sample.start - start) % interval < interval / 2;
  CHECK(early_phase * 4 >= s.samples.size() * 3);
}

TEST_CASE("scheduler: probes run concurrently and never block one another") {
  asio::io_context io;
  Listener listener(io);
  RunClock clock;
  const Nanos fast = 10ms;
  ProbeScheduler sched(io.get_executor(), clock,
                       {sh_probe("slow", "sleep 0.2", 1s, 2s), tcp_probe("fast", listener.port(), fast)});
  const Nanos start = clock.now() + 20ms;
  const Nanos until = start + 25 * fast + fast / 2;
  run_sync(io, run_window(sched, clock, start, until));
  const auto& slow = sched.series()[0];
  const auto& quick = sched.series()[1];
  REQUIRE(slow.samples.size() == 1);
  CHECK(slow.samples[0].latency() >= 200ms);
  CHECK(quick.samples.size() + quick.overruns == quick.scheduled);
  if (!on_time(sched, {"slow", "fast"})) return;
  // While the slow probe ran, the fast one kept its rate.
  CHECK(quick.overruns == 0);
  CHECK(reached(quick, ticks_until(start, until, fast)));
  auto l = lags(quick, start);
  CHECK(*std::max_element(l.begin(), l.end()) < fast);
}

TEST_CASE("scheduler: drain waits for executions in flight and no tick fires after stop") {
  asio::io_context io;
  RunClock clock;
  ProbeScheduler sched(io.get_executor(), clock, {sh_probe("exec", "sleep 0.1", 1s, 2s)});
  std::vector<std::pair<std::size_t, Sample>> seen;
  sched.on_sample([&](std::size_t i, const Sample& s) { seen.emplace_back(i, s); });
  auto scenario = [&]() -> asio::awaitable<void> {
    sched.start(clock.now());
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(30ms);  // tick 0 is running by now
    co_await t.async_wait(asio::use_awaitable);
    sched.stop();
    CHECK(sched.series()[0].samples.empty());
    co_await sched.drain();
    CHECK(sched.series()[0].samples.size() == 1);
  };
  run_sync(io, scenario());
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].first == 0);
  CHECK(seen[0].second.ok);
  CHECK(seen[0].second.latency() >= 100ms);
  // Nothing more happens afterwards.
  io.restart();
  io.run_for(50ms);
  CHECK(sched.series()[0].samples.size() == 1);
}

TEST_CASE("scheduler: failing samples carry the probe's detail") {
  asio::io_context io;
  RunClock clock;
  ProbeScheduler sched(io.get_executor(), clock, {sh_probe("bad", "echo nope >&2; exit 3", 20ms)});
  const Nanos start = clock.now();
  run_sync(io, run_window(sched, clock, start, start + 45ms));
  const auto& s = sched.series()[0];
  REQUIRE_FALSE(s.samples.empty());
  CHECK_FALSE(s.samples[0].ok);
  CHECK(s.samples[0].detail == "exit 3: nope");
}

TEST_CASE("scheduler: 1 ms tcp probes keep their rate while the run's event loop is blocked") {
  // The run's event loop spawns processes, writes files and runs steps; here
  // it blocks outright for 300 ms. The probes run on their own thread, so
  // their samples still start on the grid; they are delivered afterwards.
  asio::io_context io;
  Listener listener(io);
  RunClock clock;
  const Nanos interval = 1ms;
  ProbeScheduler sched(io.get_executor(), clock, {tcp_probe("fast", listener.port(), interval)});
  std::size_t seen_during_block = 0;
  auto scenario = [&]() -> asio::awaitable<void> {
    const Nanos start = clock.now() + 10ms;
    sched.start(start);
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_at(clock.at(start + 50ms));
    co_await t.async_wait(asio::use_awaitable);
    const std::size_t before = sched.series()[0].samples.size();
    std::this_thread::sleep_for(300ms);  // the event loop is blocked
    seen_during_block = sched.series()[0].samples.size() - before;
    t.expires_at(clock.at(start + 400ms));
    co_await t.async_wait(asio::use_awaitable);
    sched.stop();
    co_await sched.drain();
  };
  run_sync(io, scenario());
  const auto& s = sched.series()[0];
  // The samples were taken on time: most ticks, none later than it would be
  // without the block, and every one taken during it was there at the loop's
  // first read after it.
  CHECK(s.samples.size() + s.overruns == s.scheduled);
  if (!on_time(sched, {"fast"})) return;
  CHECK(seen_during_block >= 135);
  CHECK(s.scheduled >= 380);
  CHECK(s.samples.size() >= s.scheduled / 2);
  std::size_t in_block = 0;
  for (const auto& x : s.samples)
    if (x.start >= s.samples.front().start + 60ms && x.start < s.samples.front().start + 330ms) ++in_block;
  CHECK(in_block >= 135);  // of 270 ticks in the blocked window (none with probes on the blocked loop)
  CHECK(s.lateness_p50 < interval);
  CHECK(s.lateness_p50 <= s.lateness_p99);
  CHECK(s.lateness_p99 <= s.lateness_max);
}

TEST_CASE("scheduler: scheduled ticks, lateness and no stall on a quiet schedule; take_stalls after drain") {
  asio::io_context io;
  Listener listener(io);
  RunClock clock;
  const Nanos interval = 10ms;
  ProbeScheduler sched(io.get_executor(), clock, {tcp_probe("tcp", listener.port(), interval)});
  const Nanos start = clock.now() + 10ms;
  const Nanos until = start + 30 * interval + interval / 2;
  run_sync(io, run_window(sched, clock, start, until));
  const auto& s = sched.series()[0];
  CHECK(s.samples.size() + s.overruns == s.scheduled);
  // The recorded lateness agrees with the samples' own (the histogram rounds up by at most ~3 %).
  auto l = lags(s, start);
  if (s.overruns == 0) CHECK(s.lateness_max == *std::max_element(l.begin(), l.end()));
  if (!on_time(sched, {"tcp"})) return;  // a loaded machine may stall; named if so
  CHECK(reached(s, ticks_until(start, until, interval)));
  CHECK(s.lateness_max < interval);
}

TEST_CASE("scheduler: exec probes keep ticking and spawning while the run's event loop is blocked") {
  // Exec probes spawn their commands on a thread of the scheduler's, not on
  // the run's event loop: a 200 ms block of the loop stops none of them.
  asio::io_context io;
  RunClock clock;
  const Nanos interval = 20ms;
  ProbeScheduler sched(io.get_executor(), clock, {sh_probe("exec", "exit 0", interval, 1s)});
  Nanos block_from{0}, block_to{0};
  auto scenario = [&]() -> asio::awaitable<void> {
    const Nanos start = clock.now() + 10ms;
    sched.start(start);
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_at(clock.at(start + 50ms));
    co_await t.async_wait(asio::use_awaitable);
    block_from = clock.now();
    std::this_thread::sleep_for(200ms);  // the event loop is blocked
    block_to = clock.now();
    t.expires_at(clock.at(start + 300ms));
    co_await t.async_wait(asio::use_awaitable);
    sched.stop();
    co_await sched.drain();
  };
  run_sync(io, scenario());
  const auto& s = sched.series()[0];
  std::size_t in_block = 0;
  for (const auto& x : s.samples) {
    CHECK(x.ok);
    if (x.start >= block_from && x.end <= block_to) ++in_block;
  }
  CHECK(s.samples.size() + s.overruns == s.scheduled);
  if (!on_time(sched, {"exec"})) return;
  CHECK(in_block >= 3);  // of 10 ticks in the block (none while exec probes ran on the loop)
}

TEST_CASE("scheduler: destroyed before drain (a failed assertion), it leaves nothing on the loop that touches it") {
  // A test whose assertion fails inside run_sync unwinds with the scheduler
  // started and not drained: its pump and a drain() still wait on the
  // loop, which outlives it. Destroying it must end them, whether the loop
  // runs again (they complete without touching it) or is destroyed with
  // them pending.
  asio::io_context io;
  Listener listener(io);
  RunClock clock;
  bool drain_returned = false;
  {
    ProbeScheduler sched(io.get_executor(), clock,
                         {tcp_probe("a", listener.port(), 1ms), tcp_probe("b", listener.port(), 1ms),
                          sh_probe("exec", "exit 0", 10ms, 1s)});
    sched.start(clock.now());
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      co_await sched.drain();  // never reached the end: the scheduler is destroyed first
      drain_returned = true;
    }, asio::detached);
    // Until samples flow (seconds at most on a loaded machine): the pump and the drain are waiting.
    const auto give_up = SteadyClock::now() + 10s;
    while (sched.series()[0].samples.empty() && SteadyClock::now() < give_up) io.run_one_for(10ms);
    CHECK_FALSE(sched.series()[0].samples.empty());
    CHECK_FALSE(drain_returned);
  }
  io.restart();
  io.run_for(20ms);  // what was pending completes without touching the dead scheduler
  CHECK(drain_returned);
  // And with the loop destroyed while they wait:
  auto io2 = std::make_unique<asio::io_context>();
  {
    ProbeScheduler sched(io2->get_executor(), clock, {tcp_probe("a", listener.port(), 1ms)});
    sched.start(clock.now());
    asio::co_spawn(*io2, [&]() -> asio::awaitable<void> { co_await sched.drain(); }, asio::detached);
    io2->run_for(20ms);
  }
  io2.reset();
}

namespace {

/// The scheduling policy of each of this process's threads (field 41 of /proc/self/task/T/stat).
std::vector<int> thread_policies() {
  std::vector<int> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream f(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');  // the name may hold spaces; the fields after it do not
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 41 && rest >> field; ++i)
      if (i == 41) out.push_back(std::stoi(field));
  }
  return out;
}

/// Whether the kernel lets this process give a thread real-time priority.
bool realtime_allowed() {
  bool allowed = false;
  std::thread([&] {
    sched_param param{};
    param.sched_priority = 1;
    allowed = ::sched_setscheduler(0, SCHED_FIFO, &param) == 0;  // this thread only; it ends at once
  }).join();
  return allowed;
}

}  // namespace

TEST_CASE("scheduler: series() is current when read; the callback follows within its latency") {
  // The run's probes call back only for the live console, every 10 ms; what
  // measures reads series(), which takes the queued samples at once.
  asio::io_context io;
  Listener listener(io);
  RunClock clock;
  ProbeScheduler sched(io.get_executor(), clock, {tcp_probe("fast", listener.port(), 1ms)});
  sched.set_callback_latency(400ms);
  std::size_t called = 0;
  sched.on_sample([&](std::size_t, const Sample&) { ++called; });
  std::size_t called_before_read = 1, read = 0, called_after_read = 0;
  Nanos looked_at{0}, started{0};
  auto scenario = [&]() -> asio::awaitable<void> {
    started = clock.now();
    sched.start(started);
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_at(clock.at(started + 60ms));
    co_await t.async_wait(asio::use_awaitable);
    called_before_read = called;  // the pump's first turn is 400 ms away
    // Read until a sample is there (the first one may take a while on a
    // loaded machine under a sanitizer), while the pump has still not run.
    for (;;) {
      looked_at = clock.now();
      read = sched.series()[0].samples.size();
      called_after_read = called;
      if (read > 0 || looked_at - started >= 300ms) break;
      t.expires_at(clock.at(looked_at + 10ms));
      co_await t.async_wait(asio::use_awaitable);
    }
    sched.stop();
    co_await sched.drain();
  };
  run_sync(io, scenario());
  if (looked_at - started >= 400ms || read == 0) {
    MESSAGE("the test's own loop ran late, or no sample came within 300 ms ("
            << (looked_at - started).count() / 1000000 << " ms): not judged");
    return;
  }
  CHECK(called_before_read == 0);
  CHECK(read > 0);                     // taken at 1 ms for 60 ms: all there at the read, though the pump had not run
  CHECK(called_after_read == read);    // and the callback saw each of them then
  CHECK(called == sched.series()[0].samples.size());
}

TEST_CASE("scheduler: with probes far apart the run's loop sleeps between samples; a sample wakes it at once") {
  // The run's loop also moves the links' bytes: a pump every 10 ms for a
  // probe every 250 ms would wake it 25 times per sample for nothing. Both
  // threads wake it: the exec thread, and the tcp/http one (real-time where
  // allowed, so it signals with an eventfd write, taking no lock of main's).
  asio::io_context io;
  // A listening socket nobody accepts from: the kernel completes the tcp
  // probe's handshake, so the probe adds no handler to the loop.
  tcp::acceptor listening(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  ProbeSpec probe;
  SUBCASE("exec probe") { probe = sh_probe("slow", "true", 250ms, 1s); }
  SUBCASE("tcp probe") { probe = tcp_probe("slow", std::to_string(listening.local_endpoint().port()), 250ms); }
  RunClock clock;
  ProbeScheduler sched(io.get_executor(), clock, {probe});
  sched.set_callback_latency(10ms);
  std::vector<Nanos> lag;  // from a sample's end to its callback
  sched.on_sample([&](std::size_t, const Sample& s) { lag.push_back(clock.now() - s.end); });
  bool done = false;
  auto scenario = [&]() -> asio::awaitable<void> {
    const Nanos start = clock.now();
    sched.start(start);
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_at(clock.at(start + 1s));
    co_await t.async_wait(asio::use_awaitable);
    sched.stop();
    co_await sched.drain();
    done = true;
  };
  asio::co_spawn(io, scenario(), asio::detached);
  std::size_t handlers = 0;  // every turn of the loop runs one
  while (!done && io.run_one()) ++handlers;
  const std::size_t samples = sched.series()[0].samples.size();
  REQUIRE(samples >= 2);
  CHECK(lag.size() == samples);
  for (const auto& s : sched.series()[0].samples) CHECK_MESSAGE(s.ok, s.detail);
  // A turn of the pump per sample and one after it, the wake-up, the
  // test's own timer and drain: about 4 per sample. Pumping every 10 ms
  // would be 100 in the second.
  CHECK(handlers <= 6 * samples + 10);
  // Each callback came before the next sample was due (without the
  // wake-up it would wait for drain at the end).
  for (const Nanos l : lag) CHECK(l < 200ms);
  io.restart();
  io.run();  // what the pump's last turn left on the loop ends before the scheduler does
}

TEST_CASE("scheduler: the tcp/http probe thread runs at real-time priority where allowed; exec probes do not") {
  asio::io_context io;
  Listener listener(io);
  RunClock clock;
  // The exec probe fails unless the command it runs has the ordinary policy (0).
  ProbeScheduler sched(io.get_executor(), clock,
                       {tcp_probe("tcp", listener.port(), 5ms),
                        sh_probe("exec", "awk '{ exit ($41 != 0) }' /proc/self/stat", 20ms, 1s)});
  std::vector<int> during;
  auto scenario = [&]() -> asio::awaitable<void> {
    const Nanos start = clock.now() + 10ms;
    sched.start(start);
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_at(clock.at(start + 100ms));
    co_await t.async_wait(asio::use_awaitable);
    during = thread_policies();
    t.expires_at(clock.at(start + 200ms));
    co_await t.async_wait(asio::use_awaitable);
    sched.stop();
    co_await sched.drain();
  };
  run_sync(io, scenario());
  const bool allowed = realtime_allowed();
  CAPTURE(allowed);
  if (!allowed) MESSAGE("the kernel refuses real-time priority here (no CAP_SYS_NICE?): only the ordinary case is checked");
  const auto fifo = std::count(during.begin(), during.end(), SCHED_FIFO);
  CHECK(fifo == (allowed ? 1 : 0));  // the probe thread alone, not the exec thread nor the run's loop
  CHECK(sched.series()[0].realtime == allowed);
  CHECK_FALSE(sched.series()[1].realtime);
  REQUIRE_FALSE(sched.series()[1].samples.empty());
  for (const auto& s : sched.series()[1].samples) CHECK(s.ok);
}

TEST_CASE("scheduler: a real-time probe thread that uses more than its share of a core goes back to ordinary priority") {
  const bool allowed = realtime_allowed();
  if (!allowed) MESSAGE("the kernel refuses real-time priority here: the thread stays ordinary, nothing to lower");
  asio::io_context io;
  Listener listener(io);
  RunClock clock;
  ProbeScheduler sched(io.get_executor(), clock, {tcp_probe("tcp", listener.port(), 5ms)});
  sched.set_saturation_limit(0.0);  // any CPU at all over the first second is "too much"
  std::vector<int> early, late;
  auto scenario = [&]() -> asio::awaitable<void> {
    const Nanos start = clock.now() + 10ms;
    sched.start(start);
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_at(clock.at(start + 300ms));
    co_await t.async_wait(asio::use_awaitable);
    early = thread_policies();
    t.expires_at(clock.at(start + 1500ms));  // the first check comes a second after the thread started
    co_await t.async_wait(asio::use_awaitable);
    late = thread_policies();
    sched.stop();
    co_await sched.drain();
  };
  run_sync(io, scenario());
  CHECK(std::count(early.begin(), early.end(), SCHED_FIFO) == (allowed ? 1 : 0));
  CHECK(std::count(late.begin(), late.end(), SCHED_FIFO) == 0);
  CHECK_FALSE(sched.series()[0].realtime);  // not real-time for the whole run
  CHECK(sched.series()[0].samples.size() > 200);  // it kept probing
}
