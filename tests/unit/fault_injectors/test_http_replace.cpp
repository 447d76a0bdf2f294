// http.replace on real loopback sockets: the response to a selected request
// gets the status and header the rule sets, its body and every other header
// unchanged; the responses to other requests pass byte for byte.
#include <doctest/doctest.h>

#include "http_harness.hpp"

using namespace ptest;
using namespace faultline;
using Action = proxy::HttpRule::Action;

TEST_CASE("http.replace: the selected response's status and header are rewritten, the rest passes as sent") {
  run([](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port(), true);
    proxy::HttpRule r = http_rule(Action::replace, "GET", "/api");
    r.status = 503;
    r.set_header_name = "Cache-Control";
    r.set_header_value = "no-store";
    r.match.header_name = "X-Chaos";
    link->add_fault(http_link_fault(r), http_label());
    auto client = co_await connect(link.port);
    const std::string selected = "GET /api/v1 HTTP/1.1\r\nX-Chaos: 1\r\n\r\n";
    const std::string other = "GET /api/v1 HTTP/1.1\r\n\r\n";  // no X-Chaos header: not selected
    const std::string response = "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 3\r\n\r\nabc";
    co_await send(client, selected);
    auto peer = co_await server.accept();
    co_await expect_bytes(peer, selected);  // the request is not touched
    co_await send(peer, response);
    co_await expect_bytes(client,
                          "HTTP/1.1 503 Service Unavailable\r\nCache-Control: no-store\r\nContent-Length: 3\r\n\r\nabc");
    co_await send(client, other);
    co_await expect_bytes(peer, other);
    co_await send(peer, response);
    co_await expect_bytes(client, response);
    CHECK(link->stats().http->replaced == 1);
    CHECK(link->stats().http->matched == 1);
  });
}

TEST_CASE("http.replace: a header the response lacks is added; only the status changes when no header is set") {
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  proxy::HttpRule r;
  r.set_header_name = "Retry-After";
  r.set_header_value = "1";
  CHECK(proxy::rewrite_response_head(head, r) == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nRetry-After: 1\r\n\r\n");
  proxy::HttpRule s;
  s.status = 429;
  CHECK(proxy::rewrite_response_head(head, s) == "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n");
}
