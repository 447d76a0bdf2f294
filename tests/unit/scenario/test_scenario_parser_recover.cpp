// Reading past TOML syntax errors (scenario_parser_recover.cpp): each error
// once, at its own line and column, and the rest of the document still read.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "report_fixtures.hpp"
#include "scenario/scenario_parser_recover.hpp"

using faultline::parse::parse_recovering;

TEST_CASE("recover: two broken lines are both reported at their place, and the rest is read") {
  const std::string text = "name = \"v\"\nbad line one\nkept = 1\nalso = = 2\nlast = 3\n";
  const auto r = parse_recovering(text, "v.toml");
  REQUIRE(r.syntax.size() == 2);
  CHECK(r.syntax[0].pos.line == 2);
  CHECK(r.syntax[1].pos.line == 4);
  REQUIRE(r.root.has_value());
  CHECK(r.root->contains("kept"));
  CHECK(r.root->contains("last"));
}

TEST_CASE("recover: an error that reaches past a blanked line is reported once") {
  // An unterminated multi-line string: toml++ names the end of the file
  // whatever is blanked before it.
  const std::string text = "name = \"v\"\nscript = \"\"\"\nsleep 1\n";
  const auto r = parse_recovering(text, "v.toml");
  CHECK_FALSE(r.root.has_value());
  CHECK(r.syntax.size() >= 1);
  for (std::size_t i = 0; i < r.syntax.size(); ++i)
    for (std::size_t j = i + 1; j < r.syntax.size(); ++j)
      CHECK_FALSE((r.syntax[i].pos.line == r.syntax[j].pos.line && r.syntax[i].message == r.syntax[j].message));
}

TEST_CASE("recover: a stray carriage return is blanked with its line; a line's own CRLF is kept") {
  const std::string text = "name = \"v\"\r\nx = 1\rjunk\r\nkept = 2\r\n";
  const auto r = parse_recovering(text, "v.toml");
  REQUIRE(r.syntax.size() == 1);
  CHECK(r.syntax[0].pos.line == 2);
  REQUIRE(r.root.has_value());
  CHECK(r.root->contains("kept"));
  CHECK(r.root->contains("name"));
}

TEST_CASE("recover: text toml++ does not expect while its errors are blanked is a syntax error, not an abort") {
  // Found by tests/fuzz: after a few lines of this file are blanked,
  // toml++'s parser meets a key that starts with neither a bare-key
  // character nor a quote, where an internal assertion of it (on in builds
  // without NDEBUG) aborted the whole program (scenario/toml_include.hpp).
  std::ifstream in(fixtures::source_root() / "tests/fuzz/corpus/scenario/toml-key-assert.toml", std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(text.size() == 296);
  const auto r = parse_recovering(text, "v.toml");
  CHECK(r.syntax.size() >= 3);
  for (const auto& d : r.syntax) CHECK(d.message.rfind("TOML syntax error: ", 0) == 0);
}
