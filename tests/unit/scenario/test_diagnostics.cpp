#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "scenario/diagnostics.hpp"

using namespace faultline;

TEST_CASE("diagnostics: format_diagnostic renders file:line:col: error: message (hint)") {
  CHECK(format_diagnostic({{"s.toml", 3, 7}, "unknown key 'intreval'", "did you mean 'interval'?"}) ==
        "s.toml:3:7: error: unknown key 'intreval' (did you mean 'interval'?)");
  CHECK(format_diagnostic({{"s.toml", 3, 7}, "bad", ""}) == "s.toml:3:7: error: bad");
}

TEST_CASE("diagnostics: a position without a line shows only the file") {
  CHECK(format_diagnostic({{"missing.toml", 0, 0}, "cannot read scenario file", ""}) ==
        "missing.toml: error: cannot read scenario file");
  CHECK(format_diagnostic({{"", 0, 0}, "no file", ""}) == "<scenario>: error: no file");
  // A known line with an unknown column still reads as a position.
  CHECK(format_diagnostic({{"s.toml", 4, 0}, "x", ""}) == "s.toml:4:1: error: x");
}

TEST_CASE("diagnostics: edit_distance is the Levenshtein distance") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("abc", "abc") == 0);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("abc", "") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("flaw", "lawn") == 2);
  CHECK(edit_distance("ab", "ba") == 2);
  CHECK(edit_distance("interval", "intreval") == 2);
  CHECK(edit_distance("abc", "abd") == edit_distance("abd", "abc"));
}

TEST_CASE("diagnostics: closest suggests plausible typos only") {
  const std::vector<std::string> keys = {"name", "kind", "interval", "timeout", "port", "host", "steady_state"};
  CHECK(closest("intreval", keys) == "interval");
  CHECK(closest("intervall", keys) == "interval");
  CHECK(closest("timout", keys) == "timeout");
  CHECK(closest("steady-state", keys) == "steady_state");
  // Adjacent transpositions count as one edit, so short words get suggestions too.
  CHECK(closest("prot", keys) == "port");
  CHECK(closest("kidn", keys) == "kind");
  CHECK(closest("nmae", keys) == "name");
  // Exact matches win.
  CHECK(closest("host", keys) == "host");
  // Nothing close: no suggestion rather than a misleading one.
  CHECK(closest("completely_different", keys).empty());
  CHECK(closest("xyz", keys).empty());
  CHECK(closest("zz", {"at"}).empty());
  CHECK(closest("anything", {}).empty());
}

TEST_CASE("diagnostics: closest handles transpositions late in long words and very long words") {
  CHECK(closest("expect_stdout_regxe", {"expect_stdout", "expect_stdout_regex"}) == "expect_stdout_regex");
  CHECK(closest("steady_state_timoeut", {"steady_timeout", "steady_state_timeout"}) == "steady_state_timeout");
  // A key of a megabyte (the fuzzer writes such): no suggestion, and no
  // allocation per character (this was a million allocations per candidate).
  CHECK(closest(std::string(1'000'000, 'p'), {"port", "probe", "path"}).empty());
  CHECK(closest(std::string(30, 'a'), {std::string(29, 'a'), std::string(30, 'b')}) == std::string(29, 'a'));
}

TEST_CASE("diagnostics: closest prefers the nearest candidate, then the first") {
  CHECK(closest("servise", {"setup", "service", "verify"}) == "service");
  CHECK(closest("probes", {"probe", "probe_x"}) == "probe");
  CHECK(closest("cat", {"bat", "hat"}) == "bat");
}
