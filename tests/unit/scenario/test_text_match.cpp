// Tests of the regular expressions of scenarios: the dialect (lines, dots,
// Perl classes), invalid patterns, and searches that std::regex could not
// survive.
#include <doctest/doctest.h>

#include <string>

#include "scenario/text_match.hpp"

using namespace faultline;

TEST_CASE("text_match: searched, not anchored; ^ and $ also at line breaks; . stops at a line break") {
  CHECK_FALSE(regex_mismatch("stdout", "role:master\nconnected_slaves:1\n", "connected_slaves:[1-9]"));
  CHECK_FALSE(regex_mismatch("stdout", "OK\nPONG\n", "^PONG$"));
  CHECK_FALSE(regex_mismatch("body", "a\nb", "^b"));
  CHECK(regex_mismatch("body", "a\nb", "a.b") == "body does not match /a.b/");
  CHECK_FALSE(regex_mismatch("body", "a\nb", "a\\nb"));
  CHECK_FALSE(regex_mismatch("body", "took 12 ms", "\\d+\\s*ms"));
  CHECK(regex_mismatch("stdout", "", "x") == "stdout does not match /x/");
}

TEST_CASE("text_match: an invalid pattern is named, and says why") {
  CHECK_FALSE(regex_syntax_error("^(ok|fine)$"));
  const auto open = regex_syntax_error("(");
  REQUIRE(open);
  CHECK_FALSE(open->empty());
  CHECK(open->find("The error occurred") == std::string::npos);  // no copy of the pattern
  REQUIRE(regex_syntax_error("a["));
  REQUIRE(regex_syntax_error("*x"));
  const auto m = regex_mismatch("body", "text", "(");
  REQUIRE(m);
  CHECK(m->rfind("invalid regex /(/: ", 0) == 0);
}

TEST_CASE("text_match: a long text never crashes the search") {
  // std::regex searched these by recursion and overflowed an 8 MiB stack
  // from about 30 KB on (SIGSEGV, the whole run lost).
  const std::string body(1 << 20, 'a');
  CHECK(regex_mismatch("body", body + "\nok\n", "^ok$") == std::nullopt);
  CHECK(regex_mismatch("body", body, "^a*$") == std::nullopt);
  // A pattern that must backtrack over the whole text: a bounded, named
  // failure instead of a crash or an endless search.
  const auto costly = regex_mismatch("body", body, "(a|b)*c");
  REQUIRE(costly);
  CHECK(costly->find("too costly to search in 1048576 bytes of body") != std::string::npos);
  const auto quadratic = regex_mismatch("body", body, "a.*b");
  REQUIRE(quadratic);
  CHECK(quadratic->find("too costly") != std::string::npos);
}
