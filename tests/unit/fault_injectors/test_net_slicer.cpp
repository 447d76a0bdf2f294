// net.slicer on real loopback sockets: data arrives in slices of the
// configured size, `delay` apart, in order, in the chosen direction only.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "fault_injectors/net_slicer.hpp"
#include "proxy_harness.hpp"

using namespace ptest;
using namespace faultline;

namespace {

proxy::FaultLabel label() { return {"sl", "net.slicer", 1, 3, 1.0}; }

std::string alphabet(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<char>('a' + i % 26);
  return s;
}

}  // namespace

TEST_CASE("net.slicer: slices of size +/- variation, delay apart, in order, in both directions") {
  for (const auto dir : {NetDirection::upstream, NetDirection::downstream}) {
    run([dir](Env& env) -> asio::awaitable<void> {
      Server server(env.io);
      TestLink& link = env.link(server.port());
      auto client = co_await connect(link.port);
      auto peer = co_await server.accept();
      constexpr std::int64_t kSize = 10, kVariation = 5;
      constexpr Nanos kDelay = 50ms;
      link->add_fault(slicer_fault({kSize, kVariation, kDelay, dir, 1.0}), label());
      tcp::socket& from = dir == NetDirection::upstream ? client : peer;
      tcp::socket& to = dir == NetDirection::upstream ? peer : client;
      const std::string data = alphabet(60);
      const auto t0 = SteadyClock::now();
      co_await send(from, data);
      std::string got;
      std::vector<std::size_t> reads;
      while (got.size() < data.size()) {
        const ReadResult r = co_await read_some(to, 5s);
        REQUIRE_FALSE(r.timed_out);
        REQUIRE_FALSE(r.ec);
        got += r.data;
        reads.push_back(r.data.size());
      }
      const Nanos took = since(t0);
      CHECK(got == data);
      // At least ceil(60 / 15) = 4 slices, 50 ms apart: each read is one slice.
      CHECK(reads.size() >= 4);
      for (std::size_t i = 0; i + 1 < reads.size(); ++i) {  // the last slice may be short
        CHECK(reads[i] >= static_cast<std::size_t>(kSize - kVariation));
        CHECK(reads[i] <= static_cast<std::size_t>(kSize + kVariation));
      }
      CHECK(took >= kDelay * static_cast<int>(reads.size() - 1));
      // The other direction is whole.
      co_await send(to, data);
      CHECK((co_await read_n(from, data.size())).data == data);
    });
  }
}

TEST_CASE("net.slicer: a revert sends what was still sliced at once, in order") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    auto client = co_await connect(link.port);
    auto peer = co_await server.accept();
    const auto id = link->add_fault(slicer_fault({1, 0, 1s, NetDirection::upstream, 1.0}), label());
    const std::string data = alphabet(100);
    co_await send(client, data);
    const ReadResult first = co_await read_some(peer, 1s);
    CHECK(first.data == "a");
    const auto t0 = SteadyClock::now();
    link->remove_fault(id);
    CHECK((co_await read_n(peer, 99)).data == data.substr(1));
    CHECK(since(t0) < slack(0ms));
  });
}
