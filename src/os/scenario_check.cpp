// every_problem (scenario_check.hpp): the parser's diagnostics (which with
// errors already hold the semantic checks of what was read), the semantic
// checks of a clean parse, and host_check of whatever was read.
#include "os/scenario_check.hpp"

#include <algorithm>
#include <tuple>

#include "scenario/validate.hpp"

namespace faultline {

std::vector<Diagnostic> every_problem(const PartialParse& p, const std::function<HostCaps()>& caps) {
  const ParseResult& r = p.result;
  std::vector<Diagnostic> out = r.diagnostics;
  if (r.scenario) {
    auto more = validate(*r.scenario);
    out.insert(out.end(), more.begin(), more.end());
  }
  const Scenario* s = r.scenario ? &*r.scenario : p.read_so_far ? &*p.read_so_far : nullptr;
  if (s && s->network == NetworkMode::namespaces) {
    for (auto& d : host_check(*s, caps())) {
      const bool seen = std::any_of(out.begin(), out.end(), [&](const Diagnostic& o) {
        return o.message == d.message && o.pos.line == d.pos.line && o.pos.column == d.pos.column;
      });
      if (!seen) out.push_back(std::move(d));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.pos.line, a.pos.column) < std::tie(b.pos.line, b.pos.column);
  });
  return out;
}

}  // namespace faultline
