// link_lines: one line per HTTP link with its counts; nothing for plain links.
#include <doctest/doctest.h>

#include "reports/link_lines.hpp"

using namespace faultline;

TEST_CASE("link lines: an HTTP link's counts, and nothing for a plain link") {
  RunRecord r;
  LinkStats plain;
  plain.name = "db";
  LinkStats web;
  web.name = "web";
  web.http = LinkHttpStats{120, 60, 31, 2, 1, 0};
  r.links = {plain, web};
  const auto lines = http_link_lines(r);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "link 'web' (HTTP): 120 requests, 60 matched, 31 aborted, 2 delayed, 1 replaced");
  r.links[1].http->malformed = 1;
  CHECK(http_link_lines(r)[0].ends_with("; 1 connection(s) not HTTP, passed through unchanged"));
  r.links.pop_back();
  CHECK(http_link_lines(r).empty());
}
