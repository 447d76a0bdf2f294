// `faultline validate` (issue 21): every problem of each scenario file in
// one pass (os/scenario_check.hpp: syntax, semantics, the host's missing
// capabilities), and the warnings (scenario/partition_effect.hpp), in one of
// three formats:
//  - text (default): `file:line:col: error: ...` / `warning: ...` on stderr,
//    and `FILE: ok (...)` on stdout for each valid file;
//  - json: one document on stdout, {"files": [{"file", "ok", "problems":
//    [{"severity", "rule", "file", "line", "column", "message", "hint"}]}],
//    "errors", "warnings"};
//  - sarif: SARIF 2.1.0 on stdout, for code-scanning annotations (GitHub's
//    upload-sarif, GitLab's SAST report): one run whose tool.driver is
//    faultline with its rules, one result per problem with its rule, level,
//    message and physical location (file, line, column).
// Exit 0 when every file is valid (warnings allowed), 2 when any is not, or
// with --strict when any has a warning.
#pragma once

#include <CLI/CLI.hpp>

namespace faultline {

/// Adds `validate` with its options to `app`.
CLI::App* add_validate_command(CLI::App& app);

/// Runs `validate` as parsed: 0 valid, 2 invalid (or a warning with --strict).
int run_validate_command();

}  // namespace faultline
