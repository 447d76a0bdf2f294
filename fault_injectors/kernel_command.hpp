// What the kernel versions of the network kinds (network = "namespaces")
// share about the `nft` and `tc` commands they run: one time limit, and the
// line of their output a FaultError quotes.
#pragma once

#include <string>
#include <vector>

#include "fault_injectors/injector.hpp"
#include "os/subprocess.hpp"

namespace faultline {

/// Runs `argv` (an `nft` or `tc` command, already wrapped for its namespace)
/// to completion, within 10 s.
asio::awaitable<CommandResult> run_kernel_command(InjectorContext& ctx, std::vector<std::string> argv);

/// Why a command failed, in one line: its start error, else the first line
/// of its stderr (or stdout), else its exit status.
std::string first_line(const CommandResult& r);

}  // namespace faultline
