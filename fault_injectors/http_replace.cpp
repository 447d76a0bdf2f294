// http.replace — the responses to selected requests on an HTTP link come
// back with another status, or with a header set to another value.
//
// How it works: as for every http.* kind (http_abort.cpp, and
// proxy/http_exchange.hpp for the framing), each request the rule selects
// is acted on with `probability`, drawn from the run's seed. The request
// goes to the server unchanged; when its response's head arrives, the link
// rewrites that head: the status line gets `status` (the version kept, the
// reason phrase the status's own), and header `set_header` replaces every
// header of that name (or is added when there is none). Every other byte of
// the head, and the whole body, pass as they came. The body's framing is
// never touched: validation refuses a status that has no body (204, 304)
// and the headers that frame the message (Content-Length,
// Transfer-Encoding, Connection).
//
// How it is undone: the rule is removed from every connection; requests
// whose heads complete from then on get their responses as the server sent
// them (a request already selected still gets its rewritten response).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "fault_injectors/http_kind.hpp"

namespace faultline {

namespace {

struct ReplaceParams {
  HttpMatchParams match;
  int status = 0;          ///< 0 = keep
  std::string set_header;  ///< "" = none; "Name: value"
};

FaultParams read(ParamReader& r) {
  ReplaceParams p;
  p.match = read_http_match(r);
  assign(p.status, r.integer("status", 200, 599));
  assign(p.set_header, r.text("set_header"));
  return p;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

void check(FaultCheck& c) {
  const auto* p = c.fault().params.get_if<ReplaceParams>();
  if (!p) return;
  check_http_fault(c, p->match);
  if (p->status == 0 && p->set_header.empty())
    c.error(c.fault().pos, fmt::format("{} (http.replace) changes nothing: give 'status', 'set_header' or both", c.label()));
  if (p->status == 204 || p->status == 304)
    c.error(c.at("status"), fmt::format("'status' {} has no body, but the response's body would still be sent", p->status),
            "choose a status whose responses carry a body");
  if (!p->set_header.empty()) {
    const auto colon = p->set_header.find(':');
    const std::string name = colon == std::string::npos ? "" : p->set_header.substr(0, colon);
    const std::string n = lower(name);
    if (name.empty() || name.find_first_of(" \t") != std::string::npos)
      c.error(c.at("set_header"), fmt::format("'set_header' must be \"Name: value\", not \"{}\"", p->set_header));
    else if (n == "content-length" || n == "transfer-encoding" || n == "connection")
      c.error(c.at("set_header"), fmt::format("'set_header' may not set {}: it frames the message", name));
  }
}

std::string describe(const FaultSpec& f) {
  const auto* p = f.params.get_if<ReplaceParams>();
  if (!p) return {};
  std::string what = p->status ? fmt::format("status {}", p->status) : "";
  if (!p->set_header.empty()) what += fmt::format("{}'{}'", what.empty() ? "" : " and ", p->set_header);
  return fmt::format("answer with {}{}{}", what, http_match_text(p->match), on_link(f));
}

std::shared_ptr<proxy::LinkFault> fault(const ReplaceParams& p) {
  proxy::HttpRule rule;
  rule.match = http_match(p.match);
  rule.probability = p.match.probability;
  rule.action = proxy::HttpRule::Action::replace;
  rule.status = p.status;
  if (const auto colon = p.set_header.find(':'); colon != std::string::npos) {
    rule.set_header_name = p.set_header.substr(0, colon);
    const auto v = p.set_header.find_first_not_of(" \t", colon + 1);
    rule.set_header_value = v == std::string::npos ? "" : p.set_header.substr(v);
  }
  return http_link_fault(std::move(rule));
}

}  // namespace

const InjectorKind& http_replace_kind() {
  static const InjectorKind kind = [] {
    std::vector<KeySpec> keys = {
        {"status", "integer", "", "the status the response gets; 200..599, not 204 or 304; default: kept", false},
        {"set_header", "string", "",
         "\"Name: value\": the response's header Name gets this value (added when absent); not Content-Length, "
         "Transfer-Encoding or Connection; default none",
         false},
    };
    for (auto& k : http_match_keys()) keys.push_back(k);
    return http_kind<ReplaceParams, &fault, &read, &describe, &check>(
        {"http.replace", "rewrite the status or a header of the responses to selected HTTP requests", true, keys});
  }();
  return kind;
}

}  // namespace faultline
