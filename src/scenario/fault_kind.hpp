// What a fault kind is to the scenario layer: one descriptor per kind, each
// defined in the kind's own file under fault_injectors/ together with its
// injector, and listed in the explicit table of fault_injectors/registry.cpp
// (no static self-registration). The descriptor says everything the
// scenario layer needs to know about the kind:
//  - its name, summary and keys (types, units, defaults, help): what
//    `faultline list` prints, scenarios/README.md documents and the catalog
//    test keeps in step (catalog.hpp's fault_kinds() is made from these);
//  - which of the common keys apply ('target', 'duration');
//  - how its parameters are read from a [[fault]] table, through ParamReader,
//    which the parser implements, so that toml++ stays inside the parser;
//  - its semantic checks, through FaultCheck, run by validate();
//  - the one line that says what a fault of it does, for `plan` and reports;
//  - the commands among its parameters, where placeholders are checked and
//    substituted.
// Its factories (the injectors) are not here: they are the fault_injectors/
// half of the same table (fault_injectors/injector.hpp, InjectorKind).
//
// Layering: src/scenario includes nothing from fault_injectors/. The parser,
// the validator and `list` find the kinds through registered_fault_kinds(),
// declared here and defined by the table in fault_injectors/registry.cpp: a
// link-time dependency, not an include. A kind's parameters are a struct of
// its own behind FaultParams (scenario.hpp), so nothing outside the kind's
// file branches on the kind's name.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/catalog.hpp"
#include "scenario/check_context.hpp"
#include "scenario/scenario.hpp"

namespace faultline {

/// Whether a duration may be zero.
enum class DurationMin { zero, positive };

/// Reads the keys of one [[fault]] table. Each reader returns nullopt when
/// the key is absent, and also when its value is wrong, after reporting the
/// problem at the value (wrong type, unit, range, unknown choice).
class ParamReader {
 public:
  virtual ~ParamReader() = default;
  /// True when the key is present; else reports it missing.
  virtual bool require(std::string_view key) = 0;
  virtual std::optional<bool> boolean(std::string_view key) = 0;
  virtual std::optional<std::int64_t> integer(std::string_view key, std::int64_t lo, std::int64_t hi) = 0;
  virtual std::optional<Nanos> duration(std::string_view key, DurationMin min) = 0;
  /// A shell line (string) or an argv (array of strings).
  virtual std::optional<Command> command(std::string_view key) = 0;
  /// A signal name or number 1..64.
  virtual std::optional<int> signal(std::string_view key) = 0;
  /// A number 0..1.
  virtual std::optional<double> probability(std::string_view key) = 0;
  /// Bytes per second, written as "100KB/s" (rate.hpp).
  virtual std::optional<double> rate(std::string_view key) = 0;
  /// One of `options`, with a did-you-mean for anything else.
  virtual std::optional<std::string> choice(std::string_view key, const std::vector<std::string>& options) = 0;
  /// A name of letters, digits, '_' and '-'.
  virtual std::optional<std::string> identifier(std::string_view key) = 0;
  /// A non-empty string, as written (a path, a size the kind parses itself).
  virtual std::optional<std::string> text(std::string_view key) = 0;
  /// An array of arrays of names.
  virtual std::optional<std::vector<std::vector<std::string>>> groups(std::string_view key) = 0;
};

/// Sets `field` from a value that was read, leaves it at its default otherwise.
template <class T, class U>
void assign(T& field, const std::optional<U>& value) {
  if (value) field = static_cast<T>(*value);
}

/// One [[fault]] under semantic check: what a kind's check reads and reports to.
class FaultCheck : public CheckContext {
 public:
  FaultCheck(const Scenario& s, std::vector<Diagnostic>& out, const FaultSpec& f, std::size_t index);

  const FaultSpec& fault() const { return f_; }
  /// The fault's key path, "fault[3]".
  const std::string& path() const { return path_; }
  /// "fault 'NAME'", or "[[fault]]" when unnamed.
  const std::string& label() const { return label_; }
  /// Where key `key` of the fault was written; the fault's table when unknown.
  SourcePos at(std::string_view key) const;

 private:
  const FaultSpec& f_;
  std::string path_;
  std::string label_;
};

/// What a fault acts on, named by its 'target' key.
enum class FaultTarget {
  none,     ///< no target: 'target' is not a key of the kind
  service,  ///< a declared service
  link,     ///< a declared [[link]]; with network = "namespaces" a service, whose traffic the kernel shapes
};

/// Whether 'duration' is a key of the kind, and whether it must be given.
enum class FaultDuration { not_allowed, optional, required };

/// Visits each command of a kind's parameters with its key ("apply", "revert").
using CommandVisitor = std::function<void(std::string_view key, Command& command)>;

/// The descriptor of one fault kind. Plain data and plain functions, filled
/// in by the kind's file with designated initializers.
struct FaultKind {
  KindSpec spec{};  ///< name, summary, reversibility and the kind's own keys
  FaultTarget target = FaultTarget::none;
  FaultDuration duration = FaultDuration::optional;
  /// With FaultDuration::required: why, as in "a KIND fault <why>".
  std::string duration_why{};
  /// A network kind: it acts on traffic, through a link or in the kernel.
  bool network = false;
  /// A network kind with a kernel version (network = "namespaces"); the others are refused there.
  bool kernel = false;
  /// Reads the kind's own keys into its parameters (the common keys are read by the parser).
  FaultParams (*read)(ParamReader& r) = nullptr;
  /// Checks that need the rest of the scenario or several keys at once; null = none.
  void (*check)(FaultCheck& c) = nullptr;
  /// One line saying what a fault of this kind does, from its parameters, for `plan` and reports.
  std::string (*describe)(const FaultSpec& f) = nullptr;
  /// A link kind's chance per connection (toxicity); null = always 1.
  double (*toxicity)(const FaultParams& p) = nullptr;
  /// The commands among the parameters (placeholders are checked and substituted in them); null = none.
  void (*commands)(FaultParams& p, const CommandVisitor& visit) = nullptr;
};

/// Every registered kind, in the order `list` shows them. Defined by the
/// explicit table in fault_injectors/registry.cpp.
const std::vector<const FaultKind*>& registered_fault_kinds();

/// The names of the registered kinds, in the same order, without building
/// any descriptor. Defined by the same table.
std::vector<std::string> registered_fault_kind_names();

/// The registered kind named `name`, or nullptr; builds no other kind's
/// descriptor. Defined by the same table.
const FaultKind* fault_kind(std::string_view name);

/// What fault `f` does, in one line, by its kind; "" for an unknown kind.
std::string describe_fault(const FaultSpec& f);

/// describe_fault for a network kind; "" for any other kind.
std::string describe_net_fault(const FaultSpec& f);

}  // namespace faultline
