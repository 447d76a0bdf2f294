// The explicit table of fault kinds. No static self-registration: a kind is
// a file of its own (fault_injectors/<kind>.cpp) that defines its descriptor
// and its injector, and one line here (plus its declaration) lists it. The
// order is the order `faultline list` shows the kinds in.
//
// This table also defines registered_fault_kinds() for the scenario layer
// (src/scenario/fault_kind.hpp), which finds the kinds through it at link
// time without including anything from here.
#include <stdexcept>

#include "fault_injectors/injector.hpp"

namespace faultline {

const InjectorKind& process_kill_kind();
const InjectorKind& process_pause_kind();
const InjectorKind& process_restart_kind();
const InjectorKind& exec_kind();
const InjectorKind& net_latency_kind();
const InjectorKind& net_bandwidth_kind();
const InjectorKind& net_blackhole_kind();
const InjectorKind& net_reset_kind();
const InjectorKind& net_slow_close_kind();
const InjectorKind& net_slicer_kind();
const InjectorKind& net_partition_kind();
const InjectorKind& net_corrupt_kind();
const InjectorKind& http_abort_kind();
const InjectorKind& http_delay_kind();
const InjectorKind& http_replace_kind();
const InjectorKind& file_corrupt_kind();
const InjectorKind& disk_full_kind();
const InjectorKind& clock_skew_kind();
const InjectorKind& file_io_kind();
const InjectorKind& resource_cpu_kind();
const InjectorKind& resource_memory_kind();
const InjectorKind& stress_kind();
const InjectorKind& resource_io_kind();

const std::vector<const InjectorKind*>& injector_kinds() {
  static const std::vector<const InjectorKind*> kinds = {
      &process_kill_kind(),   &process_pause_kind(), &process_restart_kind(), &exec_kind(),
      &net_latency_kind(),    &net_bandwidth_kind(), &net_blackhole_kind(),   &net_reset_kind(),
      &net_slow_close_kind(), &net_slicer_kind(),    &net_partition_kind(),   &net_corrupt_kind(),
      &http_abort_kind(),     &http_delay_kind(),    &http_replace_kind(),    &file_corrupt_kind(),
      &disk_full_kind(),      &clock_skew_kind(),      &file_io_kind(),        &resource_cpu_kind(),
      &resource_memory_kind(), &stress_kind(), &resource_io_kind(),
  };
  return kinds;
}

const std::vector<const FaultKind*>& registered_fault_kinds() {
  static const std::vector<const FaultKind*> kinds = [] {
    std::vector<const FaultKind*> out;
    for (const InjectorKind* k : injector_kinds()) out.push_back(&k->kind);
    return out;
  }();
  return kinds;
}

std::unique_ptr<Injector> make_injector(const FaultSpec& spec, NetworkMode network) {
  for (const InjectorKind* k : injector_kinds()) {
    if (k->kind.spec.name != spec.kind) continue;
    if (network == NetworkMode::namespaces && k->make_kernel) return k->make_kernel(spec);
    return k->make(spec);
  }
  throw std::invalid_argument("unknown fault kind '" + spec.kind + "'");
}

}  // namespace faultline
