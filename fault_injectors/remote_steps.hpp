// What a fault acting on several [[host]]s at once needs beyond one host's
// step (remote_fault.hpp): running a step on every host concurrently and
// collecting the failures, and one crash-ledger command that runs each
// host's revert script at once (each through the host's own ssh command).
// Used by host_qdisc.cpp (net.latency and net.bandwidth across hosts).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>

#include "fault_injectors/injector.hpp"
#include "os/remote_shell.hpp"

namespace faultline {

/// One host's step, started deferred (co_spawn(ex, step, asio::deferred)).
using RemoteStep = decltype(asio::co_spawn(std::declval<asio::any_io_executor>(),
                                           std::declval<asio::awaitable<void>>(), asio::deferred));

/// Awaits every step at once; returns their failures joined by "; " ("" = none failed).
asio::awaitable<std::string> all_steps(std::vector<RemoteStep> steps);

/// One Undo (a local /bin/sh command) running each (shell, script) at once
/// on its host through remote_undo's ssh argv, failing when any fails;
/// `host` names every host. Kind none when `scripts` is empty.
Undo remote_undo_all(const std::vector<std::pair<const RemoteShell*, std::string>>& scripts);

}  // namespace faultline
