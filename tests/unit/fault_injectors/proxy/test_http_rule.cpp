// http_rule: the answer http.abort sends, reason phrases, and how a response
// head is rewritten (only the status line and the one header change).
#include <doctest/doctest.h>

#include "fault_injectors/proxy/http_rule.hpp"

using namespace faultline::proxy;

TEST_CASE("http rule: the answer has a status line, text/plain, Content-Length and the body (none for HEAD)") {
  CHECK(http_answer(503, "down") ==
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\ndown");
  CHECK(http_answer(418, "", false) == "HTTP/1.1 418 Status\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n");
  CHECK(http_answer(500, "abc", true) ==
        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\n");
}

TEST_CASE("http rule: a rewrite keeps the version, line endings and every other header") {
  HttpRule r;
  r.status = 502;
  r.set_header_name = "Server";
  r.set_header_value = "chaos";
  const std::string head = "HTTP/1.0 200 OK\nServer: nginx\nA: 1\nserver: twice\n\n";
  CHECK(rewrite_response_head(head, r) == "HTTP/1.0 502 Bad Gateway\nServer: chaos\nA: 1\n\n");
}
