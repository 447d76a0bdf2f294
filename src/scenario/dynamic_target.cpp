// Dynamic targets in the scenario layer (dynamic_target.hpp): placing the
// chosen name, saying what will be chosen, and validating the select table.
#include "scenario/dynamic_target.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <set>
#include <utility>

#include "scenario/check_context.hpp"
#include "scenario/fault_kind.hpp"
#include "scenario/validate_checks.hpp"

namespace faultline {

void place_selected(FaultSpec& f, const std::string& name) {
  if (!f.select || f.select->key == "target") {
    f.target = name;
    return;
  }
  if (auto* p = f.params.get_if<PartitionParams>()) p->isolate = name;
}

std::string selection_text(const TargetSelect& sel) {
  return fmt::format("the first of [{}] where `{}` succeeds, chosen at injection", join_comma(sel.among),
                     sel.command.display());
}

const std::vector<std::string>& select_placeholders() {
  static const std::vector<std::string> names = {"service.name", "service.addr"};
  return names;
}

namespace {

/// Whether the select's key names a service for this kind: `target` of a
/// process kind (or of a kernel network kind, which shapes a service's
/// traffic), or `isolate`.
bool names_a_service(const Scenario& s, const FaultKind& kind, const TargetSelect& sel) {
  if (sel.key != "target") return true;
  return kind.target == FaultTarget::service ||
         (kind.target == FaultTarget::link && s.network == NetworkMode::namespaces);
}

/// The table's own checks; returns the candidates that are declared services.
std::vector<std::string> check_table(CheckContext& c, const FaultSpec& f, const std::string& path) {
  const TargetSelect& sel = *f.select;
  std::vector<std::string> known;
  if (sel.command.argv.empty() && sel.among.empty()) return known;  // the parser reported it
  std::set<std::string> seen;
  for (std::size_t k = 0; k < sel.among.size(); ++k) {
    const std::string& name = sel.among[k];
    const SourcePos pos = c.where(fmt::format("{}.{}.among[{}]", path, sel.key, k), sel.pos);
    if (!c.is_service(name))
      c.error(pos, fmt::format("dynamic {} of {}: '{}' is not a declared service", sel.key,
                               f.name.empty() ? "[[fault]]" : "fault '" + f.name + "'", name),
              c.service_hint(name));
    else if (!seen.insert(name).second)
      c.error(pos, fmt::format("'{}' is named twice in 'among'", name), "each candidate once");
    else
      known.push_back(name);
  }
  return known;
}

}  // namespace

void check_dynamic_fault(const Scenario& s, std::vector<Diagnostic>& out, std::size_t index) {
  const FaultSpec& f = s.faults[index];
  const std::string path = fmt::format("fault[{}]", index);
  CheckContext c(s, out);
  const FaultKind* kind = fault_kind(f.kind);
  if (kind && !names_a_service(s, *kind, *f.select)) {
    c.error(f.select->pos,
            fmt::format("a dynamic target chooses among services, and a {} fault acts on a link", f.kind),
            "name the link: target = \"LINK\"");
    return;
  }
  // Every choice must make a valid fault: check it once per candidate, each
  // diagnostic once.
  std::vector<Diagnostic> all;
  for (const auto& name : check_table(c, f, path)) {
    FaultSpec chosen = f;
    place_selected(chosen, name);
    std::vector<Diagnostic> one;
    FaultCheck fc(s, one, chosen, index);
    check_fault(fc);
    for (auto& d : one)
      if (std::none_of(all.begin(), all.end(), [&](const Diagnostic& x) {
            return x.pos.line == d.pos.line && x.pos.column == d.pos.column && x.message == d.message;
          }))
        all.push_back(std::move(d));
  }
  out.insert(out.end(), std::make_move_iterator(all.begin()), std::make_move_iterator(all.end()));
}

}  // namespace faultline
