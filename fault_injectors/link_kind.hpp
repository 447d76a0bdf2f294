// What the network kinds that act on one link share (every net.* kind but
// the partition): the injector that applies a kind's proxy::LinkFault to the
// link named by `target`, the LinkFault of a kind that puts one stage in each
// chosen direction, and the pieces of their descriptors that are the same
// for each (the 'direction' and 'toxicity' keys, how they are read and how a
// description says them). A kind's own file says what its fault does to a
// connection and hands it to make_link_injector.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "fault_injectors/injector.hpp"
#include "fault_injectors/proxy/proxy_stage.hpp"
#include "scenario/fault_kind.hpp"

namespace faultline {

/// An injector that applies `fault` to the link named by `spec.target`:
/// inject adds it to the link (open connections and new ones), revert
/// removes it and reads the link back until nothing of it is left.
/// `toxicity` is the chance, per connection, that it acts at all;
/// `description` is what describe() says.
std::unique_ptr<Injector> make_link_injector(const FaultSpec& spec, std::shared_ptr<proxy::LinkFault> fault,
                                             double toxicity, std::string description);

/// The seed of one application of fault `name` in the context's iteration:
/// the run's seed mixed with the fault's name, the iteration and how many
/// times the fault was applied before in it.
std::uint64_t application_seed(InjectorContext& ctx, const std::string& name);

/// A LinkFault that puts a stage of its kind in each direction `direction`
/// selects, made per connection and direction by `stage(seed)` (each
/// direction gets a seed of its own from the connection's stream), and
/// optionally acts on the connection as a whole (`action` after `after`).
class DirectionalFault final : public proxy::LinkFault {
 public:
  using MakeStage = std::function<std::unique_ptr<proxy::Stage>(std::uint64_t seed)>;
  DirectionalFault(NetDirection direction, MakeStage stage,
                   proxy::Effect::Action action = proxy::Effect::Action::none, Nanos after = Nanos(0))
      : direction_(direction), stage_(std::move(stage)), action_(action), after_(after) {}

  proxy::Effect effect(std::mt19937_64& rng) override;

 private:
  NetDirection direction_;
  MakeStage stage_;  ///< null: no stage
  proxy::Effect::Action action_;
  Nanos after_;
};

// ---------------------------------------------------------------- descriptor pieces

/// Why a network kind needs 'duration' ("a KIND fault is held ...").
inline constexpr std::string_view kHeldForDuration = "is held for a time and then reverted";

/// The 'direction' key: "upstream", "downstream" or "both" (the default),
/// described as `help` says.
KeySpec direction_key(std::string help = "\"upstream\", \"downstream\" or \"both\"");
/// The 'toxicity' key, described as `help` says.
KeySpec toxicity_key(std::string help = "chance that a connection is affected; 0..1");
/// Reads 'direction'.
std::optional<NetDirection> read_direction(ParamReader& r);

/// "upstream (client to server)", "downstream (server to client)" or "both directions".
std::string direction_text(NetDirection d);
/// ", 25% of connections" below a toxicity of 1, else "".
std::string toxicity_text(double toxicity);
/// " on link 'NAME'": how a description of a link kind ends.
std::string on_link(const FaultSpec& f);

/// A descriptor's `toxicity` for a kind whose parameters P have one.
template <class P>
double toxicity_of(const FaultParams& p) {
  const P* params = p.get_if<P>();
  return params ? params->toxicity : 1.0;
}

/// The injector of a link kind with parameters P (a descriptor's `make`):
/// `fault(p)` is what it does to a connection, `describe(spec)` what it says.
template <class P, std::shared_ptr<proxy::LinkFault> (*fault)(const P&), std::string (*describe)(const FaultSpec&)>
std::unique_ptr<Injector> make_link_kind(const FaultSpec& spec) {
  const P& p = spec.params.get<P>();
  return make_link_injector(spec, fault(p), p.toxicity, describe(spec));
}

/// The registry entry of a link kind with parameters P, read by `read`,
/// described by `describe`, acting on connections as `fault(p)` says: it
/// targets a link, is held for its 'duration', and has a kernel version
/// when `make_kernel` is given.
template <class P, std::shared_ptr<proxy::LinkFault> (*fault)(const P&), FaultParams (*read)(ParamReader&),
          std::string (*describe)(const FaultSpec&)>
InjectorKind link_kind(KindSpec spec, void (*check)(FaultCheck&) = nullptr, InjectorFactory make_kernel = nullptr) {
  return {
      .kind =
          {
              .spec = std::move(spec),
              .target = FaultTarget::link,
              .duration = FaultDuration::required,
              .duration_why = std::string(kHeldForDuration),
              .network = true,
              .kernel = make_kernel != nullptr,
              .read = read,
              .check = check,
              .describe = describe,
              .toxicity = &toxicity_of<P>,
          },
      .make = &make_link_kind<P, fault, describe>,
      .make_kernel = make_kernel,
  };
}

}  // namespace faultline
