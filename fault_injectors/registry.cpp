// The explicit table of fault kinds: name -> factory. No static
// self-registration: adding a kind means adding a line here (and its keys in
// src/scenario/catalog.cpp).
#include <functional>
#include <utility>

#include "fault_injectors/injector.hpp"

namespace faultline {

std::unique_ptr<Injector> make_process_kill(const FaultSpec& spec);
std::unique_ptr<Injector> make_process_pause(const FaultSpec& spec);
std::unique_ptr<Injector> make_process_restart(const FaultSpec& spec);
std::unique_ptr<Injector> make_exec_fault(const FaultSpec& spec);
std::unique_ptr<Injector> make_net_latency(const FaultSpec& spec);
std::unique_ptr<Injector> make_net_bandwidth(const FaultSpec& spec);
std::unique_ptr<Injector> make_net_blackhole(const FaultSpec& spec);
std::unique_ptr<Injector> make_net_reset(const FaultSpec& spec);
std::unique_ptr<Injector> make_net_slow_close(const FaultSpec& spec);
std::unique_ptr<Injector> make_net_slicer(const FaultSpec& spec);
std::unique_ptr<Injector> make_net_partition(const FaultSpec& spec);
std::unique_ptr<Injector> make_ns_partition(const FaultSpec& spec);
std::unique_ptr<Injector> make_ns_bandwidth(const FaultSpec& spec);
std::unique_ptr<Injector> make_ns_latency(const FaultSpec& spec);

namespace {

using Factory = std::unique_ptr<Injector> (*)(const FaultSpec&);

constexpr std::pair<const char*, Factory> kRegistry[] = {
    {"process.kill", &make_process_kill},
    {"process.pause", &make_process_pause},
    {"process.restart", &make_process_restart},
    {"exec", &make_exec_fault},
    {"net.latency", &make_net_latency},
    {"net.bandwidth", &make_net_bandwidth},
    {"net.blackhole", &make_net_blackhole},
    {"net.reset", &make_net_reset},
    {"net.slow_close", &make_net_slow_close},
    {"net.slicer", &make_net_slicer},
    {"net.partition", &make_net_partition},
};

/// The kinds that act in the kernel when network = "namespaces" (validate
/// refuses the other net.* kinds there).
constexpr std::pair<const char*, Factory> kNamespaceRegistry[] = {
    {"net.partition", &make_ns_partition},
    {"net.bandwidth", &make_ns_bandwidth},
    {"net.latency", &make_ns_latency},
};

}  // namespace

std::unique_ptr<Injector> make_injector(const FaultSpec& spec, NetworkMode network) {
  if (network == NetworkMode::namespaces)
    for (const auto& [name, factory] : kNamespaceRegistry)
      if (spec.kind == name) return factory(spec);
  for (const auto& [name, factory] : kRegistry)
    if (spec.kind == name) return factory(spec);
  throw std::invalid_argument("unknown fault kind '" + spec.kind + "'");
}

}  // namespace faultline
