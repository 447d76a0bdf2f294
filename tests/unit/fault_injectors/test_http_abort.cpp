// http.abort on real loopback sockets through a link with protocol = "http":
// a selected request gets the injected status and never reaches the server;
// everything else, on the same keep-alive connection, chunked or not, passes
// byte for byte and in order; the probability is seeded; malformed traffic
// passes unchanged; TCP faults still apply on such a link.
#include <doctest/doctest.h>

#include <algorithm>

#include "fault_injectors/net_latency.hpp"
#include "http_harness.hpp"

using namespace ptest;
using namespace faultline;
using Action = proxy::HttpRule::Action;

namespace {

proxy::HttpRule abort_rule(int status, std::string body, std::string method, std::string prefix) {
  proxy::HttpRule r = http_rule(Action::abort, std::move(method), std::move(prefix));
  r.status = status;
  r.body = std::move(body);
  return r;
}

const std::string kFail = "GET /fail/1 HTTP/1.1\r\nHost: t\r\n\r\n";
const std::string kChunkedRequest =
    "POST /ok HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nab\r\n\r\n0\r\n\r\n";
const std::string kChunkedResponse =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Odd:  spacing \r\n\r\n5\r\nhello\r\n0\r\n\r\n";
const std::string kGet = "GET /ok/2?q=1 HTTP/1.1\r\nHost: t\r\n\r\n";
const std::string kResponse = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine";

}  // namespace

TEST_CASE("http.abort: a matched request gets the injected status; unmatched ones on the same connection pass byte for byte") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port(), true);
    link->add_fault(http_link_fault(abort_rule(503, "down", "GET", "/fail")), http_label());
    auto client = co_await connect(link.port);
    const std::string answer = proxy::http_answer(503, "down");
    CHECK(answer == "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\ndown");

    co_await send(client, kFail);
    co_await expect_bytes(client, answer);
    co_await send(client, kChunkedRequest);  // keep-alive: the next request on the same connection
    auto peer = co_await server.accept();
    co_await expect_bytes(peer, kChunkedRequest);  // the server never saw the aborted one
    co_await send(peer, kChunkedResponse);
    co_await expect_bytes(client, kChunkedResponse);
    co_await send(client, kFail);
    co_await expect_bytes(client, answer);
    co_await send(client, kGet);
    co_await expect_bytes(peer, kGet);
    co_await send(peer, kResponse);
    co_await expect_bytes(client, kResponse);

    const LinkStats st = link->stats();
    REQUIRE(st.http);
    CHECK(st.http->requests == 4);
    CHECK(st.http->matched == 2);
    CHECK(st.http->aborted == 2);
    CHECK(st.http->malformed == 0);
    CHECK(st.connections == 1);
  });
}

TEST_CASE("http.abort: pipelined requests keep their order: the answer waits for the earlier response") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port(), true);
    link->add_fault(http_link_fault(abort_rule(500, "", "", "/fail")), http_label());
    auto client = co_await connect(link.port);
    co_await send(client, kGet + kFail + kGet);
    auto peer = co_await server.accept();
    co_await expect_bytes(peer, kGet + kGet);
    co_await expect_silence(client, 100ms);  // the answer to the 2nd request may not overtake the 1st response
    co_await send(peer, kResponse);
    co_await expect_bytes(client, kResponse + proxy::http_answer(500, ""));
    co_await send(peer, kResponse);
    co_await expect_bytes(client, kResponse);
  });
}

TEST_CASE("http: with a fault that matches nothing, every byte passes unchanged, however it is cut") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port(), true);
    link->add_fault(http_link_fault(abort_rule(503, "", "DELETE", "")), http_label());
    auto client = co_await connect(link.port);
    const std::string requests = kChunkedRequest + kGet + "HEAD /h HTTP/1.1\r\n\r\n" + kChunkedRequest;
    const std::string responses = kChunkedResponse + kResponse + "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n" +
                                  "HTTP/1.1 100 Continue\r\n\r\n" + kChunkedResponse;
    for (std::size_t i = 0; i < requests.size(); i += 3) co_await send(client, requests.substr(i, 3));
    auto peer = co_await server.accept();
    co_await expect_bytes(peer, requests);
    for (std::size_t i = 0; i < responses.size(); i += 5) co_await send(peer, responses.substr(i, 5));
    co_await expect_bytes(client, responses);
    CHECK(link->stats().http->requests == 4);
    CHECK(link->stats().http->matched == 0);
  });
}

TEST_CASE("http.abort: the probability is drawn per request from the seed: the same seed aborts the same requests") {
  auto pattern = [](std::uint64_t seed) {
    std::string out;
    run([&](Env& env) -> asio::awaitable<void> {
      Server server(env.io);
      TestLink& link = env.link(server.port(), true);
      proxy::HttpRule r = abort_rule(503, "", "", "/fail");
      r.probability = 0.5;
      link->add_fault(http_link_fault(r), http_label(seed));
      auto client = co_await connect(link.port);
      auto peer_accept = server.accept();
      std::optional<tcp::socket> peer;
      const std::string answer = proxy::http_answer(503, "");
      for (int i = 0; i < 24; ++i) {
        const std::uint64_t aborted_before = link->stats().http->aborted;
        co_await send(client, kFail);
        // Whatever comes back while the link frames the request (it decides
        // then): the answer, if the draw aborts it.
        std::string got;
        for (int wait = 0; wait < 200 && link->stats().http->requests <= static_cast<std::uint64_t>(i); ++wait)
          got += (co_await read_some(client, 50ms)).data;
        REQUIRE(link->stats().http->requests == static_cast<std::uint64_t>(i + 1));
        if (link->stats().http->aborted > aborted_before) {
          REQUIRE(got.size() <= answer.size());
          co_await expect_bytes(client, answer.substr(got.size()));
          CHECK(got == answer.substr(0, got.size()));
          out += 'A';
          continue;
        }
        CHECK(got.empty());
        if (!peer) peer = co_await std::move(peer_accept);
        co_await expect_bytes(*peer, kFail);
        co_await send(*peer, kResponse);
        co_await expect_bytes(client, kResponse);
        out += '.';
      }
      CHECK(link->stats().http->matched == 24);
    });
    return out;
  };
  const std::string a = pattern(42);
  INFO("pattern " << a);
  CHECK(a == pattern(42));
  const auto aborted = std::count(a.begin(), a.end(), 'A');
  CHECK(aborted >= 4);  // 24 draws at 0.5: outside 4..20 has a chance below 1e-3
  CHECK(aborted <= 20);
}

TEST_CASE("http: a malformed request passes through unchanged, and the connection stays unframed") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port(), true);
    link->add_fault(http_link_fault(abort_rule(503, "", "", "")), http_label());
    auto client = co_await connect(link.port);
    const std::string bytes = "NOT HTTP\r\n\r\n" + kFail;
    co_await send(client, bytes);
    auto peer = co_await server.accept();
    co_await expect_bytes(peer, bytes);  // even the request after it: nothing is framed any more
    CHECK(link->stats().http->malformed == 1);
    CHECK(link->stats().http->aborted == 0);
  });
}

TEST_CASE("http: TCP faults keep working on an HTTP link (net.latency stacks behind the framing)") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port(), true);
    constexpr Nanos kLatency = 60ms;
    link->add_fault(latency_fault({kLatency, 0ns, LatencyDistribution::uniform, NetDirection::upstream, 1.0}),
                    {"lat", "net.latency", 1, 1, 1.0});
    auto client = co_await connect(link.port);
    const auto t0 = SteadyClock::now();
    co_await send(client, kGet);
    auto peer = co_await server.accept();
    co_await expect_bytes(peer, kGet);
    const Nanos took = since(t0);
    INFO("took " << ms(took));
    CHECK(took >= kLatency);  // the latency applies (its accuracy is net.latency's own test)
  });
}
