// HTTP/1.1 framing for links with protocol = "http": where each message of a
// byte stream begins and ends, found incrementally, chunk by chunk, as the
// proxy reads them.
//
// The framer never changes or copies the stream: it is told the bytes as
// they arrive and says how many of them belong to the current part of the
// current message (its head, its body), and when a head is complete or a
// message ends; the caller forwards the original bytes itself. A head
// (request line or status line, then header lines up to the empty line) is
// also parsed, into the method, target, status and headers a fault matches
// on. The body's length follows RFC 9112 section 6: Transfer-Encoding
// chunked (chunk sizes, extensions and trailers framed, not interpreted),
// else Content-Length, else none for a request and "until the server
// closes" for a response; a response to HEAD, a 1xx, 204 or 304 has none
// (the caller says which request a response answers). Lines may end in CRLF
// or a bare LF.
//
// Anything else is malformed: a head over 64 KiB, a start line that is not
// HTTP/1.x, a header line without a colon, a Content-Length that is not a
// number (or two that differ), a chunk size that is not hex. The framer then
// says so once and frames nothing more: the caller passes the rest of the
// connection through unchanged (see http_exchange.hpp). So do CONNECT and a
// 101 Switching Protocols: what follows them is not HTTP.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faultline::proxy {

/// A parsed message head.
struct HttpHead {
  std::string method;  ///< requests: "GET"
  std::string target;  ///< requests: "/path?query"
  int status = 0;      ///< responses: 200
  int minor = 1;       ///< HTTP/1.minor
  std::vector<std::pair<std::string, std::string>> headers;  ///< as written, values trimmed

  /// The first header named `name` (case-insensitive), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
  /// The target's path: up to '?' or '#'.
  std::string_view path() const;
};

/// Parses a complete head (up to and including its empty line); nullopt when
/// malformed. `request` selects the start line's form.
std::optional<HttpHead> parse_http_head(std::string_view text, bool request);

/// Finds message boundaries in one direction of an HTTP/1.1 connection.
class HttpFramer {
 public:
  /// What ends the bytes one consume() took.
  enum class Event {
    none,       ///< all the bytes were taken, no boundary among them
    head,       ///< the taken bytes complete a head: head() holds it; between_messages() if it has no body
    end,        ///< the taken bytes complete a message's body
    malformed,  ///< the stream is not HTTP from here on: frame nothing more
  };

  /// `request`: frames requests (client to server), else responses.
  explicit HttpFramer(bool request) : request_(request) {}

  /// Takes bytes from the front of `data`, up to the next boundary; returns
  /// how many and what they ended. After `malformed` (or once raw()),
  /// consume takes everything and says none.
  std::pair<std::size_t, Event> consume(std::string_view data);

  /// The last complete head.
  const HttpHead& head() const { return head_; }
  /// Right after a response's head event: this response has no body (it
  /// answers a HEAD request). Call before the next consume.
  void no_body();
  /// Whether the last message is over and nothing of the next was taken:
  /// after a head event, the message had no body.
  bool between_messages() const { return state_ == State::head && buf_.empty(); }
  /// Whether the stream stopped being framed (malformed, CONNECT, 101).
  bool raw() const { return state_ == State::raw; }
  /// Stops framing: what follows passes as it is.
  void go_raw() { state_ = State::raw; }

 private:
  enum class State { head, fixed, chunk_size, chunk_data, chunk_crlf, trailers, until_close, raw };

  std::pair<std::size_t, Event> head_bytes(std::string_view data);
  /// Sets the body's framing from head_; returns the event that ends the head.
  Event start_body();
  /// A line of the chunked framing, accumulated across reads; returns bytes taken and whether the line is complete.
  std::pair<std::size_t, bool> line_bytes(std::string_view data);
  std::pair<std::size_t, Event> chunked(std::string_view data);

  bool request_;
  State state_ = State::head;
  std::string buf_;  ///< the head, or the current chunk-framing line
  HttpHead head_;
  std::uint64_t left_ = 0;  ///< body bytes (fixed) or chunk bytes left
};

}  // namespace faultline::proxy
