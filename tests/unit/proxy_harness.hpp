// Helpers for the proxy's unit tests: a test body runs as a coroutine on its
// own io_context, with a server, a link in front of it and clients, all real
// loopback sockets. Nothing here sleeps to synchronise: every wait is for an
// event (a read, an accept) or is the observation window of a fault's
// configured time, with a deadline that fails the test instead of hanging.
#pragma once

#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <exception>
#include <list>
#include <optional>
#include <string>
#include <variant>

#include "fault_injectors/proxy/link_set.hpp"
#include "fault_injectors/proxy/proxy_link.hpp"
#include "os/clock.hpp"

namespace ptest {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using faultline::Nanos;
using faultline::SteadyClock;
using faultline::TimePoint;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

/// A TCP server on 127.0.0.1 at a port the kernel picks.
class Server {
 public:
  explicit Server(asio::io_context& io) : acceptor_(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {}
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  asio::awaitable<tcp::socket> accept() { co_return co_await acceptor_.async_accept(asio::use_awaitable); }
  /// Accepts, or returns nothing when `within` passes first.
  asio::awaitable<std::optional<tcp::socket>> accept_within(Nanos within) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer t(acceptor_.get_executor(), within);
    auto r = co_await (acceptor_.async_accept(asio::use_awaitable) || t.async_wait(asio::use_awaitable));
    if (r.index() == 0) co_return std::move(std::get<0>(r));
    co_return std::nullopt;
  }
  void close() { acceptor_.close(); }

 private:
  tcp::acceptor acceptor_;
};

/// A link named "l" in front of `server_port`, on its own LinkSet.
struct TestLink {
  faultline::RunClock clock;
  faultline::LinkSet set;
  faultline::proxy::Link* link = nullptr;
  std::uint16_t port = 0;

  /// `http`: protocol = "http".
  TestLink(asio::io_context& io, std::uint16_t server_port, bool http = false) {
    faultline::Scenario s;
    faultline::LinkSpec spec;
    spec.name = "l";
    spec.to = "127.0.0.1:" + std::to_string(server_port);
    spec.http = http;
    s.links = {spec};
    port = set.bind(s.links).at("l");
    set.start(io.get_executor(), s, clock);
    link = set.find("l");
    REQUIRE(link);
  }
  faultline::proxy::Link* operator->() { return link; }
};

/// What a test body gets: the io_context, and links that live until the
/// io_context has run dry (a link's coroutines may still be winding down
/// after the body ended, as after a run).
struct Env {
  asio::io_context& io;
  std::list<TestLink> links;

  /// A new link in front of a server.
  TestLink& link(std::uint16_t server_port, bool http = false) { return links.emplace_back(io, server_port, http); }
  void stop() {
    for (auto& l : links) l.set.stop();
  }
};

/// Runs `body(env)` to completion, stops every link, then lets everything
/// wind down. Fails when the body takes longer than `limit`, or when the
/// io_context still has work 5 s after the body ended (a coroutine of the
/// proxy that never ends).
template <class Body>
void run(Body body, std::chrono::seconds limit = std::chrono::seconds(60)) {
  asio::io_context io;
  Env env{io, {}};
  bool finished = false;
  std::exception_ptr error;
  asio::co_spawn(io, body(env), [&](std::exception_ptr e) {
    finished = true;
    error = e;
    env.stop();
  });
  const auto deadline = SteadyClock::now() + limit;
  while (!finished && SteadyClock::now() < deadline && !io.stopped()) io.run_one_until(deadline);
  REQUIRE_MESSAGE(finished, "the test body did not finish within its time limit");
  io.run_for(std::chrono::seconds(5));
  if (error) std::rethrow_exception(error);
  CHECK_MESSAGE(io.stopped(), "work was left on the io_context 5 s after the test");
}

inline asio::awaitable<tcp::socket> connect(std::uint16_t port) {
  tcp::socket s(co_await asio::this_coro::executor);
  co_await s.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port), asio::use_awaitable);
  s.set_option(tcp::no_delay(true));
  co_return s;
}

inline asio::awaitable<void> send(tcp::socket& s, const std::string& text) {
  co_await asio::async_write(s, asio::buffer(text), asio::use_awaitable);
}

/// What a read found: data, the peer's close (eof), a reset, or nothing in time.
struct ReadResult {
  std::string data;
  boost::system::error_code ec;  ///< eof, connection_reset, ...
  bool timed_out = false;
};

/// Reads exactly `n` bytes unless the stream ends, fails or `within` passes first.
inline asio::awaitable<ReadResult> read_n(tcp::socket& s, std::size_t n, Nanos within = 10s) {
  using namespace asio::experimental::awaitable_operators;
  ReadResult r;
  r.data.resize(n);
  asio::steady_timer t(s.get_executor(), within);
  auto v = co_await (asio::async_read(s, asio::buffer(r.data), kTuple) || t.async_wait(kTuple));
  if (v.index() == 1) {
    r.timed_out = true;
    r.data.clear();
    co_return r;
  }
  auto [ec, got] = std::get<0>(v);
  r.data.resize(got);
  r.ec = ec;
  co_return r;
}

/// One read of whatever is there (at most `max` bytes), or the end of the stream, or nothing within `within`.
inline asio::awaitable<ReadResult> read_some(tcp::socket& s, Nanos within = 10s, std::size_t max = 65536) {
  using namespace asio::experimental::awaitable_operators;
  ReadResult r;
  r.data.resize(max);
  asio::steady_timer t(s.get_executor(), within);
  auto v = co_await (s.async_read_some(asio::buffer(r.data), kTuple) || t.async_wait(kTuple));
  if (v.index() == 1) {
    r.timed_out = true;
    r.data.clear();
    co_return r;
  }
  auto [ec, got] = std::get<0>(v);
  r.data.resize(got);
  r.ec = ec;
  co_return r;
}

/// Waits `d`: only ever the observation window of a fault's configured time.
inline asio::awaitable<void> wait_for(Nanos d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

/// Elapsed since `t0`.
inline Nanos since(TimePoint t0) { return std::chrono::duration_cast<Nanos>(SteadyClock::now() - t0); }

/// How late a timed event may be on a loaded two-core machine, for a fault
/// configured with `configured`: 25 ms plus 10 % of it.
inline Nanos slack(Nanos configured) { return 25ms + configured / 10; }

/// Closes with an RST (SO_LINGER 0).
inline void reset(tcp::socket& s) {
  s.set_option(asio::socket_base::linger(true, 0));
  s.close();
}

inline std::string ms(Nanos d) { return std::to_string(std::chrono::duration<double, std::milli>(d).count()) + " ms"; }

}  // namespace ptest
