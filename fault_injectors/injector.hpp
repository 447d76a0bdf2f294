// The one small interface every fault kind implements, the context the
// runner hands it, and a kind's entry in the registry (its scenario-level
// descriptor with its factories). Lifecycle (docs/design.md section 2): prepare (check the target,
// apply nothing) -> inject -> hold (the runner's cancellable wait, never the
// injector's) -> revert. revert is idempotent, safe after a failed, partial or
// absent inject, treats "already gone" as success, and verifies by reading
// state back rather than trusting an exit code.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "os/clock.hpp"
#include "os/ledger.hpp"
#include "os/resource_cgroup.hpp"
#include "os/stop.hpp"
#include "record/record.hpp"
#include "scenario/fault_kind.hpp"
#include "scenario/placeholders.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

class Clone;
class LinkSet;
struct NetworkPlan;
struct RemoteContext;
namespace asio = boost::asio;

/// A fault that could not be applied or reverted; what() says what and why.
struct FaultError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// What an injector may use: the clone's processes, the run's links, the
/// executor for commands, and the bindings for placeholders resolved per
/// iteration.
struct InjectorContext {
  asio::any_io_executor ex;
  Clone& clone;
  StopSource& stop;    ///< for waits inside inject only; revert never waits on it
  Bindings bindings;   ///< e.g. {iteration}
  LinkSet* links = nullptr;  ///< the run's [[link]] proxies, for net.* kinds
  std::uint64_t seed = 0;    ///< the run's seed: random draws derive from it, so a run can be replayed
  int iteration = 0;         ///< 1-based
  const NetworkPlan* network = nullptr;  ///< network = "namespaces": the run's namespaces and addresses
  std::size_t event = 0;     ///< this application's index among the run's fault events (unique in the run)
  /// The run's [[host]]s, for faults on remote services (remote_fault.hpp); null = none.
  const RemoteContext* remote = nullptr;
  /// The run directory (services/NAME, the services' default directories,
  /// and saved/, file.corrupt's saved originals); "" in tests that need none.
  std::filesystem::path run_dir;
};

/// What an applied fault did: the log line ("flipped 12 bits at offsets 17,
/// 302, ...") and, for a data fault, its damage (FaultEvent::damage in the record).
struct FaultDone {
  std::string what;                  ///< "" = nothing more to say than describe()
  std::optional<DataDamage> damage;  ///< none = not a data fault
};

/// One fault kind. One instance serves one application of one [[fault]].
class Injector {
 public:
  virtual ~Injector() = default;
  /// Checks that the fault can be applied (target exists, privileges);
  /// applies nothing. Throws FaultError.
  virtual asio::awaitable<void> prepare(InjectorContext& ctx) = 0;
  /// Applies the fault. Throws FaultError; after a throw, revert() is still called.
  virtual asio::awaitable<void> inject(InjectorContext& ctx) = 0;
  /// Undoes the fault (idempotent). Throws FaultError when something is left applied.
  virtual asio::awaitable<void> revert(InjectorContext& ctx) = 0;
  /// Whether the fault stays applied until revert (and so honours `duration`).
  virtual bool reversible() const = 0;
  /// How to undo this fault from outside the run if the harness dies while
  /// it is applied (written to the crash ledger before inject). Faults that
  /// die with the harness (a link of its own proxy) or need no undo (a kill)
  /// keep the default: nothing.
  virtual Undo undo_plan(InjectorContext&) const { return {}; }
  /// What was or will be done, for the console and the record
  /// ("SIGSTOP to process group 4242 of service 'redis'").
  virtual std::string describe() const = 0;
  /// What inject did, once it returned (data faults, issue 19); nothing by default.
  virtual FaultDone done() const { return {}; }
};

/// Makes the injector of one [[fault]].
using InjectorFactory = std::unique_ptr<Injector> (*)(const FaultSpec& spec);

/// An InjectorFactory for an injector class constructed from the FaultSpec.
template <class I>
std::unique_ptr<Injector> make_injector_of(const FaultSpec& spec) {
  return std::make_unique<I>(spec);
}

/// One fault kind as the registry lists it (registry.cpp): its descriptor
/// (what the scenario layer knows of it, fault_kind.hpp) and its factories.
/// Each kind's file defines one, returned by a function named after the kind
/// (process_kill_kind(), net_latency_kind(), ...).
struct InjectorKind {
  FaultKind kind{};
  InjectorFactory make = nullptr;
  /// network = "namespaces": the kernel version (kind.kernel); null = none.
  InjectorFactory make_kernel = nullptr;
  /// A kind that needs its target service's directory on a filesystem the
  /// run mounts before the clone starts (disk.full): that filesystem's size
  /// in bytes for `spec`; null = none.
  std::int64_t (*filesystem)(const FaultSpec& spec) = nullptr;
  /// A kind that needs its target service (each candidate of a dynamic
  /// target) in a cgroup the run makes before the clone starts (resource.*,
  /// stress): the controllers it needs for `spec`; null = none.
  std::vector<CgroupController> (*cgroup)(const FaultSpec& spec) = nullptr;
  /// With `cgroup`: the name of a cgroup of the fault's own instead of its
  /// target's ("" = the target's: stress beside a service); null = the target's.
  std::string (*cgroup_owner)(const FaultSpec& spec) = nullptr;
};

/// Every kind of the registry, in its order.
const std::vector<const InjectorKind*>& injector_kinds();

/// Makes the injector for `spec` from the registry; with network =
/// "namespaces", a kind's kernel version. Throws std::invalid_argument for
/// an unknown kind (validation prevents it).
std::unique_ptr<Injector> make_injector(const FaultSpec& spec, NetworkMode network = NetworkMode::links);

}  // namespace faultline
