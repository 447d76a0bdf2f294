// The explicit table of everything a scenario may say: for each table kind
// (top level, [[service]], [[probe]] by kind, [[fault]] by kind, ...) its keys
// with type, unit, default and a one-line description. The parser uses it to
// reject unknown keys (with a did-you-mean), `faultline list` prints it, and
// scenarios/README.md documents the same table.
#pragma once

#include <string>
#include <vector>

namespace faultline {

/// One key a table accepts.
struct KeySpec {
  std::string key;
  std::string type;     ///< "string", "duration", "integer", "bool", "command", ...
  std::string default_value;  ///< as the user would write it; "" = required or none
  std::string description;    ///< with units where a number has one
  bool required = false;
};

/// A fault kind or probe kind with its parameters.
struct KindSpec {
  std::string name;  ///< e.g. "tcp", "http"
  std::string summary;
  bool reversible = false;  ///< has a revert (faults only)
  std::vector<KeySpec> keys;  ///< kind-specific keys, beside the common ones
};

/// Keys common to every [[fault]] (name, kind, target, at, duration, repeat, every).
const std::vector<KeySpec>& fault_common_keys();
/// Keys common to every [[probe]] and service readiness probe.
const std::vector<KeySpec>& probe_common_keys();
/// Every fault kind, in the order `list` shows them (from the kinds'
/// descriptors, fault_kind.hpp).
const std::vector<KindSpec>& fault_kinds();
/// Every probe kind.
const std::vector<KindSpec>& probe_kinds();
/// Keys of the top level, [[service]], [[setup]]/[[verify]] and [thresholds].
const std::vector<KeySpec>& top_level_keys();
const std::vector<KeySpec>& service_keys();
/// Keys of a [[host]] (a machine drilled over OpenSSH).
const std::vector<KeySpec>& host_keys();
/// Keys of a [[link]].
const std::vector<KeySpec>& link_keys();
/// Keys of a [[setup]] step (and the common ones of a [[verify]] step).
const std::vector<KeySpec>& step_keys();
/// Keys of a [[verify]] or [[strategy.verify]] step: step_keys() and `integrity`.
const std::vector<KeySpec>& verify_keys();
const std::vector<KeySpec>& threshold_keys();
/// Keys of a [[recovery]] step.
const std::vector<KeySpec>& recovery_keys();
/// Keys of a [[strategy]] (issue 17).
const std::vector<KeySpec>& strategy_keys();
/// Keys common to every [[workload]], and the workload kinds with their own keys.
const std::vector<KeySpec>& workload_common_keys();
const std::vector<KindSpec>& workload_kinds();

/// The kind named `name`, or nullptr.
const KindSpec* find_fault_kind(const std::string& name);
const KindSpec* find_probe_kind(const std::string& name);
const KindSpec* find_workload_kind(const std::string& name);

}  // namespace faultline
