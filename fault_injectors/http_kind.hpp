// What the three http.* kinds share: the keys that select requests
// (method, path_prefix, path_regex, header) and their probability, how they
// are read, checked and described, and the proxy::LinkFault that hands a
// kind's rule to the HTTP stages of each connection of the target link
// (proxy/http_exchange.hpp says how a rule is applied). Each kind's own file
// says what its rule does.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fault_injectors/injector.hpp"
#include "fault_injectors/link_kind.hpp"
#include "fault_injectors/proxy/http_rule.hpp"
#include "scenario/fault_kind.hpp"

namespace faultline {

/// The request selection of an http.* fault, as written.
struct HttpMatchParams {
  std::string method;       ///< "" = any
  std::string path_prefix;  ///< "" = any
  std::string path_regex;   ///< "" = none; Boost.Regex (Perl syntax), matched against the whole path
  std::string header;       ///< "" = any; "Name" (present) or "Name: value" (exactly)
  double probability = 1.0;
};

/// The selection keys, for a descriptor.
std::vector<KeySpec> http_match_keys();
/// Reads the selection keys.
HttpMatchParams read_http_match(ParamReader& r);
/// Checks what every http.* fault needs: its target link has protocol =
/// "http", its regex compiles. Reports at the key.
void check_http_fault(FaultCheck& c, const HttpMatchParams& m);
/// The selection as a rule's criteria. Throws std::invalid_argument for a
/// regex that does not compile (validation refuses it before).
proxy::HttpMatch http_match(const HttpMatchParams& m);
/// ", requests GET /api* with X-Test, 50% of them": what a description adds for the selection.
std::string http_match_text(const HttpMatchParams& m);

/// A LinkFault that applies `rule` to every connection's requests, with a
/// seed per connection for its per-request draws.
std::shared_ptr<proxy::LinkFault> http_link_fault(proxy::HttpRule rule);

/// The registry entry of an http.* kind with parameters P (which hold an
/// HttpMatchParams `match`): it targets a link, is held for its 'duration',
/// has no kernel version; `check` runs after check_http_fault.
template <class P, std::shared_ptr<proxy::LinkFault> (*fault)(const P&), FaultParams (*read)(ParamReader&),
          std::string (*describe)(const FaultSpec&), void (*check)(FaultCheck&)>
InjectorKind http_kind(KindSpec spec) {
  return {
      .kind =
          {
              .spec = std::move(spec),
              .target = FaultTarget::link,
              .duration = FaultDuration::required,
              .duration_why = "is held for a time and then reverted",
              .network = true,
              .kernel = false,
              .read = read,
              .check = check,
              .describe = describe,
              .toxicity = +[](const FaultParams&) { return 1.0; },  // every connection: the chance is per request
          },
      .make = +[](const FaultSpec& spec) -> std::unique_ptr<Injector> {
        return make_link_injector(spec, fault(spec.params.get<P>()), 1.0, describe(spec));
      },
      .make_kernel = nullptr,
  };
}

}  // namespace faultline
