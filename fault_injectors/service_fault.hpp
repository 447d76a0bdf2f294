// What the kinds that act on a service's processes share: finding the
// target's current process, and how their descriptions name what they signal.
#pragma once

#include <fmt/format.h>
#include <string>
#include <string_view>

#include "fault_injectors/injector.hpp"
#include "system/clone.hpp"

namespace faultline {

/// The target service's current process, as the clone supervises it.
/// Throws FaultError ("service 'db' is not running, nothing to VERB") when it has none.
inline Child& running_service(InjectorContext& ctx, const std::string& target, std::string_view verb) {
  Child* child = ctx.clone.current(target);
  if (!child) throw FaultError(fmt::format("service '{}' is not running, nothing to {}", target, verb));
  return *child;
}

/// "the process group" or "the process".
inline std::string_view group_text(bool group) { return group ? "the process group" : "the process"; }

}  // namespace faultline
