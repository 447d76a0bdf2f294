// The explicit table of fault kinds. No static self-registration: a kind is
// a file of its own (fault_injectors/<kind>.cpp) that defines its descriptor
// and its injector, and one line here (plus its declaration) lists it. The
// order is the order `faultline list` shows the kinds in.
//
// This table also defines registered_fault_kinds(), registered_fault_kind_names()
// and fault_kind() for the scenario layer (src/scenario/fault_kind.hpp),
// which finds the kinds through it at link time without including anything
// from here.
#include <stdexcept>
#include <string>
#include <string_view>

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

namespace {

/// One line of the table: the kind's name, so that a kind is found without
/// building every descriptor (`validate` of a scenario reads one or two
/// kinds; building all of them touched a page of code per kind file, issue
/// 21; test_registry.cpp checks each name against its descriptor), and the
/// function that builds the descriptor on first use.
struct Row {
  std::string_view name;
  const InjectorKind& (*kind)();
};

constexpr Row kTable[] = {
    {"process.kill", &process_kill_kind},
    {"process.pause", &process_pause_kind},
    {"process.restart", &process_restart_kind},
    {"exec", &exec_kind},
    {"net.latency", &net_latency_kind},
    {"net.bandwidth", &net_bandwidth_kind},
    {"net.blackhole", &net_blackhole_kind},
    {"net.reset", &net_reset_kind},
    {"net.slow_close", &net_slow_close_kind},
    {"net.slicer", &net_slicer_kind},
    {"net.partition", &net_partition_kind},
    {"net.corrupt", &net_corrupt_kind},
    {"http.abort", &http_abort_kind},
    {"http.delay", &http_delay_kind},
    {"http.replace", &http_replace_kind},
    {"file.corrupt", &file_corrupt_kind},
    {"disk.full", &disk_full_kind},
    {"clock.skew", &clock_skew_kind},
    {"file.io", &file_io_kind},
    {"resource.cpu", &resource_cpu_kind},
    {"resource.memory", &resource_memory_kind},
    {"stress", &stress_kind},
    {"resource.io", &resource_io_kind},
};

}  // namespace

const std::vector<const InjectorKind*>& injector_kinds() {
  static const std::vector<const InjectorKind*> kinds = [] {
    std::vector<const InjectorKind*> out;
    for (const Row& row : kTable) out.push_back(&row.kind());
    return out;
  }();
  return kinds;
}

std::vector<std::string> registered_fault_kind_names() {
  std::vector<std::string> out;
  for (const Row& row : kTable) out.emplace_back(row.name);
  return out;
}

const FaultKind* fault_kind(std::string_view name) {
  for (const Row& row : kTable)
    if (row.name == name) return &row.kind().kind;
  return nullptr;
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
