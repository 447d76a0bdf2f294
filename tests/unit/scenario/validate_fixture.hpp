// What the validation tests share: a scenario text checked end to end, the
// one diagnostic that says something, and where in the text it must point.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "scenario/scenario_parser.hpp"
#include "scenario/validate.hpp"

// Where a diagnostic must point, and the one diagnostic that says something:
// what the parser tests use too.
namespace faultline::diagnostic_fixture {

struct Where {
  int line = 0;
  int column = 0;
};

/// 1-based line and column of occurrence `n` of `needle` in `text`.
inline Where where_is(std::string_view text, std::string_view needle, std::size_t n = 1) {
  std::size_t at = std::string_view::npos;
  std::size_t from = 0;
  for (std::size_t i = 0; i < n; ++i) {
    at = text.find(needle, from);
    REQUIRE_MESSAGE(at != std::string_view::npos, "test text lacks: ", std::string(needle));
    from = at + 1;
  }
  Where w{1, 1};
  for (std::size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++w.line;
      w.column = 1;
    } else {
      ++w.column;
    }
  }
  return w;
}

inline std::string all_messages(const std::vector<Diagnostic>& ds) {
  std::string out;
  for (const auto& d : ds) out += format_diagnostic(d) + "\n";
  return out;
}

/// The only diagnostic whose message contains `fragment`.
inline Diagnostic diag(const std::vector<Diagnostic>& ds, std::string_view fragment) {
  const Diagnostic* found = nullptr;
  int count = 0;
  for (const auto& d : ds)
    if (d.message.find(fragment) != std::string::npos) {
      found = &d;
      ++count;
    }
  INFO("diagnostics:\n", all_messages(ds));
  REQUIRE_MESSAGE(count == 1, "expected exactly one diagnostic containing: ", std::string(fragment));
  return *found;
}

}  // namespace faultline::diagnostic_fixture

namespace faultline::validate_fixture {

using namespace faultline::diagnostic_fixture;

/// Parses `text` (which must parse cleanly) and validates it.
inline std::vector<Diagnostic> check(const std::string& text) {
  auto r = parse_scenario(text, "v.toml");
  INFO("text:\n", text, "\nparse diagnostics:\n", all_messages(r.diagnostics));
  REQUIRE(r.diagnostics.empty());
  REQUIRE(r.scenario.has_value());
  return validate(*r.scenario);
}

inline void check_at(const Diagnostic& d, Where w) {
  INFO("diagnostic: ", format_diagnostic(d));
  CHECK(d.pos.file == "v.toml");
  CHECK(d.pos.line == w.line);
  CHECK(d.pos.column == w.column);
}

/// Where the value of `key = value` (given as the whole text) starts.
inline Where value_of(std::string_view text, std::string_view key_and_value, std::size_t n = 1) {
  Where w = where_is(text, key_and_value, n);
  w.column += static_cast<int>(key_and_value.find("= ") + 2);
  return w;
}

inline const std::string kServices = R"(name = "v"
[[service]]
name = "redis"
command = "redis-server --port {port.redis} --dir {service.dir}"
ports = ["redis"]
)";

inline const std::string kPair = R"(name = "v"
[[service]]
name = "primary"
command = "redis-server --port {port.primary}"
ports = ["primary"]
[[service]]
name = "replica"
command = "redis-server --port {port.replica} --replicaof 127.0.0.1 {link.repl}"
ports = ["replica"]
[[link]]
name = "repl"
to = "127.0.0.1:{port.primary}"
from = ["replica"]
)";

}  // namespace faultline::validate_fixture
