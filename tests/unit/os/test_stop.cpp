// Tests of StopSource: waits end at their deadline, or at once when a stop is
// requested, and the first request's signal is kept.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <csignal>

#include "os/stop.hpp"

using namespace faultline;

namespace {

/// Runs `aw` on `io` until it completes (at most 10 s) and returns its result.
template <typename T>
T run_sync(asio::io_context& io, asio::awaitable<T> aw) {
  auto fut = asio::co_spawn(io, std::move(aw), asio::use_future);
  const auto deadline = SteadyClock::now() + std::chrono::seconds(10);
  io.restart();
  while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    if (SteadyClock::now() >= deadline) FAIL("timed out waiting for a coroutine");
    io.run_one_for(std::chrono::milliseconds(50));
  }
  return fut.get();
}

}  // namespace

TEST_CASE("stop: sleep_until reaches its deadline when nothing is requested") {
  asio::io_context io;
  StopSource stop;
  const auto begin = SteadyClock::now();
  const auto deadline = begin + std::chrono::milliseconds(30);
  bool reached = run_sync(io, stop.sleep_until(deadline));
  CHECK(reached);
  CHECK(SteadyClock::now() >= deadline);
  CHECK_FALSE(stop.requested());
}

TEST_CASE("stop: sleep_for waits the given duration") {
  asio::io_context io;
  StopSource stop;
  const auto begin = SteadyClock::now();
  CHECK(run_sync(io, stop.sleep_for(20ms)));
  CHECK(SteadyClock::now() - begin >= 20ms);
}

TEST_CASE("stop: a request wakes every wait in progress at once") {
  asio::io_context io;
  StopSource stop;
  auto a = asio::co_spawn(io, stop.sleep_for(10s), asio::use_future);
  auto b = asio::co_spawn(io, stop.sleep_until(SteadyClock::now() + 10s), asio::use_future);
  auto requester = [&]() -> asio::awaitable<void> {
    asio::steady_timer t(io);
    t.expires_after(20ms);
    co_await t.async_wait(asio::use_awaitable);
    stop.request(SIGTERM);
  };
  const auto begin = SteadyClock::now();
  asio::co_spawn(io, requester(), asio::detached);
  io.run_for(5s);
  REQUIRE(a.wait_for(0s) == std::future_status::ready);
  REQUIRE(b.wait_for(0s) == std::future_status::ready);
  CHECK_FALSE(a.get());
  CHECK_FALSE(b.get());
  CHECK(SteadyClock::now() - begin < 2s);
  CHECK(stop.requested());
  CHECK(stop.signal() == SIGTERM);
}

TEST_CASE("stop: after a request, waits return false immediately and the first signal is kept") {
  asio::io_context io;
  StopSource stop;
  stop.request(SIGINT);
  stop.request(SIGTERM);
  CHECK(stop.signal() == SIGINT);
  const auto begin = SteadyClock::now();
  CHECK_FALSE(run_sync(io, stop.sleep_for(10s)));
  CHECK(SteadyClock::now() - begin < 1s);
}

TEST_CASE("stop: a request without a signal records 0") {
  StopSource stop;
  stop.request();
  CHECK(stop.requested());
  CHECK(stop.signal() == 0);
}

TEST_CASE("stop: a stop signal before a run's own handling is remembered, then given back on release") {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction before {};
  ::sigaction(SIGHUP, &ignore, &before);  // as a shell's background job inherits SIGINT
  catch_stop_signals_early();
  CHECK(early_stop_signal() == 0);
  ::raise(SIGHUP);
  CHECK(early_stop_signal() == SIGHUP);
  ::raise(SIGHUP);  // later ones do not replace the first
  CHECK(early_stop_signal() == SIGHUP);
  release_early_stop_signals();  // re-raised into SIG_IGN: nothing happens
  CHECK(early_stop_signal() == 0);
  struct sigaction now {};
  ::sigaction(SIGHUP, nullptr, &now);
  const bool ignored_again = now.sa_handler == SIG_IGN;
  CHECK(ignored_again);
  ::sigaction(SIGHUP, &before, nullptr);
  CHECK(exit_code_for_stop_signal(SIGINT) == 130);
  CHECK(exit_code_for_stop_signal(SIGTERM) == 143);
}
