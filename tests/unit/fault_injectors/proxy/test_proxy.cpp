// The proxy itself (proxy_pipe, proxy_connection, proxy_link, link_set) on
// real loopback sockets: bytes, closes and resets pass in both directions;
// faults added and removed while a stream flows lose, duplicate and reorder
// nothing and keep the connection open; a stopped link leaves nothing behind.
#include <doctest/doctest.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <cstdint>
#include <functional>
#include <tuple>
#include <vector>

#include "fault_injectors/net_bandwidth.hpp"
#include "fault_injectors/net_latency.hpp"
#include "fault_injectors/net_partition.hpp"
#include "fault_injectors/net_slicer.hpp"
#include "fault_injectors/net_slow_close.hpp"
#include "proxy_harness.hpp"

using namespace ptest;
using namespace faultline;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

proxy::FaultLabel label(const std::string& name, std::uint64_t seed = 1) { return {name, "test", 1, seed, 1.0}; }

/// Byte `pos` of the test stream: 32-bit big-endian words counting up, so
/// that a lost, repeated or moved byte is caught where it happens.
char stream_byte(std::uint64_t pos) {
  const std::uint64_t word = pos / 4;
  return static_cast<char>((word >> (8 * (3 - pos % 4))) & 0xff);
}

asio::awaitable<void> write_stream(tcp::socket& s, std::size_t total) {
  std::vector<char> block(16 * 1024);
  for (std::size_t pos = 0; pos < total;) {
    const std::size_t n = std::min(block.size(), total - pos);
    for (std::size_t i = 0; i < n; ++i) block[i] = stream_byte(pos + i);
    co_await asio::async_write(s, asio::buffer(block.data(), n), asio::use_awaitable);
    pos += n;
  }
  s.shutdown(tcp::socket::shutdown_send);
}

/// Sends back everything it reads; closes its side when the peer closed its.
asio::awaitable<void> echo(tcp::socket& s) {
  std::vector<char> buf(64 * 1024);
  for (;;) {
    boost::system::error_code ec;  // not a structured binding: clang 14 cannot capture one in doctest's message
    std::size_t n = 0;
    std::tie(ec, n) = co_await s.async_read_some(asio::buffer(buf), kTuple);
    if (ec == asio::error::eof) break;
    REQUIRE_MESSAGE(!ec, "echo read: " << ec.message());
    co_await asio::async_write(s, asio::buffer(buf.data(), n), asio::use_awaitable);
  }
  s.shutdown(tcp::socket::shutdown_send);
}

/// Reads the echoed stream to its end, checking every byte; calls
/// `at_milestone(k)` each time another `every` bytes came back.
asio::awaitable<void> check_stream(tcp::socket& s, std::size_t every,
                                   std::function<asio::awaitable<void>(int)> at_milestone, std::uint64_t& received) {
  std::vector<char> buf(64 * 1024);
  int milestone = 0;
  for (;;) {
    boost::system::error_code ec;  // not a structured binding: clang 14 cannot capture one in doctest's message
    std::size_t n = 0;
    std::tie(ec, n) = co_await s.async_read_some(asio::buffer(buf), kTuple);
    if (ec == asio::error::eof) break;
    REQUIRE_MESSAGE(!ec, "client read: " << ec.message());
    for (std::size_t i = 0; i < n; ++i)
      if (buf[i] != stream_byte(received + i))
        FAIL("byte " << received + i << " is wrong: lost, repeated or reordered data");
    received += n;
    while (received >= static_cast<std::uint64_t>(milestone + 1) * every) co_await at_milestone(++milestone);
  }
}

}  // namespace

TEST_CASE("proxy: bytes and each peer's close pass in both directions, half-close included") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    auto client = co_await connect(link.port);
    auto peer = co_await server.accept();

    co_await send(client, "hello");
    CHECK((co_await read_n(peer, 5)).data == "hello");
    co_await send(peer, "world!");
    CHECK((co_await read_n(client, 6)).data == "world!");

    // The client closes its side; the server still talks, then closes.
    client.shutdown(tcp::socket::shutdown_send);
    CHECK((co_await read_some(peer)).ec == asio::error::eof);
    co_await send(peer, "after your close");
    CHECK((co_await read_n(client, 16)).data == "after your close");
    peer.shutdown(tcp::socket::shutdown_send);
    CHECK((co_await read_some(client)).ec == asio::error::eof);

    const LinkStats st = link->stats();
    CHECK(st.name == "l");
    CHECK(st.port == link.port);
    CHECK(st.connections == 1);
    CHECK(st.bytes_upstream == 5);
    CHECK(st.bytes_downstream == 6 + 16);
    CHECK(st.resets == 0);
    CHECK(link->open_connections() == 0);  // both closes delivered: the proxy let go of it
  });
}

TEST_CASE("proxy: a reset by either peer reaches the other as a reset") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    {
      auto client = co_await connect(link.port);
      auto peer = co_await server.accept();
      co_await send(client, "x");
      CHECK((co_await read_n(peer, 1)).data == "x");
      reset(peer);
      CHECK((co_await read_some(client)).ec == asio::error::connection_reset);
    }
    {
      auto client = co_await connect(link.port);
      auto peer = co_await server.accept();
      co_await send(peer, "y");
      CHECK((co_await read_n(client, 1)).data == "y");
      reset(client);
      CHECK((co_await read_some(peer)).ec == asio::error::connection_reset);
    }
  });
}

TEST_CASE("proxy: a server that refuses the connection resets the client") {
  run([](Env& env) -> asio::awaitable<void> {
    std::uint16_t dead_port = 0;
    {
      Server gone(env.io);
      dead_port = gone.port();
    }  // closed: nothing listens there any more
    TestLink& link = env.link(dead_port);
    auto client = co_await connect(link.port);
    const ReadResult r = co_await read_some(client);
    CHECK(r.ec == asio::error::connection_reset);
  });
}

TEST_CASE("proxy: faults added and removed mid-stream lose, repeat and reorder nothing, both ways") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    auto client = co_await connect(link.port);
    auto peer = co_await server.accept();

    constexpr std::size_t kTotal = 8 << 20;  // each way
    constexpr std::size_t kEvery = 512 << 10;
    std::map<std::string, std::uint64_t> ids;
    auto add = [&](const std::string& name, std::shared_ptr<proxy::LinkFault> f) {
      ids[name] = link->add_fault(std::move(f), label(name));
    };
    auto remove = [&](const std::string& name) {
      link->remove_fault(ids.at(name));
      CHECK_FALSE(link->applied(ids.at(name)));
    };
    auto milestone = [&](int k) -> asio::awaitable<void> {
      switch (k) {
        case 1: add("latency", latency_fault({3ms, 2ms, LatencyDistribution::uniform, NetDirection::both, 1.0})); break;
        case 2: add("slicer", slicer_fault({700, 300, 0ns, NetDirection::upstream, 1.0})); break;
        case 3: add("bandwidth", bandwidth_fault({40e6, NetDirection::both, 1.0})); break;
        case 4: remove("latency"); break;
        case 5:
          // A partition holds everything in flight; it heals 50 ms later.
          add("partition", partition_fault(PartitionMode::drop, true, true));
          co_await wait_for(50ms);
          remove("partition");
          break;
        case 6: remove("bandwidth"); break;
        case 7:
          add("slow_close", slow_close_fault({20ms, NetDirection::both, 1.0}));
          add("latency2", latency_fault({1ms, 0ns, LatencyDistribution::uniform, NetDirection::downstream, 1.0}));
          break;
        case 9: remove("slicer"); break;
        case 10: remove("latency2"); break;
        case 12: remove("slow_close"); break;
        default: break;
      }
      co_return;
    };
    std::uint64_t received = 0;
    co_await (write_stream(client, kTotal) && echo(peer) && check_stream(client, kEvery, milestone, received));

    CHECK(received == kTotal);
    const LinkStats st = link->stats();
    CHECK(st.connections == 1);
    CHECK(st.bytes_upstream == kTotal);
    CHECK(st.bytes_downstream == kTotal);
    CHECK(st.discarded_upstream + st.discarded_downstream == 0);
    CHECK(st.resets == 0);
    REQUIRE(st.faults.size() == 6);
    for (const auto& w : st.faults) {
      INFO(w.fault);
      CHECK(w.end.has_value());
      CHECK(w.connections == 1);
    }
    CHECK(link->open_connections() == 0);
  });
}

TEST_CASE("proxy: a fault reaches connections open when it is added and those accepted while it stays") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    auto before = co_await connect(link.port);
    auto before_peer = co_await server.accept();
    const auto id = link->add_fault(slow_close_fault({10ms, NetDirection::both, 1.0}), label("f"));
    auto during = co_await connect(link.port);
    auto during_peer = co_await server.accept();
    link->remove_fault(id);
    auto after = co_await connect(link.port);
    auto after_peer = co_await server.accept();
    const LinkStats st = link->stats();
    REQUIRE(st.faults.size() == 1);
    CHECK(st.faults[0].connections == 2);
    CHECK(st.faults[0].end.has_value());
    CHECK(st.faults[0].start <= *st.faults[0].end);
    CHECK(st.connections == 3);
  });
}

namespace {

/// Records the connections it was drawn for and one draw from each.
struct RecordingFault final : proxy::LinkFault {
  std::vector<std::uint64_t> draws;
  proxy::Effect effect(std::mt19937_64& rng) override {
    draws.push_back(rng());
    return {};
  }
};

}  // namespace

TEST_CASE("proxy: toxicity and every draw follow the seed, so a run can be replayed") {
  auto draws = [](std::uint64_t seed, double toxicity) {
    std::vector<std::uint64_t> out;
    run([&](Env& env) -> asio::awaitable<void> {
      Server server(env.io);
      TestLink& link = env.link(server.port());
      std::vector<tcp::socket> clients;
      for (int i = 0; i < 40; ++i) clients.push_back(co_await connect(link.port));
      for (int i = 0; i < 40; ++i) co_await server.accept();
      auto f = std::make_shared<RecordingFault>();
      link->add_fault(f, {"f", "test", 1, seed, toxicity});
      out = f->draws;
    });
    return out;
  };
  const auto a = draws(7, 0.5);
  CHECK(a == draws(7, 0.5));
  CHECK(a != draws(8, 0.5));
  CHECK(a.size() > 5);   // about 20 of 40 connections
  CHECK(a.size() < 35);
  CHECK(draws(7, 1.0).size() == 40);
  CHECK(draws(7, 0.0).empty());
}

TEST_CASE("proxy: stopping a link closes its connections and ends all of its work") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    auto client = co_await connect(link.port);
    auto peer = co_await server.accept();
    link->add_fault(partition_fault(PartitionMode::drop, true, true), label("held"));
    co_await send(client, "held forever");
    link.set.stop();
    CHECK((co_await read_some(client)).ec == asio::error::eof);
    CHECK((co_await read_some(peer)).ec == asio::error::eof);
    CHECK(link->open_connections() == 0);
  });  // run() fails if any coroutine of the link is still waiting afterwards
}

TEST_CASE("link_set: binds loopback ports first, checks addresses, counts applications") {
  LinkSet set;
  Scenario s;
  s.links = {LinkSpec{"a", "127.0.0.1:1", "", {}, {}}, LinkSpec{"b", "[::1]:2", "", {}, {}}};
  const auto ports = set.bind(s.links);
  REQUIRE(ports.size() == 2);
  CHECK(ports.at("a") != ports.at("b"));
  CHECK(ports.at("a") > 0);
  CHECK(set.next_application("f", 1) == 0);
  CHECK(set.next_application("f", 1) == 1);
  CHECK(set.next_application("f", 2) == 0);
  CHECK(set.next_application("g", 1) == 0);

  CHECK(loopback_endpoint("127.0.0.1:6379")->port() == 6379);
  CHECK(loopback_endpoint("127.8.9.10:1")->address().to_string() == "127.8.9.10");
  CHECK(loopback_endpoint("localhost:80")->address().to_string() == "127.0.0.1");
  CHECK(loopback_endpoint("[::1]:80")->address().is_v6());
  CHECK_FALSE(loopback_endpoint("10.0.0.1:80"));
  CHECK_FALSE(loopback_endpoint("example.com:80"));
  CHECK_FALSE(loopback_endpoint("127.0.0.1:0"));
  CHECK_FALSE(loopback_endpoint("127.0.0.1:70000"));
  CHECK_FALSE(loopback_endpoint("127.0.0.1"));

  asio::io_context io;
  RunClock clock;
  Scenario bad;
  bad.links = {LinkSpec{"x", "10.1.1.1:80", "", {}, {}}};
  LinkSet other;
  other.bind(bad.links);
  CHECK_THROWS_WITH_AS(other.start(io.get_executor(), bad, clock), doctest::Contains("not a loopback"),
                       std::runtime_error);
}
