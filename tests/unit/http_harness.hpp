// Helpers for the http.* kinds' unit tests: rules as the kinds make them,
// labels, and reading exactly what a peer is expected to send, on the real
// loopback sockets of proxy_harness.hpp.
#pragma once

#include <string>

#include "fault_injectors/http_kind.hpp"
#include "fault_injectors/proxy/http_rule.hpp"
#include "proxy_harness.hpp"

namespace ptest {

/// A rule selecting requests with `method` and `prefix` ("" = any).
inline faultline::proxy::HttpRule http_rule(faultline::proxy::HttpRule::Action action, std::string method = "",
                                            std::string prefix = "") {
  faultline::proxy::HttpRule r;
  r.action = action;
  r.match.method = std::move(method);
  r.match.path_prefix = std::move(prefix);
  return r;
}

inline faultline::proxy::FaultLabel http_label(std::uint64_t seed = 1) { return {"h", "http", 1, seed, 1.0}; }

/// Reads exactly `expected.size()` bytes and checks they are `expected`, byte for byte.
inline asio::awaitable<void> expect_bytes(tcp::socket& s, const std::string& expected, Nanos within = 10s) {
  const ReadResult r = co_await read_n(s, expected.size(), within);
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.data == expected);
}

/// Nothing arrives on `s` within `window`.
inline asio::awaitable<void> expect_silence(tcp::socket& s, Nanos window) {
  const ReadResult r = co_await read_some(s, window);
  CHECK(r.timed_out);
  CHECK(r.data.empty());
}

}  // namespace ptest
