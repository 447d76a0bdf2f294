// What every semantic check of a scenario works with: the scenario, where
// each value was written, the diagnostics collected so far, and the names it
// declares (with a did-you-mean for a name it does not). The validator
// (validate.cpp) is one; each fault kind's check (fault_kind.hpp) gets one
// for its [[fault]], so that a kind's file reports problems in the same
// words and at the same places as the rest of validation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "scenario/diagnostics.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

/// A scenario under semantic check and the diagnostics found in it.
class CheckContext {
 public:
  CheckContext(const Scenario& s, std::vector<Diagnostic>& out) : s_(s), out_(out) {}

  const Scenario& scenario() const { return s_; }
  /// The position recorded for the key path `path`, else `fallback`.
  SourcePos where(const std::string& path, const SourcePos& fallback) const;
  /// Records a problem at `pos` (the scenario's file when `pos` names none).
  void error(SourcePos pos, std::string message, std::string hint = {});

  /// network = "namespaces".
  bool namespaces() const { return s_.network == NetworkMode::namespaces; }
  bool is_service(const std::string& name) const;
  /// The named services and links, in declaration order.
  std::vector<std::string> service_names() const;
  std::vector<std::string> link_names() const;
  /// "did you mean ...?" or the list of declared services.
  std::string service_hint(const std::string& name) const;

 protected:
  const Scenario& s_;
  std::vector<Diagnostic>& out_;
};

/// "'a', 'b', 'c'".
std::string quoted_list(const std::vector<std::string>& items);

/// "a, b, c".
std::string join_comma(const std::vector<std::string>& items);

/// "a", "a and b", "a, b and c" (`last` = " and ").
std::string join_list(const std::vector<std::string>& items, std::string_view last);

/// "a", "a and b", "a, b and c".
std::string join_and(const std::vector<std::string>& items);

}  // namespace faultline
