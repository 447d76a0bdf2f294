// libFuzzer target: the scenario parser and validator. Any text is either a
// scenario or at least one diagnostic naming the file, a line and a column;
// a scenario the parser accepts is validated, and a valid one ordered.
// Crashes, sanitizer findings, leaks and broken invariants are failures.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "scenario/scenario_parser.hpp"
#include "scenario/validate.hpp"

namespace {

const std::string kFile = "fuzz.toml";

/// A broken invariant: print it and abort, which libFuzzer records as a crash.
[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "fuzz_scenario: invariant broken: %s\n", what);
  std::abort();
}

void check_diagnostics(const std::vector<faultline::Diagnostic>& diags) {
  for (const auto& d : diags) {
    if (d.pos.file != kFile) broken("a diagnostic does not name the file");
    if (d.pos.line < 1 || d.pos.column < 1) broken("a diagnostic has no line:col");
    if (d.message.empty()) broken("a diagnostic has no message");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  faultline::ParseResult r = faultline::parse_scenario(text, kFile);
  check_diagnostics(r.diagnostics);
  if (!r.scenario) {
    if (r.diagnostics.empty()) broken("no scenario and no diagnostic");
    return 0;
  }
  if (!r.diagnostics.empty()) broken("a scenario returned with diagnostics");
  const auto problems = faultline::validate(*r.scenario);
  check_diagnostics(problems);
  if (problems.empty() && faultline::start_order(*r.scenario).size() != r.scenario->services.size())
    broken("start_order lost or duplicated a service");
  return 0;
}
