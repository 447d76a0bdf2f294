// http.abort — selected requests on an HTTP link are answered by the link,
// with a status (and optionally a body), instead of reaching the server.
//
// How it works: the target link has protocol = "http", so each of its
// connections frames the client's requests and the server's responses
// (proxy/http_exchange.hpp). The fault gives every connection, open ones at
// once and new ones when accepted, a rule; each request whose head completes
// while the rule is there and that the rule selects (method, path prefix or
// regex, header) is acted on with `probability`, drawn from the run's seed,
// the fault, the connection and the request's number. An aborted request's
// bytes (head and body) are dropped, never forwarded, and the client gets
// "HTTP/1.1 STATUS REASON" with Content-Type text/plain, Content-Length and
// `body` in the place of that request's response: after the responses to
// the requests before it, so keep-alive and pipelined requests keep their
// order. The connection stays open (keep-alive); the server's connection is
// opened as for any connection and simply sees fewer requests.
//
// How it is undone: the rule is removed from every connection; requests
// whose heads complete from then on are forwarded. An answer already
// decided is still sent (its request is gone). No connection is closed and
// no byte of another request is lost or reordered.
#include <fmt/format.h>

#include "fault_injectors/http_kind.hpp"

namespace faultline {

namespace {

struct AbortParams {
  HttpMatchParams match;
  int status = 503;
  std::string body;
};

FaultParams read(ParamReader& r) {
  AbortParams p;
  p.match = read_http_match(r);
  if (r.require("status")) assign(p.status, r.integer("status", 200, 599));
  assign(p.body, r.text("body"));
  return p;
}

void check(FaultCheck& c) {
  if (const auto* p = c.fault().params.get_if<AbortParams>()) check_http_fault(c, p->match);
}

std::string describe(const FaultSpec& f) {
  const auto* p = f.params.get_if<AbortParams>();
  if (!p) return {};
  return fmt::format("answer {}{}{}{}", p->status, p->body.empty() ? "" : fmt::format(" ({} bytes)", p->body.size()),
                     http_match_text(p->match), on_link(f));
}

std::shared_ptr<proxy::LinkFault> fault(const AbortParams& p) {
  proxy::HttpRule rule;
  rule.match = http_match(p.match);
  rule.probability = p.match.probability;
  rule.action = proxy::HttpRule::Action::abort;
  rule.status = p.status;
  rule.body = p.body;
  return http_link_fault(std::move(rule));
}

}  // namespace

const InjectorKind& http_abort_kind() {
  static const InjectorKind kind = [] {
    std::vector<KeySpec> keys = {
        {"status", "integer", "", "the status the link answers with; 200..599", true},
        {"body", "string", "", "the answer's body (text/plain); default none", false},
    };
    for (auto& k : http_match_keys()) keys.push_back(k);
    return http_kind<AbortParams, &fault, &read, &describe, &check>(
        {"http.abort", "answer selected HTTP requests with a status instead of forwarding them", true, keys});
  }();
  return kind;
}

}  // namespace faultline
