// net.slow_close on real loopback sockets: data passes at once, a peer's
// close reaches the other peer `delay` late, in the chosen direction only;
// a revert delivers a held close at once.
#include <doctest/doctest.h>

#include "fault_injectors/net_slow_close.hpp"
#include "proxy_harness.hpp"

using namespace ptest;
using namespace faultline;

namespace {

proxy::FaultLabel label() { return {"sc", "net.slow_close", 1, 1, 1.0}; }

}  // namespace

TEST_CASE("net.slow_close: a close reaches the other peer late, data does not, in both directions") {
  for (const auto dir : {NetDirection::upstream, NetDirection::downstream}) {
    run([dir](Env& env) -> asio::awaitable<void> {
      Server server(env.io);
      TestLink& link = env.link(server.port());
      auto client = co_await connect(link.port);
      auto peer = co_await server.accept();
      constexpr Nanos kDelay = 150ms;
      link->add_fault(slow_close_fault({kDelay, dir, 1.0}), label());
      tcp::socket& closer = dir == NetDirection::upstream ? client : peer;
      tcp::socket& other = dir == NetDirection::upstream ? peer : client;
      const auto t0 = SteadyClock::now();
      co_await send(closer, "last words");
      closer.shutdown(tcp::socket::shutdown_send);
      CHECK((co_await read_n(other, 10)).data == "last words");
      const Nanos data_at = since(t0);
      CHECK((co_await read_some(other, 5s)).ec == asio::error::eof);
      const Nanos close_at = since(t0);
      INFO("data after " << ms(data_at) << ", close after " << ms(close_at));
      CHECK(data_at < slack(0ms));
      CHECK(close_at >= kDelay);
      CHECK(close_at <= kDelay + slack(kDelay));
      // The other direction closes promptly.
      const auto t1 = SteadyClock::now();
      other.shutdown(tcp::socket::shutdown_send);
      CHECK((co_await read_some(closer, 5s)).ec == asio::error::eof);
      CHECK(since(t1) < slack(0ms));
    });
  }
}

TEST_CASE("net.slow_close: a revert delivers a held close at once") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    auto client = co_await connect(link.port);
    auto peer = co_await server.accept();
    const auto id = link->add_fault(slow_close_fault({10s, NetDirection::downstream, 1.0}), label());
    peer.shutdown(tcp::socket::shutdown_send);
    CHECK((co_await read_some(client, 100ms)).timed_out);
    const auto t0 = SteadyClock::now();
    link->remove_fault(id);
    CHECK((co_await read_some(client)).ec == asio::error::eof);
    CHECK(since(t0) < slack(0ms));
  });
}
