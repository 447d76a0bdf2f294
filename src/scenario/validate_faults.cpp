// The checks of one [[fault]] that every kind shares, driven by its kind's
// descriptor (fault_kind.hpp): what its target names, whether it needs a
// duration, and, with network = "namespaces", whether the kind has a kernel
// version at all. The kind's own checks are its descriptor's; the schedule
// keys (at, repeat, every) are checked here for every kind.
#include <algorithm>
#include <fmt/format.h>

#include "scenario/validate_checks.hpp"

namespace faultline {

namespace {

/// A service kind's target: required, and a declared service.
void service_target(FaultCheck& c, std::string_view why) {
  const FaultSpec& f = c.fault();
  if (f.target.empty())
    c.error(f.pos, fmt::format("missing required key 'target' in {}: {}", c.label(), why),
            c.service_names().empty() ? "" : fmt::format("declared services: {}", quoted_list(c.service_names())));
  else if (!c.is_service(f.target))
    c.error(c.at("target"), fmt::format("fault target '{}' is not a declared service", f.target),
            c.service_hint(f.target));
}

/// A link kind's target: required, and a declared [[link]].
void link_target(FaultCheck& c) {
  const FaultSpec& f = c.fault();
  const auto links = c.link_names();
  if (f.target.empty()) {
    c.error(f.pos, fmt::format("missing required key 'target' in {}: a {} fault acts on a link", c.label(), f.kind),
            links.empty() ? "declare a [[link]] and send the traffic through it"
                          : fmt::format("declared links: {}", quoted_list(links)));
  } else if (std::find(links.begin(), links.end(), f.target) == links.end()) {
    const std::string best = closest(f.target, links);
    c.error(c.at("target"), fmt::format("fault target '{}' is not a declared link", f.target),
            !best.empty()   ? fmt::format("did you mean '{}'?", best)
            : links.empty() ? std::string("no [[link]] is declared; a net.* fault acts on a link's traffic")
                            : fmt::format("declared links: {}", quoted_list(links)));
  }
}

/// Whether `name` is a service that runs on a [[host]] (a kernel kind's target there).
bool hosted_service(const FaultCheck& c, const std::string& name) {
  const Scenario& s = c.scenario();
  for (const auto& svc : s.services)
    if (svc.name == name) return service_host(s, svc) != nullptr;
  return false;
}

/// The network kinds with a kernel version, as messages name them.
std::string kernel_kinds() {
  std::vector<std::string> names;
  // Newest registered first, the order the message has always used.
  for (auto it = registered_fault_kinds().rbegin(); it != registered_fault_kinds().rend(); ++it)
    if ((*it)->kernel) names.push_back((*it)->spec.name);
  return join_and(names);
}

/// The target, by what the kind acts on and the network mode.
void target(FaultCheck& c, const FaultKind& kind) {
  const FaultSpec& f = c.fault();
  if (kind.target == FaultTarget::service)
    service_target(c, fmt::format("a {} fault acts on a service", f.kind));
  if (c.namespaces() && kind.network && !kind.kernel) {
    c.error(c.at("kind"),
            fmt::format("{} ({}) has no kernel version: with network = \"namespaces\" the net.* kinds are {}",
                        c.label(), f.kind, kernel_kinds()),
            "use proxied links for it: network = \"links\" and a [[link]] between the services");
  } else if (c.namespaces() && kind.target == FaultTarget::link) {
    service_target(c, fmt::format("with network = \"namespaces\" a {} fault acts on a service's traffic", f.kind));
    if (kind.toxicity && kind.toxicity(f.params) != 1.0)
      c.error(c.at("toxicity"),
              "'toxicity' does not apply with network = \"namespaces\": the kernel shapes all of the service's "
              "traffic, not chosen connections",
              "remove it, or use proxied links (network = \"links\")");
  } else if (kind.target == FaultTarget::link && kind.kernel && hosted_service(c, f.target)) {
    // Across [[host]]s the kernel shapes the service's traffic: the kind's
    // own check says the rest (fault_injectors/host_qdisc.cpp).
  } else if (kind.target == FaultTarget::link) {
    link_target(c);
  }
  if (kind.duration == FaultDuration::required && !f.duration)
    c.error(f.pos, fmt::format("missing required key 'duration' in {}: a {} fault {}", c.label(), f.kind,
                               kind.duration_why));
}

/// 'at', 'repeat', 'every' and 'duration' together.
void schedule(FaultCheck& c) {
  const FaultSpec& f = c.fault();
  if (f.at_min > f.at_max)
    c.error(c.at("at"),
            fmt::format("the 'at' window [{}, {}] starts after it ends", format_duration(f.at_min),
                        format_duration(f.at_max)),
            "write the earlier time first");
  if (f.repeat > 1 && f.every.count() <= 0)
    c.error(f.pos, fmt::format("missing required key 'every' in {}: 'repeat' = {} needs the time between injections",
                               c.label(), f.repeat));
  // The last injection's end, at_max + (repeat - 1) x every + duration,
  // is added to the clock at run time: bounded far below where 64-bit
  // nanoseconds overflow (about 292 years), checked without overflowing.
  constexpr std::int64_t kMaxSpan = std::chrono::duration_cast<Nanos>(std::chrono::hours(24 * 365 * 100)).count();
  std::int64_t last = 0;
  const bool overflows = __builtin_mul_overflow(static_cast<std::int64_t>(f.repeat - 1), f.every.count(), &last) ||
                         __builtin_add_overflow(last, f.at_max.count(), &last) ||
                         __builtin_add_overflow(last, f.duration.value_or(Nanos(0)).count(), &last);
  if (overflows || last > kMaxSpan)
    c.error(c.at(f.repeat > 1 ? "repeat" : "at"),
            fmt::format("the last injection of {} would end more than 100 years into the iteration", c.label()),
            "lower 'at', 'repeat', 'every' or 'duration'");
  if (f.every.count() > 0 && f.duration && f.every <= *f.duration)
    c.error(c.at("every"),
            fmt::format("'every' ({}) must be longer than 'duration' ({})", format_duration(f.every),
                        format_duration(*f.duration)),
            "each injection is reverted after 'duration', before the next one");
}

}  // namespace

void check_fault(FaultCheck& c) {
  if (const FaultKind* kind = fault_kind(c.fault().kind)) {
    target(c, *kind);
    if (kind->check) kind->check(c);
  }
  schedule(c);
}

}  // namespace faultline
