// net.blackhole on real loopback sockets: data in the chosen direction is
// discarded and counted, the other direction flows, closes are held until
// the revert, and close_after ends connections on time.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "fault_injectors/net_blackhole.hpp"
#include "fault_injectors/net_latency.hpp"
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

TEST_CASE("net.blackhole behind a latency that filled the link's queue: the reader wakes as the blackhole discards") {
  // The reader stops at the pipe's high-water mark (4 MiB held by the
  // latency); the blackhole then discards what falls due. No write ever
  // happens, so only the discards can wake the reader: without that the
  // direction stays wedged after both faults are reverted.
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    auto client = std::make_shared<tcp::socket>(co_await connect(link.port));
    auto peer = co_await server.accept();
    const auto lat = link->add_fault(latency_fault({200ms, 0ns, LatencyDistribution::uniform, NetDirection::upstream, 1.0}),
                                     {"lat", "net.latency", 1, 1, 1.0});
    const auto bh = link->add_fault(blackhole_fault({NetDirection::upstream, std::nullopt, 1.0}), label());
    auto sent = std::make_shared<bool>(false);
    asio::co_spawn(
        env.io,
        [client, sent]() -> asio::awaitable<void> {
          co_await send(*client, std::string(6 << 20, 'x'));
          *sent = true;
        },
        asio::detached);
    asio::steady_timer t(env.io);
    t.expires_after(600ms);  // the latency's 4 MiB fall due and are discarded
    co_await t.async_wait(asio::use_awaitable);
    for (int i = 0; i < 100 && !*sent; ++i) {  // up to 10 s: the discards keep the reader reading
      t.expires_after(100ms);
      co_await t.async_wait(asio::use_awaitable);
    }
    CHECK(*sent);
    link->remove_fault(bh);
    link->remove_fault(lat);
    co_await send(*client, "END!");
    std::string tail;
    for (int i = 0; i < 200 && (tail.size() < 4 || tail.compare(tail.size() - 4, 4, "END!") != 0); ++i) {
      const ReadResult r = co_await read_some(peer, 2s);
      if (r.timed_out || r.ec) break;
      tail = (tail + r.data).substr(tail.size() + r.data.size() > 64 ? tail.size() + r.data.size() - 64 : 0);
    }
    CHECK(tail.size() >= 4);
    CHECK(tail.substr(tail.size() >= 4 ? tail.size() - 4 : 0) == "END!");
    if (!*sent) client->close();  // the sender must not outlive the test's sockets
  });
}
