// net.reset on real loopback sockets: both peers of open and new connections
// get an RST, after the configured delay; a revert lets new ones through.
#include <doctest/doctest.h>

#include "fault_injectors/net_reset.hpp"
#include "proxy_harness.hpp"

using namespace ptest;
using namespace faultline;

namespace {

proxy::FaultLabel label(double toxicity = 1.0) { return {"rst", "net.reset", 1, 1, toxicity}; }

}  // namespace

TEST_CASE("net.reset: open connections are reset at once, both peers see the RST") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    auto client = co_await connect(link.port);
    auto peer = co_await server.accept();
    co_await send(client, "hi");
    CHECK((co_await read_n(peer, 2)).data == "hi");
    link->add_fault(reset_fault({0ns, 1.0}), label());
    CHECK((co_await read_some(client)).ec == asio::error::connection_reset);
    CHECK((co_await read_some(peer)).ec == asio::error::connection_reset);
    CHECK(link->stats().resets == 1);
  });
}

TEST_CASE("net.reset: new connections are reset while it is applied and go through after the revert") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    const auto id = link->add_fault(reset_fault({0ns, 1.0}), label());
    auto refused = co_await connect(link.port);
    CHECK((co_await read_some(refused)).ec == asio::error::connection_reset);
    CHECK_FALSE(co_await server.accept_within(100ms));  // never connected to the server
    link->remove_fault(id);
    auto client = co_await connect(link.port);
    auto peer = co_await server.accept();
    co_await send(client, "ok");
    CHECK((co_await read_n(peer, 2)).data == "ok");
    CHECK(link->stats().resets == 1);
  });
}

TEST_CASE("net.reset: 'after' delays each reset, and a revert before it cancels it") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    auto client = co_await connect(link.port);
    auto peer = co_await server.accept();
    constexpr Nanos kAfter = 150ms;
    const auto t0 = SteadyClock::now();
    link->add_fault(reset_fault({kAfter, 1.0}), label());
    CHECK((co_await read_some(client, 5s)).ec == asio::error::connection_reset);
    const Nanos at = since(t0);
    INFO("reset after " << ms(at));
    CHECK(at >= kAfter);
    CHECK(at <= kAfter + slack(kAfter));

    auto& l2 = env.link(server.port());
    auto c2 = co_await connect(l2.port);
    auto p2 = co_await server.accept();
    const auto id = l2->add_fault(reset_fault({kAfter, 1.0}), label());
    l2->remove_fault(id);
    CHECK((co_await read_some(c2, kAfter + slack(kAfter))).timed_out);  // nothing happened to it
    co_await send(c2, "alive");
    CHECK((co_await read_n(p2, 5)).data == "alive");
  });
}

TEST_CASE("net.reset: toxicity 0 resets nothing") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    auto client = co_await connect(link.port);
    auto peer = co_await server.accept();
    link->add_fault(reset_fault({0ns, 0.0}), label(0.0));
    co_await send(client, "fine");
    CHECK((co_await read_n(peer, 4)).data == "fine");
    CHECK(link->stats().resets == 0);
  });
}
