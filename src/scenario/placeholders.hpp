// Placeholders in scenario strings: {port.NAME}, {link.NAME} (the port a
// [[link]] listens on), {run.dir}, {run.id}, {service.dir} (inside a
// [[service]]), {service.name}, {iteration}, {seed}, and with network =
// "namespaces" {addr.SERVICE} (the address of the service's host). Ports are bound to free
// loopback ports at run time so that two runs of one scenario can go side by
// side.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/scenario.hpp"

namespace faultline {

/// One `{...}` found in a string: its name (e.g. "port.redis") and offset.
struct PlaceholderUse {
  std::string name;
  std::size_t offset = 0;
};

/// Every placeholder in `text`. "{{" and "}}" are literal braces.
std::vector<PlaceholderUse> find_placeholders(std::string_view text);

/// Values for placeholders; a name not in the map is left untouched.
using Bindings = std::map<std::string, std::string>;

/// Replaces every bound placeholder in `text`, and "{{"/"}}" by "{"/"}".
std::string substitute(std::string_view text, const Bindings& b);

/// A copy of `s` with every string field substituted. Per-service bindings
/// ({service.dir}, {service.name}) apply inside that service's own fields,
/// given by `service_bindings[service name]`. Each link's `service` is made
/// explicit (link_server in topology.hpp), since its `to` no longer names a port.
Scenario resolve_placeholders(const Scenario& s, const Bindings& global,
                              const std::map<std::string, Bindings>& service_bindings);

/// Asks the kernel for a free TCP port on 127.0.0.1 (bind to port 0).
std::uint16_t allocate_loopback_port();

/// The placeholder names that are always defined (without ports).
const std::vector<std::string>& builtin_placeholders();

}  // namespace faultline
