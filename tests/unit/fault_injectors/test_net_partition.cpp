// net.partition on one link, on real loopback sockets: drop holds a cut
// direction and new connections until the heal, then delivers everything in
// order; reject resets open and new connections. The choice of links is
// tested in test_topology.cpp.
#include <doctest/doctest.h>

#include "fault_injectors/net_partition.hpp"
#include "proxy_harness.hpp"

using namespace ptest;
using namespace faultline;

namespace {

proxy::FaultLabel label() { return {"split", "net.partition", 1, 1, 1.0}; }

constexpr Nanos kWatch = 150ms;

}  // namespace

TEST_CASE("net.partition: drop holds both directions, closes included, and the heal delivers all in order") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    auto client = co_await connect(link.port);
    auto peer = co_await server.accept();
    const auto id = link->add_fault(partition_fault(PartitionMode::drop, true, true), label());
    co_await send(client, "during-1 ");
    co_await send(peer, "reply-1 ");
    co_await send(client, "during-2");
    peer.shutdown(tcp::socket::shutdown_send);
    CHECK((co_await read_some(peer, kWatch)).timed_out);
    CHECK((co_await read_some(client, kWatch)).timed_out);
    link->remove_fault(id);
    CHECK((co_await read_n(peer, 17)).data == "during-1 during-2");
    CHECK((co_await read_n(client, 8)).data == "reply-1 ");
    CHECK((co_await read_some(client)).ec == asio::error::eof);  // the held close came last
    co_await send(client, "healed");
    CHECK((co_await read_n(peer, 6)).data == "healed");
    CHECK(link->stats().resets == 0);
  });
}

TEST_CASE("net.partition: drop holds a new connection back from the server until the heal") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    const auto id = link->add_fault(partition_fault(PartitionMode::drop, true, true), label());
    auto client = co_await connect(link.port);  // the kernel completes the handshake with the link
    co_await send(client, "syn?");
    CHECK_FALSE(co_await server.accept_within(kWatch));  // but the server never hears of it
    link->remove_fault(id);
    auto peer = co_await server.accept();
    CHECK((co_await read_n(peer, 4)).data == "syn?");
  });
}

TEST_CASE("net.partition: drop in one direction lets the other through") {
  for (const bool upstream_cut : {true, false}) {
    run([upstream_cut](Env& env) -> asio::awaitable<void> {
      Server server(env.io);
      TestLink& link = env.link(server.port());
      auto client = co_await connect(link.port);
      auto peer = co_await server.accept();
      link->add_fault(partition_fault(PartitionMode::drop, upstream_cut, !upstream_cut), label());
      tcp::socket& cut_from = upstream_cut ? client : peer;
      tcp::socket& cut_to = upstream_cut ? peer : client;
      co_await send(cut_from, "lost?");
      CHECK((co_await read_some(cut_to, kWatch)).timed_out);
      co_await send(cut_to, "fine");
      CHECK((co_await read_n(cut_from, 4)).data == "fine");
    });
  }
}

TEST_CASE("net.partition: reject resets open connections and every new one") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    auto client = co_await connect(link.port);
    auto peer = co_await server.accept();
    const auto id = link->add_fault(partition_fault(PartitionMode::reject, true, true), label());
    CHECK((co_await read_some(client)).ec == asio::error::connection_reset);
    CHECK((co_await read_some(peer)).ec == asio::error::connection_reset);
    auto refused = co_await connect(link.port);
    CHECK((co_await read_some(refused)).ec == asio::error::connection_reset);
    CHECK(link->stats().resets == 2);
    link->remove_fault(id);
    auto again = co_await connect(link.port);
    auto again_peer = co_await server.accept();
    co_await send(again, "back");
    CHECK((co_await read_n(again_peer, 4)).data == "back");
  });
}
