// What an http.* fault asks of an HTTP link: which requests it selects
// (method, path prefix or regex, a header), with what probability, and what
// it does to each one it acts on (answer instead of forwarding, hold the
// request or the response, rewrite the response's status or a header).
// Plain data, made by the kinds' files (fault_injectors/http_*.cpp) and
// applied per request by http_exchange.hpp.
#pragma once

#include <boost/regex.hpp>
#include <optional>
#include <string>

#include "fault_injectors/proxy/http_framing.hpp"
#include "os/clock.hpp"

namespace faultline::proxy {

/// Which requests a rule selects: every criterion given must hold.
struct HttpMatch {
  std::string method;                     ///< "" = any; else exact (methods are case-sensitive)
  std::string path_prefix;                ///< "" = any; else the path must start with it
  std::optional<boost::regex> path_regex;  ///< must match the whole path
  std::string header_name;                ///< "" = any; else the request must carry it (case-insensitive name)
  std::optional<std::string> header_value;  ///< with header_name: its value, exactly

  /// Whether `request` is selected.
  bool matches(const HttpHead& request) const;
};

/// One http.* fault.
struct HttpRule {
  enum class Action {
    abort,           ///< answer `status` (and `body`) instead of forwarding
    delay_request,   ///< hold the request `delay` before forwarding it
    delay_response,  ///< hold the response `delay` once its head arrives
    replace,         ///< rewrite the response: `status` (0 = keep), header `set_header` (empty = none)
  };
  HttpMatch match;
  double probability = 1.0;  ///< chance per selected request, drawn from the run's seed
  Action action = Action::abort;
  int status = 0;
  std::string body;
  Nanos delay{0};
  std::string set_header_name;
  std::string set_header_value;
};

/// The complete answer http.abort sends: "HTTP/1.1 STATUS REASON", a
/// Content-Type text/plain and Content-Length, then `body` (not when
/// `head_only`: the answer to a HEAD request).
std::string http_answer(int status, const std::string& body, bool head_only = false);

/// The reason phrase of common statuses ("Service Unavailable"), else "Status".
const char* http_reason(int status);

/// The response head `head` (its original bytes) with the status and header
/// `rule` sets; every other byte as it was.
std::string rewrite_response_head(std::string_view head, const HttpRule& rule);

}  // namespace faultline::proxy
