// http.delay — selected requests on an HTTP link, or their responses, are
// held for a while.
//
// How it works: as for every http.* kind (http_abort.cpp, and
// proxy/http_exchange.hpp for the framing), each request the rule selects
// is acted on with `probability`, drawn from the run's seed. With hold =
// "request" the request's head and body leave for the server `delay` after
// its head arrived; with hold = "response" the response's head and body
// leave for the client `delay` after the response's head arrived. What
// follows on the same connection waits behind it, as it would on the wire;
// other connections are not touched. Times are the messages' own arrival
// times, not the proxy's wake-ups, so the hold is as accurate as net.latency's
// (the same stage scheduling, the same timer).
//
// How it is undone: the rule is removed from every connection; requests
// whose heads complete from then on are not held. A message already held
// keeps its time (at most `delay` more); nothing is lost or reordered.
#include <fmt/format.h>

#include "fault_injectors/http_kind.hpp"

namespace faultline {

namespace {

struct HttpDelayParams {
  HttpMatchParams match;
  Nanos delay{0};
  bool response = false;  ///< hold the response, not the request
};

FaultParams read(ParamReader& r) {
  HttpDelayParams p;
  p.match = read_http_match(r);
  if (r.require("delay")) assign(p.delay, r.duration("delay", DurationMin::positive));
  if (auto hold = r.choice("hold", {"request", "response"})) p.response = *hold == "response";
  return p;
}

void check(FaultCheck& c) {
  if (const auto* p = c.fault().params.get_if<HttpDelayParams>()) check_http_fault(c, p->match);
}

std::string describe(const FaultSpec& f) {
  const auto* p = f.params.get_if<HttpDelayParams>();
  if (!p) return {};
  return fmt::format("hold the {} {}{}{}", p->response ? "response" : "request", format_duration(p->delay),
                     http_match_text(p->match), on_link(f));
}

std::shared_ptr<proxy::LinkFault> fault(const HttpDelayParams& p) {
  proxy::HttpRule rule;
  rule.match = http_match(p.match);
  rule.probability = p.match.probability;
  rule.action = p.response ? proxy::HttpRule::Action::delay_response : proxy::HttpRule::Action::delay_request;
  rule.delay = p.delay;
  return http_link_fault(std::move(rule));
}

}  // namespace

const InjectorKind& http_delay_kind() {
  static const InjectorKind kind = [] {
    std::vector<KeySpec> keys = {
        {"delay", "duration", "", "how long each selected message is held; > 0", true},
        {"hold", "string", "",
         "\"request\" (held before it reaches the server; the default) or \"response\" (held before it reaches the "
         "client)",
         false},
    };
    for (auto& k : http_match_keys()) keys.push_back(k);
    return http_kind<HttpDelayParams, &fault, &read, &describe, &check>(
        {"http.delay", "hold selected HTTP requests, or their responses, for a duration", true, keys});
  }();
  return kind;
}

}  // namespace faultline
