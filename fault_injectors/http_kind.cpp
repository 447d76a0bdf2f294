// The request selection the http.* kinds share, and the LinkFault that hands
// their rules to a link's connections: see http_kind.hpp.
#include "fault_injectors/http_kind.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <tuple>

namespace faultline {

namespace {

/// Hands the rule to each connection's HTTP stages, with a seed of its own.
class HttpLinkFault final : public proxy::LinkFault {
 public:
  explicit HttpLinkFault(proxy::HttpRule rule) : rule_(std::make_shared<const proxy::HttpRule>(std::move(rule))) {}

  proxy::Effect effect(std::mt19937_64& rng) override {
    proxy::Effect e;
    e.http = rule_;
    e.http_seed = rng();
    return e;
  }

 private:
  std::shared_ptr<const proxy::HttpRule> rule_;
};

/// "Name: value" -> {"Name", "value"}; "Name" -> {"Name", nullopt}.
std::pair<std::string, std::optional<std::string>> split_header(const std::string& h) {
  const auto colon = h.find(':');
  auto trim = [](std::string s) {
    const auto b = s.find_first_not_of(" \t");
    const auto e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  if (colon == std::string::npos) return {trim(h), std::nullopt};
  return {trim(h.substr(0, colon)), trim(h.substr(colon + 1))};
}

bool is_token(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

}  // namespace

std::vector<KeySpec> http_match_keys() {
  return {
      {"method", "string", "", "only requests with this method, exactly (\"GET\"); default any", false},
      {"path_prefix", "string", "", "only requests whose path (the target up to '?') starts with this; default any", false},
      {"path_regex", "string", "",
       "only requests whose whole path matches this regular expression (Boost.Regex, Perl syntax); default any", false},
      {"header", "string", "",
       "only requests carrying this header: \"Name\" (present) or \"Name: value\" (exactly that value; the name "
       "case-insensitive); default any",
       false},
      {"probability", "probability", "",
       "chance that a selected request is acted on, drawn per request from the run's seed; 0..1; default 1",
       false},
  };
}

HttpMatchParams read_http_match(ParamReader& r) {
  HttpMatchParams m;
  assign(m.method, r.text("method"));
  assign(m.path_prefix, r.text("path_prefix"));
  assign(m.path_regex, r.text("path_regex"));
  assign(m.header, r.text("header"));
  assign(m.probability, r.probability("probability"));
  return m;
}

void check_http_fault(FaultCheck& c, const HttpMatchParams& m) {
  const auto& links = c.scenario().links;
  const auto link = std::find_if(links.begin(), links.end(), [&](const LinkSpec& l) { return l.name == c.fault().target; });
  if (link != links.end() && !link->http)
    c.error(c.at("target"),
            fmt::format("{} ({}) acts on HTTP requests, but link '{}' is not an HTTP link", c.label(), c.fault().kind,
                        link->name),
            fmt::format("add protocol = \"http\" to the [[link]] named '{}'", link->name));
  if (!m.method.empty() && !is_token(m.method))
    c.error(c.at("method"), fmt::format("'method' must be an HTTP method such as \"GET\", not \"{}\"", m.method));
  if (!m.path_regex.empty()) {
    try {
      boost::regex re(m.path_regex);
    } catch (const boost::regex_error& e) {
      c.error(c.at("path_regex"), fmt::format("'path_regex' does not compile: {}", e.what()));
    }
  }
  if (!m.header.empty() && !is_token(split_header(m.header).first))
    c.error(c.at("header"), fmt::format("'header' must be \"Name\" or \"Name: value\", not \"{}\"", m.header));
}

proxy::HttpMatch http_match(const HttpMatchParams& m) {
  proxy::HttpMatch match;
  match.method = m.method;
  match.path_prefix = m.path_prefix;
  if (!m.path_regex.empty()) {
    try {
      match.path_regex = boost::regex(m.path_regex);
    } catch (const boost::regex_error& e) {
      throw std::invalid_argument(fmt::format("path_regex \"{}\": {}", m.path_regex, e.what()));
    }
  }
  if (!m.header.empty()) std::tie(match.header_name, match.header_value) = split_header(m.header);
  return match;
}

std::string http_match_text(const HttpMatchParams& m) {
  std::string out = ", requests";
  out += m.method.empty() ? "" : " " + m.method;
  if (!m.path_prefix.empty()) out += " " + m.path_prefix + "*";
  if (!m.path_regex.empty()) out += fmt::format(" matching /{}/", m.path_regex);
  if (m.method.empty() && m.path_prefix.empty() && m.path_regex.empty()) out += " all";
  if (!m.header.empty()) out += fmt::format(" with '{}'", m.header);
  if (m.probability < 1.0) out += fmt::format(", {:g}% of them", m.probability * 100);
  return out;
}

std::shared_ptr<proxy::LinkFault> http_link_fault(proxy::HttpRule rule) {
  return std::make_shared<HttpLinkFault>(std::move(rule));
}

}  // namespace faultline
