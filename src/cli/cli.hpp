// The `faultline` command line (CLI11): run, validate, plan, list, init.
#pragma once

namespace faultline {

/// Parses the command line, runs the subcommand and returns the exit code
/// (docs/design.md section 5; 2 for a usage error).
int run_cli(int argc, char** argv);

}  // namespace faultline
