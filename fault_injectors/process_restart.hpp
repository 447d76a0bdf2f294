// The restart kind's parameters: none (it has no keys of its own).
#pragma once

namespace faultline {

/// Stop the service (its stop signal, grace, SIGKILL) and start it again.
struct RestartParams {};

}  // namespace faultline
