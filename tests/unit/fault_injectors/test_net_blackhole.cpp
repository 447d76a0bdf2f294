// net.blackhole on real loopback sockets: data in the chosen direction is
// discarded and counted, the other direction flows, closes are held until
// the revert, and close_after ends connections on time.
#include <doctest/doctest.h>

#include "fault_injectors/net_blackhole.hpp"
#include "proxy_harness.hpp"

using namespace ptest;
using namespace faultline;

namespace {

proxy::FaultLabel label() { return {"bh", "net.blackhole", 1, 1, 1.0}; }

/// How long to watch for data that must not arrive.
constexpr Nanos kWatch = 150ms;

}  // namespace

TEST_CASE("net.blackhole: the chosen direction is discarded and counted, the other flows, in both directions") {
  for (const auto dir : {NetDirection::upstream, NetDirection::downstream}) {
    run([dir](Env& env) -> asio::awaitable<void> {
      Server server(env.io);
      TestLink& link = env.link(server.port());
      auto client = co_await connect(link.port);
      auto peer = co_await server.accept();
      const auto id = link->add_fault(blackhole_fault({dir, std::nullopt, 1.0}), label());
      tcp::socket& from = dir == NetDirection::upstream ? client : peer;
      tcp::socket& to = dir == NetDirection::upstream ? peer : client;
      co_await send(from, "into the void");
      CHECK((co_await read_some(to, kWatch)).timed_out);
      co_await send(to, "other way");
      CHECK((co_await read_n(from, 9)).data == "other way");
      const LinkStats st = link->stats();
      CHECK((dir == NetDirection::upstream ? st.discarded_upstream : st.discarded_downstream) == 13);
      link->remove_fault(id);
      co_await send(from, "heard");
      CHECK((co_await read_n(to, 5)).data == "heard");  // the discarded bytes are gone for good
    });
  }
}

TEST_CASE("net.blackhole: a close is held until the revert, and new connections hang too") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    auto client = co_await connect(link.port);
    auto peer = co_await server.accept();
    const auto id = link->add_fault(blackhole_fault({NetDirection::both, std::nullopt, 1.0}), label());
    client.shutdown(tcp::socket::shutdown_send);
    CHECK((co_await read_some(peer, kWatch)).timed_out);
    auto late = co_await connect(link.port);
    auto late_peer = co_await server.accept();
    co_await send(late_peer, "hello?");
    CHECK((co_await read_some(late, kWatch)).timed_out);
    link->remove_fault(id);
    CHECK((co_await read_some(peer)).ec == asio::error::eof);
  });
}

TEST_CASE("net.blackhole: close_after closes each connection that long after the fault reached it") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    auto client = co_await connect(link.port);
    auto peer = co_await server.accept();
    constexpr Nanos kAfter = 200ms;
    const auto t0 = SteadyClock::now();
    link->add_fault(blackhole_fault({NetDirection::both, kAfter, 1.0}), label());
    const ReadResult c = co_await read_some(client, 5s);
    const Nanos at = since(t0);
    CHECK(c.ec == asio::error::eof);
    CHECK((co_await read_some(peer, 5s)).ec == asio::error::eof);
    INFO("closed after " << ms(at));
    CHECK(at >= kAfter);
    CHECK(at <= kAfter + slack(kAfter));
    CHECK(link->stats().resets == 0);
  });
}
