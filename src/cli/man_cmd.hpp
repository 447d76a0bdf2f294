// The man page and the bash completion, generated from the CLI's own
// definition (its subcommands, options and help texts) and the key catalog,
// so that neither can drift from the program (issue 21). `meson install`
// runs the built binary to write them (hidden subcommands `man` and
// `completion`) and installs them with the binary.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace faultline {

/// faultline(1) in roff: NAME, SYNOPSIS, DESCRIPTION, one section per
/// subcommand with its options, the scenario keys (`faultline list`), EXIT STATUS.
std::string render_man(const CLI::App& app);

/// A bash completion script: subcommands, then each one's options and, for
/// scenario arguments, *.toml files.
std::string render_bash_completion(const CLI::App& app);

}  // namespace faultline
