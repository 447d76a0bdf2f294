// What a rule of an http.* fault selects and how it rewrites: see http_rule.hpp.
#include "fault_injectors/proxy/http_rule.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace faultline::proxy {

namespace {

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool HttpMatch::matches(const HttpHead& request) const {
  if (!method.empty() && request.method != method) return false;
  const std::string_view path = request.path();
  if (!path_prefix.empty() && path.substr(0, path_prefix.size()) != path_prefix) return false;
  if (path_regex && !boost::regex_match(path.begin(), path.end(), *path_regex)) return false;
  if (header_name.empty()) return true;
  for (const auto& [k, v] : request.headers)
    if (iequal(k, header_name) && (!header_value || v == *header_value)) return true;
  return false;
}

const char* http_reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

std::string http_answer(int status, const std::string& body, bool head_only) {
  return fmt::format("HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{}", status,
                     http_reason(status), body.size(), head_only ? std::string() : body);
}

std::string rewrite_response_head(std::string_view head, const HttpRule& rule) {
  std::string out;
  out.reserve(head.size() + rule.set_header_name.size() + rule.set_header_value.size() + 8);
  bool first = true;
  bool header_done = rule.set_header_name.empty();
  while (!head.empty()) {
    const auto nl = head.find('\n');
    std::string_view line = head.substr(0, nl == std::string_view::npos ? head.size() : nl + 1);
    head.remove_prefix(line.size());
    std::string_view eol = line.size() >= 2 && line[line.size() - 2] == '\r' ? "\r\n" : "\n";
    std::string_view content = line.substr(0, line.size() - std::min(line.size(), eol.size()));
    if (first) {
      first = false;
      if (rule.status > 0) {
        // "HTTP/1.x NNN reason": keep the version, change the code and reason.
        out += content.substr(0, std::min<std::size_t>(content.find(' '), content.size()));
        out += fmt::format(" {} {}", rule.status, http_reason(rule.status));
        out += eol;
        continue;
      }
    } else if (content.empty()) {
      if (!header_done) out += fmt::format("{}: {}{}", rule.set_header_name, rule.set_header_value, eol);
      header_done = true;
    } else if (!rule.set_header_name.empty()) {
      const auto colon = content.find(':');
      if (colon != std::string_view::npos && iequal(content.substr(0, colon), rule.set_header_name)) {
        if (!header_done) out += fmt::format("{}: {}{}", rule.set_header_name, rule.set_header_value, eol);
        header_done = true;
        continue;  // later copies of the header are dropped: the rule's value is the only one
      }
    }
    out += line;
  }
  return out;
}

}  // namespace faultline::proxy
