// http.delay on real loopback sockets: a selected request (or its response)
// is held for the configured delay, within the same slack as net.latency's
// test (proxy_harness.hpp: 25 ms + 10 %); unselected requests are not held;
// a revert stops holding new requests.
#include <doctest/doctest.h>

#include "http_harness.hpp"

using namespace ptest;
using namespace faultline;
using Action = proxy::HttpRule::Action;

namespace {

const std::string kSlow = "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n";
const std::string kFast = "GET /fast HTTP/1.1\r\nHost: t\r\n\r\n";
const std::string kResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

proxy::HttpRule delay_rule(Action action, Nanos d) {
  proxy::HttpRule r = http_rule(action, "", "/slow");
  r.delay = d;
  return r;
}

}  // namespace

TEST_CASE("http.delay: a selected request is held for the delay; others on the connection are not") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port(), true);
    constexpr Nanos kDelay = 80ms;
    link->add_fault(http_link_fault(delay_rule(Action::delay_request, kDelay)), http_label());
    auto client = co_await connect(link.port);
    co_await send(client, kFast);
    auto peer = co_await server.accept();
    co_await expect_bytes(peer, kFast);
    co_await send(peer, kResponse);
    co_await expect_bytes(client, kResponse);
    for (int i = 0; i < 3; ++i) {
      auto t0 = SteadyClock::now();
      co_await send(client, kSlow);
      co_await expect_bytes(peer, kSlow);
      const Nanos held = since(t0);
      t0 = SteadyClock::now();
      co_await send(client, kFast);
      co_await expect_bytes(peer, kFast);
      const Nanos fast = since(t0);
      INFO("held " << ms(held) << ", unselected " << ms(fast));
      CHECK(held >= kDelay);
      CHECK(held <= kDelay + slack(kDelay));
      CHECK(fast < slack(0ms));
    }
    CHECK(link->stats().http->delayed == 3);
  });
}

TEST_CASE("http.delay: hold = response holds the response from when its head arrives") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port(), true);
    constexpr Nanos kDelay = 80ms;
    link->add_fault(http_link_fault(delay_rule(Action::delay_response, kDelay)), http_label());
    auto client = co_await connect(link.port);
    co_await send(client, kSlow);
    auto peer = co_await server.accept();
    for (int i = 0; i < 3; ++i) {
      if (i > 0) co_await send(client, kSlow);
      co_await expect_bytes(peer, kSlow);  // the request itself is not held
      const auto t0 = SteadyClock::now();
      co_await send(peer, kResponse);
      co_await expect_bytes(client, kResponse);
      const Nanos held = since(t0);
      INFO("held " << ms(held));
      CHECK(held >= kDelay);
      CHECK(held <= kDelay + slack(kDelay));
    }
  });
}

TEST_CASE("http.delay: after the revert new requests are not held") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port(), true);
    const auto id = link->add_fault(http_link_fault(delay_rule(Action::delay_request, 300ms)), http_label());
    auto client = co_await connect(link.port);
    link->remove_fault(id);
    CHECK_FALSE(link->applied(id));
    const auto t0 = SteadyClock::now();
    co_await send(client, kSlow);
    auto peer = co_await server.accept();
    co_await expect_bytes(peer, kSlow);
    CHECK(since(t0) < slack(0ms));
    CHECK(link->stats().http->delayed == 0);
  });
}

TEST_CASE("http.delay: a request or response held when the fault is reverted goes at the revert, not at the delay's end") {
  for (const Action action : {Action::delay_request, Action::delay_response}) {
    run([action](Env& env) -> asio::awaitable<void> {
      Server server(env.io);
      TestLink& link = env.link(server.port(), true);
      const auto id = link->add_fault(http_link_fault(delay_rule(action, 10s)), http_label());
      auto client = co_await connect(link.port);
      co_await send(client, kSlow);
      auto peer = co_await server.accept();
      if (action == Action::delay_response) {
        co_await expect_bytes(peer, kSlow);
        co_await send(peer, kResponse);
      }
      tcp::socket& to = action == Action::delay_request ? peer : client;
      const std::string& held = action == Action::delay_request ? kSlow : kResponse;
      co_await expect_silence(to, 100ms);  // held
      const auto t0 = SteadyClock::now();
      link->remove_fault(id);
      co_await expect_bytes(to, held, 2s);
      INFO("released " << ms(since(t0)) << " after the revert");
      CHECK(since(t0) < slack(0ms));
    });
  }
}
