// net.bandwidth on real loopback sockets: a transfer takes size / rate in the
// limited direction only, and a revert lets the rest through at full speed.
#include <doctest/doctest.h>

#include "fault_injectors/net_bandwidth.hpp"
#include "proxy_harness.hpp"

using namespace ptest;
using namespace faultline;

namespace {

proxy::FaultLabel label() { return {"bw", "net.bandwidth", 1, 1, 1.0}; }

/// Sends `n` bytes from `a` to `b` and returns the time from the first write
/// to the last byte read.
asio::awaitable<Nanos> transfer(tcp::socket& a, tcp::socket& b, std::size_t n) {
  const std::string data(n, 'b');
  const auto t0 = SteadyClock::now();
  co_await send(a, data);
  const ReadResult r = co_await read_n(b, n, 30s);
  REQUIRE(r.data.size() == n);
  co_return since(t0);
}

}  // namespace

TEST_CASE("net.bandwidth: a transfer takes size / rate in the limited direction, in both directions") {
  for (const auto dir : {NetDirection::upstream, NetDirection::downstream}) {
    run([dir](Env& env) -> asio::awaitable<void> {
      Server server(env.io);
      TestLink& link = env.link(server.port());
      auto client = co_await connect(link.port);
      auto peer = co_await server.accept();
      constexpr double kRate = 200e3;       // 200 KB/s
      constexpr std::size_t kBytes = 100'000;  // 500 ms at that rate
      const Nanos expected = std::chrono::duration_cast<Nanos>(std::chrono::duration<double>(kBytes / kRate));
      link->add_fault(bandwidth_fault({kRate, dir, 1.0}), label());
      const Nanos limited = dir == NetDirection::upstream ? co_await transfer(client, peer, kBytes)
                                                          : co_await transfer(peer, client, kBytes);
      const Nanos other = dir == NetDirection::upstream ? co_await transfer(peer, client, kBytes)
                                                        : co_await transfer(client, peer, kBytes);
      INFO("limited " << ms(limited) << " (expected " << ms(expected) << "), other " << ms(other));
      CHECK(limited >= expected * 98 / 100);
      CHECK(limited <= expected + slack(expected));
      CHECK(other < slack(0ms));
    });
  }
}

TEST_CASE("net.bandwidth: a revert lets what was paced through at once, in order") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    auto client = co_await connect(link.port);
    auto peer = co_await server.accept();
    const auto id = link->add_fault(bandwidth_fault({1000, NetDirection::upstream, 1.0}), label());  // 1 KB/s
    std::string data;
    for (int i = 0; i < 5000; ++i) data += static_cast<char>('a' + i % 26);
    co_await send(client, data);
    const ReadResult first = co_await read_some(peer, 1s);
    CHECK(first.data.size() <= 10);  // 10 ms worth at 1 KB/s
    const auto t0 = SteadyClock::now();
    link->remove_fault(id);
    const ReadResult rest = co_await read_n(peer, data.size() - first.data.size());
    CHECK(first.data + rest.data == data);
    CHECK(since(t0) < slack(0ms));
  });
}
