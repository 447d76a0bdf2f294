// Probe executions: tcp connect, HTTP request and exec command
// (run_command). A network probe's every step (connect, write, read) is
// bounded by its effective timeout through one timer per execution that
// closes the socket at the deadline (SocketDeadline); a probe whose host is
// a name also races a steady_timer, since resolving is not bounded by the
// socket. The HTTP exchange is written with plain non-blocking calls on the
// reactor's socket and Beast's parser (the request is one send(), the
// response read until it parses complete): Beast's stream and composed
// operations took about a third of an execution's user time
// (docs/benchmarks.md, "The HTTP exchange without Beast's stream"). A tcp probe of an
// address in the harness's own namespace is connected by start_probe() on
// the scheduler's thread, with no coroutine at all when the connect
// completes within the call. Exec probes rely on run_command's timeout,
// which kills the command's group. An HTTP probe's connection is closed
// after the server closes it (awaited after the sample has ended, one
// interval at most), as a prober reading to the end of the stream does, and
// then with a reset, so that no TIME_WAIT is left on either side
// (drain_then_close).
// Failures of the probed system become failing outcomes with a short,
// specific detail; nothing here throws for them.
#include "scenario/text_match.hpp"
#include "system/probe.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fmt/format.h>
#include <optional>

#include "os/clock.hpp"
#include "os/netns.hpp"
#include "os/subprocess.hpp"

namespace faultline {

namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr std::size_t kMaxQuoted = 60;
constexpr std::size_t kMaxBody = 1024 * 1024;

ProbeOutcome fail(std::string detail) { return ProbeOutcome{false, std::move(detail)}; }
ProbeOutcome pass(std::string detail) { return ProbeOutcome{true, std::move(detail)}; }

std::string timeout_detail(Nanos timeout) { return "timeout after " + format_ms(timeout); }

/// A user string shortened for a detail line.
std::string quoted(const std::string& s) {
  if (s.size() <= kMaxQuoted) return "'" + s + "'";
  return "'" + s.substr(0, kMaxQuoted) + "...'";
}

/// The first non-empty line of `text`, trimmed and shortened.
std::string first_line(const std::string& text) {
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(begin, end - begin);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (!line.empty()) return line.size() > 200 ? line.substr(0, 200) + "..." : line;
    begin = end + 1;
  }
  return {};
}

std::optional<std::uint16_t> parse_port(const std::string& text) {
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value == 0 || value > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

/// A short description of a network error.
std::string describe(const boost::system::error_code& ec, Nanos timeout) {
  namespace err = asio::error;
  if (ec == err::connection_refused) return "connection refused";
  if (ec == err::connection_reset) return "connection reset";
  if (ec == err::timed_out || ec == beast::error::timeout || ec == err::operation_aborted)
    return timeout_detail(timeout);
  if (ec == err::eof || ec == http::error::end_of_stream || ec == http::error::partial_message)
    return "connection closed before a complete response";
  if (ec == err::host_not_found || ec == err::host_not_found_try_again) return "host not found";
  if (ec == http::error::body_limit) return "response body too large";
  return ec.message();
}

/// Checks a body or stdout against the substring and regex expectations.
std::optional<std::string> content_mismatch(const std::string& what, const std::string& text,
                                            const std::optional<std::string>& contains,
                                            const std::optional<std::string>& regex) {
  if (contains && text.find(*contains) == std::string::npos)
    return fmt::format("{} does not contain {}", what, quoted(*contains));
  if (regex) return regex_mismatch(what, text, *regex);
  return std::nullopt;
}

asio::awaitable<tcp::resolver::results_type> resolve(const std::string& host, std::uint16_t port) {
  auto ex = co_await asio::this_coro::executor;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (!ec)
    co_return tcp::resolver::results_type::create(tcp::endpoint(addr, port), host, std::to_string(port));
  tcp::resolver resolver(ex);
  co_return co_await resolver.async_resolve(host, std::to_string(port), asio::use_awaitable);
}

/// Runs a network probe body, turning its errors into failing outcomes.
template <typename Body>
asio::awaitable<ProbeOutcome> guarded(Body body, Nanos timeout) {
  try {
    co_return co_await body();
  } catch (const boost::system::system_error& e) {
    co_return fail(describe(e.code(), timeout));
  } catch (const std::exception& e) {
    co_return fail(e.what());
  }
}

/// Races `op` against the timeout.
asio::awaitable<ProbeOutcome> with_timeout(asio::awaitable<ProbeOutcome> op, Nanos timeout) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(std::chrono::duration_cast<SteadyClock::duration>(timeout));
  // as_tuple: the timer that loses (cancelled once the probe completes, i.e.
  // almost always) reports an error code instead of throwing, which cost an
  // exception per probe execution (stack unwinding, a lock in the unwinder).
  auto r = co_await (std::move(op) || timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (r.index() == 0) co_return std::get<0>(std::move(r));
  co_return fail(timeout_detail(timeout));
}

/// A socket opened inside namespace `netns` for `ep`'s protocol. Connecting
/// it keeps it (connect opens a socket only when none is open), so the
/// probe's traffic leaves from that namespace.
void open_in(tcp::socket& socket, const std::string& netns, const tcp::endpoint& ep) {
  const int fd = socket_in_netns(netns, ep.protocol().family(), SOCK_STREAM);
  boost::system::error_code ec;
  socket.assign(ep.protocol(), fd, ec);
  if (!ec) return;
  ::close(fd);  // the reactor refused it
  throw boost::system::system_error(ec);
}

/// The probe's host as an address, when it is one (no resolver needed).
std::optional<asio::ip::address> address_of(const std::string& host) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  return addr;
}

/// A connect begun without the reactor (quick_connect).
struct QuickConnect {
  int fd = -1;                     ///< the socket, connected or still connecting; -1 on failure
  boost::system::error_code ec;    ///< the failure (refused, unreachable, no descriptor)
  bool pending = false;            ///< the handshake has not completed yet
};

/// Connects a non-blocking socket to `ep` with connect() alone. On loopback
/// (and wherever the peer's answer is processed within the call) the
/// handshake, or the refusal, is complete when the first connect() returns
/// EINPROGRESS, and a second connect() reports it: 0 connected, an error
/// refused. Only when it is still pending (EALREADY) does the probe wait on
/// the reactor. This spares each execution what a connect through the
/// reactor costs besides the connect itself (a non-blocking ioctl, an
/// epoll_ctl to add the socket and one to watch it for writing, a poll, a
/// getsockopt, a wake-up), which made faultline's connects dearer than a
/// blocking prober's (docs/benchmarks.md). The outcome and the sample's
/// times are the same. `fd` must be non-blocking; on failure it is left open.
QuickConnect connect_now(int fd, const tcp::endpoint& ep) {
  QuickConnect q;
  q.fd = fd;
  int rc = ::connect(q.fd, ep.data(), static_cast<socklen_t>(ep.size()));
  if (rc != 0 && errno == EINPROGRESS) rc = ::connect(q.fd, ep.data(), static_cast<socklen_t>(ep.size()));
  if (rc == 0 || errno == EISCONN) return q;
  if (errno == EALREADY || errno == EINPROGRESS) {
    q.pending = true;
    return q;
  }
  q.ec = boost::system::error_code(errno, boost::system::system_category());
  q.fd = -1;
  return q;
}

/// connect_now() on a socket of its own (non-blocking, close-on-exec),
/// closed again if the connect failed.
QuickConnect quick_connect(const tcp::endpoint& ep) {
  const int fd = ::socket(ep.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    QuickConnect q;
    q.ec = boost::system::error_code(errno, boost::system::system_category());
    return q;
  }
  QuickConnect q = connect_now(fd, ep);
  if (q.fd < 0) ::close(fd);
  return q;
}

/// Hands `fd` to `socket` (registering it with the reactor); closes it if that fails.
void adopt(tcp::socket& socket, const tcp::endpoint& ep, int fd) {
  boost::system::error_code ec;
  socket.assign(ep.protocol(), fd, ec);
  if (!ec) return;
  ::close(fd);
  throw boost::system::system_error(ec);
}

/// Closes a socket when a deadline passes, for as long as it lives: the
/// bound on every step of a network probe's execution (connect, write, read,
/// the drain), as Beast's stream expiry was, with one timer for the whole
/// execution instead of one per operation. A wait on the socket then ends
/// with operation_aborted (described as the timeout). The timer's handler
/// may run after this object is gone (the timer fired while the execution
/// was finishing): it reaches the socket through a shared state that the
/// destructor empties first.
class SocketDeadline {
 public:
  SocketDeadline(tcp::socket& socket, TimePoint deadline)
      : timer_(socket.get_executor(), deadline), state_(std::make_shared<State>(State{&socket})) {
    timer_.async_wait([state = state_](const boost::system::error_code& ec) {
      if (ec || !state->socket) return;
      state->expired = true;
      boost::system::error_code ignored;
      state->socket->close(ignored);
    });
  }
  ~SocketDeadline() {
    state_->socket = nullptr;
    timer_.cancel();
  }
  SocketDeadline(const SocketDeadline&) = delete;
  SocketDeadline& operator=(const SocketDeadline&) = delete;
  /// Whether the deadline closed the socket.
  bool expired() const { return state_->expired; }

 private:
  struct State {
    tcp::socket* socket = nullptr;
    bool expired = false;
  };
  asio::steady_timer timer_;
  std::shared_ptr<State> state_;
};

/// The failure of an operation that ended with `ec`: the deadline's own
/// when it closed the socket (whatever the operation then saw). Every
/// failure on a bounded socket goes through here, the system calls' too:
/// on this single-threaded reactor the deadline's handler cannot run
/// between a wait's end and the call after it, but a failure read from a
/// socket the deadline closed would otherwise be "bad file descriptor".
[[noreturn]] void throw_failure(const SocketDeadline& deadline, const boost::system::error_code& ec) {
  throw boost::system::system_error(deadline.expired() ? boost::system::error_code(asio::error::timed_out) : ec);
}

/// throw_failure() with the calling thread's errno.
[[noreturn]] void throw_errno(const SocketDeadline& deadline) {
  throw_failure(deadline, boost::system::error_code(errno, boost::system::system_category()));
}

/// Waits for the pending connect of `socket` to complete (bounded by
/// `deadline`); throws its failure.
asio::awaitable<void> finish_connect(tcp::socket& socket, const SocketDeadline& deadline) {
  const auto [ec] = co_await socket.async_wait(tcp::socket::wait_write, asio::as_tuple(asio::use_awaitable));
  if (ec) throw_failure(deadline, ec);
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) throw_failure(deadline, boost::system::error_code(err, boost::system::system_category()));
}

/// Opens `socket` (non-blocking, registered with the reactor) and begins
/// its connect to `ep`, leaving the outcome to the first send: send()
/// reports the handshake's failure (refused, unreachable) as connect()
/// would, and EAGAIN while it is still pending, so send_all() waits for it
/// then. On loopback the handshake is over when connect() returns, so this
/// spares the second connect() that quick_connect() needs to learn the
/// outcome of a connection that sends nothing. Throws an immediate failure.
void begin_connect(tcp::socket& socket, const tcp::endpoint& ep) {
  // Opened by asio (registered once; a socket handed over with assign() is
  // also removed from the epoll set at close, one epoll_ctl more per
  // execution) and set non-blocking before the connect, which asio then
  // knows (no ioctl of its own at the first wait).
  socket.open(ep.protocol());
  socket.non_blocking(true);
  if (::connect(socket.native_handle(), ep.data(), static_cast<socklen_t>(ep.size())) != 0 && errno != EINPROGRESS)
    throw boost::system::system_error(boost::system::error_code(errno, boost::system::system_category()));
}

/// Connects `socket` to the probe's target through the reactor: the
/// address itself when the host is one, else every address it resolves to,
/// from the probe's namespace when it has one. Bounded by `deadline` (the
/// resolver is not: see run_probe_once). An address in the harness's own
/// namespace is connected without the reactor instead (quick_connect,
/// begin_connect).
asio::awaitable<void> connect(tcp::socket& socket, const ProbeSpec& p, std::uint16_t port,
                              const SocketDeadline& deadline) {
  boost::system::error_code ec;
  if (const auto addr = address_of(p.host)) {
    const tcp::endpoint ep(*addr, port);
    if (p.netns.empty()) socket.open(ep.protocol());
    else open_in(socket, p.netns, ep);
    std::tie(ec) = co_await socket.async_connect(ep, asio::as_tuple(asio::use_awaitable));
    if (ec) throw_failure(deadline, ec);
    co_return;
  }
  auto endpoints = co_await resolve(p.host, port);
  if (!p.netns.empty()) {
    const tcp::endpoint ep = endpoints.begin()->endpoint();
    open_in(socket, p.netns, ep);
    std::tie(ec) = co_await socket.async_connect(ep, asio::as_tuple(asio::use_awaitable));
  } else {
    std::tie(ec, std::ignore) = co_await asio::async_connect(socket, endpoints, asio::as_tuple(asio::use_awaitable));
  }
  if (ec) throw_failure(deadline, ec);
}

/// Whether start_probe() begins `p`'s execution: a tcp probe of an address
/// in the harness's own namespace.
bool starts_at_once(const ProbeSpec& p) {
  return p.kind == ProbeKind::tcp && p.netns.empty() && address_of(p.host).has_value();
}

/// `started`: the socket of the connect start_probe() began (-1: none).
asio::awaitable<ProbeOutcome> tcp_probe(const ProbeSpec& p, std::uint16_t port, TimePoint deadline, int started) {
  // An address in the harness's own namespace: a connect that completes at
  // once never touches the reactor (socket, connect, connect, close), nor a
  // timer; start_probe() has usually done it all on the scheduler's thread.
  if (const auto addr = address_of(p.host); addr && p.netns.empty()) {
    const tcp::endpoint ep(*addr, port);
    int fd = started;
    if (fd < 0) {
      const QuickConnect q = quick_connect(ep);
      if (q.fd < 0) throw boost::system::system_error(q.ec);
      if (!q.pending) {
        ::close(q.fd);
        co_return pass("connected");
      }
      fd = q.fd;
    }
    tcp::socket socket(co_await asio::this_coro::executor);
    adopt(socket, ep, fd);
    const SocketDeadline bound(socket, deadline);
    co_await finish_connect(socket, bound);
    co_return pass("connected");
  }
  if (started >= 0) ::close(started);
  tcp::socket socket(co_await asio::this_coro::executor);
  const SocketDeadline bound(socket, deadline);
  co_await connect(socket, p, port, bound);
  co_return pass("connected");
}

/// Closes an HTTP probe's connection once the server has closed its side
/// (end of stream, or any error), or after `bound` at most (a server that
/// keeps the connection open). Closing after the server does, as a prober
/// reading to the end of the stream does, leaves the connection's TIME_WAIT
/// with the server; closing first (with a shutdown, as the probe did before)
/// left one on this host per probe execution, 5,000 a second at five 1 kHz
/// HTTP probes, which the kernel then had to recycle on every connect
/// (docs/benchmarks.md). The server asked to close has often done so by
/// now, so the socket is first read at once (MSG_DONTWAIT: no timer, no
/// wait on the reactor when the close is already there); only a close
/// still to come is awaited. It runs after the sample has ended: no figure
/// depends on it.
///
/// Once the server's close has been read, the probe's side is closed with
/// a reset (SO_LINGER 0), as HAProxy's health checks do, so the connection
/// leaves no TIME_WAIT on either host. A TIME_WAIT left with the server
/// blocked later probes: at 1 kHz the kernel hands out the same client
/// ports again within the TIME_WAIT's 60 s (it checks them only against
/// this host's own connections, not against the server's side of them on
/// loopback), and a SYN that lands on such a TIME_WAIT while the server
/// does not listen is answered with a bare ACK, not a refusal: the connect
/// waited for the kernel's retransmission, about 10 ms, so an outage's
/// refused connects took 10-15 ms each, a probe at 1 ms skipped most of
/// its ticks and transitions were seen that much later (docs/benchmarks.md).
/// A server that has not closed within `bound` is closed on normally.
asio::awaitable<void> drain_then_close(tcp::socket socket, Nanos bound) {
  char sink[256];
  // The server has closed: a reset ends the connection with no TIME_WAIT.
  const auto close_after_server = [&socket] {
    boost::system::error_code ignored;
    socket.set_option(asio::socket_base::linger(true, 0), ignored);
    socket.close(ignored);
  };
  // At most 64 reads here: a server that keeps sending after its answer
  // is read on through the reactor, never holding the probe thread.
  for (int reads = 0; reads < 64; ++reads) {
    const ssize_t n = ::recv(socket.native_handle(), sink, sizeof sink, MSG_DONTWAIT);
    if (n > 0 || (n < 0 && errno == EINTR)) continue;
    if (n == 0) {  // done without the reactor
      close_after_server();
      co_return;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    boost::system::error_code ignored;  // an error (a reset): nothing is left to linger
    socket.close(ignored);
    co_return;
  }
  const SocketDeadline deadline(
      socket, SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(std::max(bound, Nanos(1'000'000))));
  for (;;) {
    const auto [ec, n] = co_await socket.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::eof) {
      close_after_server();
      co_return;
    }
    if (ec) break;
  }
  boost::system::error_code ignored;
  socket.close(ignored);
}

/// The request an HTTP probe sends, byte for byte what Beast's serializer
/// writes for it: the request line, Host (an IPv6 literal bracketed, the
/// port omitted when it is 80), User-Agent and `Connection: close`. Made as
/// one string and sent with one send(): Beast's message, serializer and
/// composed write took about a sixth of an execution's user time
/// (docs/benchmarks.md, "The HTTP exchange without Beast's stream").
std::string request_text(const ProbeSpec& p, std::uint16_t port) {
  const std::string host = p.host.find(':') != std::string::npos ? "[" + p.host + "]" : p.host;
  return port == 80 ? fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: faultline-probe\r\nConnection: close\r\n\r\n",
                                  p.method, p.path.empty() ? "/" : p.path, host)
                    : fmt::format("{} {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: faultline-probe\r\nConnection: close\r\n\r\n",
                                  p.method, p.path.empty() ? "/" : p.path, host, port);
}

/// An HTTP response parser (Beast's) that keeps only what a probe judges:
/// the status and the body (up to the body limit). Header fields are parsed
/// and checked but not stored, which spares an allocation per field.
class ResponseParser final : public http::basic_parser<false> {
 public:
  int status = 0;
  std::string body;

 private:
  void on_request_impl(http::verb, beast::string_view, beast::string_view, int, beast::error_code&) override {}
  void on_response_impl(int code, beast::string_view, int, beast::error_code&) override { status = code; }
  void on_field_impl(http::field, beast::string_view, beast::string_view, beast::error_code&) override {}
  void on_header_impl(beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, beast::error_code&) override {
    if (length) body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, kMaxBody)));
  }
  std::size_t on_body_impl(beast::string_view s, beast::error_code&) override {
    body.append(s.data(), s.size());
    return s.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view s, beast::error_code&) override {
    body.append(s.data(), s.size());
    return s.size();
  }
  void on_finish_impl(beast::error_code&) override {}
};

/// Sends all of `text` on `socket`: send() at once (MSG_DONTWAIT: never
/// blocking the probe thread), a wait for room (bounded by `deadline`) only
/// when the socket's buffer is full. Throws the failure.
asio::awaitable<void> send_all(tcp::socket& socket, const std::string& text, const SocketDeadline& deadline) {
  std::size_t sent = 0;
  while (sent < text.size()) {
    const ssize_t n =
        ::send(socket.native_handle(), text.data() + sent, text.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      const auto [ec] = co_await socket.async_wait(tcp::socket::wait_write, asio::as_tuple(asio::use_awaitable));
      if (ec) throw_failure(deadline, ec);
    } else if (errno != EINTR) {
      throw_errno(deadline);
    }
  }
}

/// Reads the response from `socket` into `parser` until it is complete
/// (every wait bounded by `deadline`). A close before any byte is
/// end_of_stream, a close inside a message partial_message, as with
/// Beast's http::async_read. Throws the failure.
///
/// Called right after the request was sent, it waits for the socket to
/// become readable before its first recv(): the answer cannot be there yet.
/// (A read attempted first, as asio's async_read_some does, costs an EAGAIN;
/// the wait costs an epoll_ctl instead, which re-arms the descriptor and so
/// reports data that came before the wait began.) After a wait, it reads
/// until EAGAIN or the end of the message.
asio::awaitable<void> read_response(tcp::socket& socket, ResponseParser& parser, const SocketDeadline& deadline) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    const auto [wec] = co_await socket.async_wait(tcp::socket::wait_read, asio::as_tuple(asio::use_awaitable));
    if (wec) throw_failure(deadline, wec);
    for (;;) {
      const auto space = buffer.prepare(4096);
      const ssize_t n = ::recv(socket.native_handle(), space.data(), space.size(), MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;  // wait again
        throw_errno(deadline);
      }
      if (n == 0) {
        if (!parser.got_some()) throw boost::system::system_error(http::error::end_of_stream);
        parser.put_eof(ec);
        if (ec) throw boost::system::system_error(ec);
        co_return;
      }
      buffer.commit(static_cast<std::size_t>(n));
      while (buffer.size() > 0) {
        const std::size_t used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        if (ec == http::error::need_more) {
          ec = {};
          break;
        }
        if (ec) throw boost::system::system_error(ec);
        if (parser.is_done()) co_return;
        if (used == 0) break;
      }
      if (parser.is_done()) co_return;
    }
  }
}

ProbeOutcome judge_response(const ProbeSpec& p, const ResponseParser& res) {
  const int status = res.status;
  const bool status_ok = p.status.empty()
                             ? (status >= 200 && status < 300)
                             : std::find(p.status.begin(), p.status.end(), status) != p.status.end();
  if (!status_ok) return fail(fmt::format("status {}", status));
  if (auto why = content_mismatch("body", res.body, p.expect_body, p.expect_body_regex)) return fail(*why);
  return pass(fmt::format("status {}", status));
}

asio::awaitable<ProbeOutcome> http_probe(const ProbeSpec& p, std::uint16_t port, TimePoint deadline) {
  tcp::socket socket(co_await asio::this_coro::executor);
  ResponseParser parser;
  parser.body_limit(kMaxBody);
  parser.eager(true);
  if (p.method == "HEAD") parser.skip(true);  // no body follows
  {
    const SocketDeadline bound(socket, deadline);
    const auto addr = address_of(p.host);
    if (addr && p.netns.empty()) begin_connect(socket, tcp::endpoint(*addr, port));  // the send completes it
    else co_await connect(socket, p, port, bound);
    co_await send_all(socket, request_text(p, port), bound);
    co_await read_response(socket, parser, bound);
  }
  // The answer is in: the sample ends here. The connection is closed after
  // the server's own close (it was asked for one), which a detached read
  // awaits for at most one interval (drain_then_close).
  const auto ex = socket.get_executor();
  asio::co_spawn(ex, drain_then_close(std::move(socket), std::min(p.interval, p.effective_timeout())), asio::detached);
  co_return judge_response(p, parser);
}

asio::awaitable<ProbeOutcome> exec_probe(asio::any_io_executor ex, const ProbeSpec& p, Nanos timeout) {
  SpawnOptions opts;
  opts.argv = in_netns(p.netns, p.command.argv);
  auto r = co_await run_command(ex, std::move(opts), timeout);
  if (!r.start_error.empty()) co_return fail(r.start_error);
  if (r.timed_out) co_return fail(timeout_detail(timeout));
  if (r.status.signal != 0 || r.status.code != p.expect_exit) {
    std::string line = first_line(r.err);
    if (line.empty()) line = first_line(r.out);
    std::string d = r.status.describe();
    if (!line.empty()) d += ": " + line;
    co_return fail(std::move(d));
  }
  if (auto why = content_mismatch("stdout", r.out, p.expect_stdout, p.expect_stdout_regex)) co_return fail(*why);
  co_return pass(r.status.describe());
}

}  // namespace

ProbeStart::~ProbeStart() {
  if (fd_ >= 0) ::close(fd_);
}
ProbeStart::ProbeStart(ProbeStart&& other) noexcept : outcome(std::move(other.outcome)), fd_(other.take_socket()) {}
ProbeStart& ProbeStart::operator=(ProbeStart&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    outcome = std::move(other.outcome);
    fd_ = other.take_socket();
  }
  return *this;
}
int ProbeStart::take_socket() { return std::exchange(fd_, -1); }

ProbeStart start_probe(const ProbeSpec& p) {
  ProbeStart s;
  if (!starts_at_once(p)) return s;
  const auto port = parse_port(p.port);
  if (!port) return s;  // run_probe_once says why
  const QuickConnect q = quick_connect(tcp::endpoint(*address_of(p.host), *port));
  if (q.fd < 0) s.outcome = fail(describe(q.ec, p.effective_timeout()));
  else if (!q.pending) {
    ::close(q.fd);
    s.outcome = pass("connected");
  } else {
    s.fd_ = q.fd;
  }
  return s;
}

asio::awaitable<ProbeOutcome> run_probe_once(asio::any_io_executor ex, const ProbeSpec& p, ProbeStart started) {
  const Nanos timeout = p.effective_timeout();
  if (p.kind == ProbeKind::exec) {
    if (p.command.argv.empty()) co_return fail("no command to run");
    co_return co_await exec_probe(ex, p, timeout);
  }
  const auto port = parse_port(p.port);
  if (!port) co_return fail(fmt::format("invalid port {} (expected a number from 1 to 65535)", quoted(p.port)));
  const TimePoint deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(timeout);
  auto body = [&]() {
    return p.kind == ProbeKind::tcp ? tcp_probe(p, *port, deadline, started.take_socket()) : http_probe(p, *port, deadline);
  };
  // With an address for a host, the socket's deadline (SocketDeadline)
  // bounds every step (connect, write, read), so no race against a second
  // timer is needed: that race (a parallel group of two coroutines) was the
  // largest cost of a probe execution at 1 kHz (docs/benchmarks.md). A host
  // name needs the resolver, which the socket's deadline does not bound.
  if (address_of(p.host)) co_return co_await guarded(body, timeout);
  co_return co_await with_timeout(guarded(body, timeout), timeout);
}

}  // namespace faultline
