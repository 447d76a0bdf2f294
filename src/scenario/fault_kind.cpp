#include "scenario/fault_kind.hpp"

#include <fmt/format.h>

namespace faultline {

FaultCheck::FaultCheck(const Scenario& s, std::vector<Diagnostic>& out, const FaultSpec& f, std::size_t index)
    : CheckContext(s, out),
      f_(f),
      path_(fmt::format("fault[{}]", index)),
      label_(f.name.empty() ? "[[fault]]" : fmt::format("fault '{}'", f.name)) {}

SourcePos FaultCheck::at(std::string_view key) const { return where(fmt::format("{}.{}", path_, key), f_.pos); }

std::string describe_fault(const FaultSpec& f) {
  const FaultKind* k = fault_kind(f.kind);
  return k && k->describe ? k->describe(f) : std::string();
}

std::string describe_net_fault(const FaultSpec& f) {
  const FaultKind* k = fault_kind(f.kind);
  return k && k->network ? describe_fault(f) : std::string();
}

}  // namespace faultline
