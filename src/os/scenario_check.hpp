// Every problem of one scenario file in one pass (issue 21): what the parser
// found (syntax, read past each syntax error; types, keys, values), the
// semantic checks of what it read, and what this host lacks to run it
// (network = "namespaces": root or CAP_NET_ADMIN, namespaces, nftables, tbf,
// netem), each at its file:line:col, in the order of the file. The host's
// capabilities are checked on what could be read even when the rest has
// errors, so that a missing capability is not found only after every other
// error was fixed. `validate`, `plan` and `run` refuse a scenario with any.
#pragma once

#include <functional>
#include <vector>

#include "os/host_caps.hpp"
#include "scenario/diagnostics.hpp"
#include "scenario/scenario_parser_partial.hpp"

namespace faultline {

/// Every problem of the parsed file `p`, sorted by line and column (a
/// problem of the whole file, line 0, first). `caps` is called at most once,
/// and only for a scenario that needs the host's capabilities (tests pass a
/// fake; the program passes probe_host_caps).
std::vector<Diagnostic> every_problem(const PartialParse& p, const std::function<HostCaps()>& caps);

}  // namespace faultline
