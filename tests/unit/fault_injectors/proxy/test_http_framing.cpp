// HttpFramer and parse_http_head: message boundaries found incrementally,
// whatever way the bytes are cut, for Content-Length, chunked, bodiless and
// until-close messages, and malformed input said once.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "fault_injectors/proxy/http_framing.hpp"

using namespace faultline::proxy;

namespace {

/// Feeds `text` in pieces of `step` bytes; returns the events with the offset each ends at.
std::vector<std::pair<HttpFramer::Event, std::size_t>> frame(HttpFramer& f, const std::string& text, std::size_t step,
                                                             bool head_request = false) {
  std::vector<std::pair<HttpFramer::Event, std::size_t>> out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::string_view piece(text.data() + at, std::min(step, text.size() - at));
    while (!piece.empty()) {
      auto [n, e] = f.consume(piece);
      piece.remove_prefix(n);
      at += n;
      if (e == HttpFramer::Event::head && head_request) f.no_body();
      if (e != HttpFramer::Event::none) out.emplace_back(e, at);
      if (e == HttpFramer::Event::head && f.between_messages()) out.emplace_back(HttpFramer::Event::end, at);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("http framing: requests on one connection, Content-Length and chunked, cut at every size") {
  const std::string a = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string b = "POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
  const std::string c = "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\n";
  const std::string text = a + b + c;
  for (std::size_t step : {std::size_t(1), std::size_t(2), std::size_t(7), text.size()}) {
    HttpFramer f(true);
    const auto ev = frame(f, text, step);
    INFO("step " << step);
    REQUIRE(ev.size() == 6);
    CHECK(ev[0] == std::make_pair(HttpFramer::Event::head, a.size()));
    CHECK(ev[1] == std::make_pair(HttpFramer::Event::end, a.size()));
    CHECK(ev[2] == std::make_pair(HttpFramer::Event::head, a.size() + b.size() - 5));
    CHECK(ev[3] == std::make_pair(HttpFramer::Event::end, a.size() + b.size()));
    CHECK(ev[4].first == HttpFramer::Event::head);
    CHECK(ev[5] == std::make_pair(HttpFramer::Event::end, text.size()));
    CHECK(f.head().method == "PUT");
    CHECK(f.head().target == "/c");
  }
}

TEST_CASE("http framing: responses: bodiless statuses, HEAD, and a body until close") {
  const std::string r1 = "HTTP/1.1 100 Continue\r\n\r\n";
  const std::string r2 = "HTTP/1.1 204 No Content\r\n\r\n";
  const std::string r3 = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nxyz";
  HttpFramer f(false);
  auto ev = frame(f, r1 + r2 + r3, 5);
  REQUIRE(ev.size() == 6);
  CHECK(ev[5] == std::make_pair(HttpFramer::Event::end, r1.size() + r2.size() + r3.size()));
  CHECK(f.head().status == 200);

  HttpFramer head(false);  // a response to HEAD carries Content-Length but no body
  ev = frame(head, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", 3, true);
  REQUIRE(ev.size() == 2);
  CHECK(ev[1].first == HttpFramer::Event::end);

  HttpFramer close(false);
  ev = frame(close, "HTTP/1.0 200 OK\r\n\r\nanything at all", 4);
  REQUIRE(ev.size() == 1);  // the head; the body lasts until the server closes
  CHECK(!close.between_messages());
}

TEST_CASE("http framing: malformed input is said once, and nothing is framed after it") {
  for (const std::string bad : {"NOT HTTP AT ALL\r\n\r\n", "GET / HTTP/1.1\r\nno colon here\r\n\r\n",
                                "POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
                                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}) {
    HttpFramer f(true);
    const auto ev = frame(f, bad + "GET / HTTP/1.1\r\n\r\n", 3);
    INFO(bad);
    REQUIRE(!ev.empty());
    CHECK(ev.back().first == HttpFramer::Event::malformed);
    CHECK(f.raw());
  }
}

TEST_CASE("http framing: a head is parsed into method, target, path, status and headers") {
  auto h = parse_http_head("GET /api/x?y=1 HTTP/1.1\r\nHost: a\r\nX-Test:  yes \r\n\r\n", true);
  REQUIRE(h);
  CHECK(h->method == "GET");
  CHECK(h->path() == "/api/x");
  CHECK(h->header("x-test") == "yes");
  CHECK(!h->header("missing"));
  auto r = parse_http_head("HTTP/1.1 503 Service Unavailable\n\n", false);
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(!parse_http_head("HTTP/2 200 OK\r\n\r\n", false));
}
