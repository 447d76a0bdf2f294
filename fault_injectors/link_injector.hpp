// The injector shared by every net.* kind that acts on one link (all but
// net.partition). A kind's own file says what its fault does to a
// connection (a proxy::LinkFault) and hands it to make_link_injector.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "fault_injectors/injector.hpp"
#include "fault_injectors/proxy/proxy_stage.hpp"

namespace faultline {

/// An injector that applies `fault` to the link named by `spec.target`:
/// inject adds it to the link (open connections and new ones), revert
/// removes it and reads the link back until nothing of it is left.
/// `toxicity` is the chance, per connection, that it acts at all.
std::unique_ptr<Injector> make_link_injector(const FaultSpec& spec, std::shared_ptr<proxy::LinkFault> fault,
                                             double toxicity);

/// The seed of one application of fault `name` in the context's iteration:
/// the run's seed mixed with the fault's name, the iteration and how many
/// times the fault was applied before in it.
std::uint64_t application_seed(InjectorContext& ctx, const std::string& name);

}  // namespace faultline
