// Shared by the unit tests that drive coroutines and real sockets: run a
// coroutine to completion with a cap, find a free loopback port, and locate
// the flaky_server fixture.
#pragma once

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdlib>
#include <string>

#include "os/clock.hpp"

namespace faultline::testing {

namespace asio = boost::asio;

/// Runs a coroutine to completion on `io` (30 s cap) and returns its value.
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

/// A loopback port that nothing listens on right now.
inline std::string free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return std::to_string(a.local_endpoint().port());
}

/// The flaky_server fixture (FAULTLINE_FLAKY_SERVER, set by meson test).
inline std::string fixture_path() {
  const char* p = std::getenv("FAULTLINE_FLAKY_SERVER");
  REQUIRE_MESSAGE(p, "set FAULTLINE_FLAKY_SERVER to build/tests/flaky_server");
  return p;
}

}  // namespace faultline::testing
