// Probe executions: tcp connect, HTTP request (Boost.Beast) and exec command
// (run_command). Network probes are bounded by the probe's effective timeout
// through Beast's stream expiry (set once at the deadline: it bounds the
// connect, the write and the read); a probe whose host is a name also races
// a steady_timer, since resolving is not bounded by the stream. Exec probes
// rely on run_command's timeout, which kills the command's group. An HTTP
// probe's connection is closed after the server closes it (awaited after the
// sample has ended, one interval at most), as a prober reading to the end of
// the stream does, and then with a reset, so that no TIME_WAIT is left on
// either side (drain_then_close).
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
#include <boost/beast/core/tcp_stream.hpp>
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
  socket.assign(ep.protocol(), fd);
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

/// Waits, until `deadline`, for the pending connect of `socket` to complete;
/// throws its failure (a timeout as asio::error::timed_out).
asio::awaitable<void> finish_connect(tcp::socket& socket, TimePoint deadline) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_at(deadline);
  auto r = co_await (socket.async_wait(tcp::socket::wait_write, asio::as_tuple(asio::use_awaitable)) ||
                     timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (r.index() == 1) throw boost::system::system_error(asio::error::timed_out);
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) throw boost::system::system_error(boost::system::error_code(err, boost::system::system_category()));
}

/// Connects `stream` to the probe's target (in its namespace, if any): the
/// address itself when the host is one, else every address it resolves to.
asio::awaitable<void> connect(beast::tcp_stream& stream, const ProbeSpec& p, std::uint16_t port, TimePoint deadline) {
  if (const auto addr = address_of(p.host)) {
    const tcp::endpoint ep(*addr, port);
    if (p.netns.empty()) {
      // The stream will read and write through the reactor: its socket is
      // opened by asio (registered once; a socket handed over with assign()
      // is also removed from the epoll set at close, one epoll_ctl more per
      // execution) and set non-blocking before the connect, which asio then
      // knows (no ioctl of its own at the first read).
      auto& socket = stream.socket();
      socket.open(ep.protocol());
      socket.non_blocking(true);
      const QuickConnect q = connect_now(socket.native_handle(), ep);
      if (q.fd < 0) throw boost::system::system_error(q.ec);
      if (q.pending) co_await finish_connect(socket, deadline);
      co_return;
    }
    open_in(stream.socket(), p.netns, ep);
    co_await stream.async_connect(ep, asio::use_awaitable);
    co_return;
  }
  auto endpoints = co_await resolve(p.host, port);
  if (!p.netns.empty()) {
    const tcp::endpoint ep = endpoints.begin()->endpoint();
    open_in(stream.socket(), p.netns, ep);
    co_await stream.async_connect(ep, asio::use_awaitable);
  } else {
    co_await stream.async_connect(endpoints, asio::use_awaitable);
  }
}

asio::awaitable<ProbeOutcome> tcp_probe(const ProbeSpec& p, std::uint16_t port, TimePoint deadline) {
  // An address in the harness's own namespace: a connect that completes at
  // once never touches the reactor (socket, connect, connect, close).
  if (const auto addr = address_of(p.host); addr && p.netns.empty()) {
    const tcp::endpoint ep(*addr, port);
    const QuickConnect q = quick_connect(ep);
    if (q.fd < 0) throw boost::system::system_error(q.ec);
    if (!q.pending) {
      ::close(q.fd);
      co_return pass("connected");
    }
    tcp::socket socket(co_await asio::this_coro::executor);
    adopt(socket, ep, q.fd);
    co_await finish_connect(socket, deadline);
    co_return pass("connected");
  }
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_at(deadline);
  co_await connect(stream, p, port, deadline);
  stream.close();
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
/// now, so a socket in non-blocking mode is first read at once (no timer,
/// no wait on the reactor when the close is already there); only a close
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
asio::awaitable<void> drain_then_close(beast::tcp_stream stream, Nanos bound) {
  char sink[256];
  // The server has closed: a reset ends the connection with no TIME_WAIT.
  const auto close_after_server = [&stream] {
    boost::system::error_code ignored;
    stream.socket().set_option(asio::socket_base::linger(true, 0), ignored);
    stream.close();
  };
  if (stream.socket().non_blocking()) {  // never a blocking read on the probe thread
    for (;;) {
      boost::system::error_code ec;
      stream.socket().read_some(asio::buffer(sink), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) break;
      if (ec == asio::error::eof) {  // done without the reactor
        close_after_server();
        co_return;
      }
      if (ec) {  // an error (a reset): nothing is left to linger
        stream.close();
        co_return;
      }
    }
  }
  stream.expires_after(std::chrono::duration_cast<SteadyClock::duration>(std::max(bound, Nanos(1'000'000))));
  for (;;) {
    const auto read = co_await stream.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
    if (std::get<0>(read) == asio::error::eof) {
      close_after_server();
      co_return;
    }
    if (std::get<0>(read)) break;
  }
  stream.close();
}

http::request<http::empty_body> make_request(const ProbeSpec& p, std::uint16_t port) {
  http::request<http::empty_body> req;
  const auto verb = http::string_to_verb(p.method);
  if (verb == http::verb::unknown) req.method_string(p.method);
  else req.method(verb);
  req.target(p.path.empty() ? "/" : p.path);
  req.version(11);
  // An IPv6 literal is bracketed in the Host header ("[::1]:8080").
  const std::string host = p.host.find(':') != std::string::npos ? "[" + p.host + "]" : p.host;
  req.set(http::field::host, port == 80 ? host : fmt::format("{}:{}", host, port));
  req.set(http::field::user_agent, "faultline-probe");
  req.set(http::field::connection, "close");
  return req;
}

ProbeOutcome judge_response(const ProbeSpec& p, const http::response<http::string_body>& res) {
  const int status = static_cast<int>(res.result_int());
  const bool status_ok = p.status.empty()
                             ? (status >= 200 && status < 300)
                             : std::find(p.status.begin(), p.status.end(), status) != p.status.end();
  if (!status_ok) return fail(fmt::format("status {}", status));
  if (auto why = content_mismatch("body", res.body(), p.expect_body, p.expect_body_regex)) return fail(*why);
  return pass(fmt::format("status {}", status));
}

asio::awaitable<ProbeOutcome> http_probe(const ProbeSpec& p, std::uint16_t port, TimePoint deadline) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_at(deadline);
  co_await connect(stream, p, port, deadline);
  auto req = make_request(p, port);
  co_await http::async_write(stream, req, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  if (req.method() == http::verb::head) parser.skip(true);  // no body follows
  co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
  // The answer is in: the sample ends here. The connection is closed after
  // the server's own close (it was asked for one), which a detached read
  // awaits for at most one interval (drain_then_close).
  asio::co_spawn(stream.get_executor(), drain_then_close(std::move(stream), std::min(p.interval, p.effective_timeout())),
                 asio::detached);
  co_return judge_response(p, parser.get());
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

asio::awaitable<ProbeOutcome> run_probe_once(asio::any_io_executor ex, const ProbeSpec& p) {
  const Nanos timeout = p.effective_timeout();
  if (p.kind == ProbeKind::exec) {
    if (p.command.argv.empty()) co_return fail("no command to run");
    co_return co_await exec_probe(ex, p, timeout);
  }
  const auto port = parse_port(p.port);
  if (!port) co_return fail(fmt::format("invalid port {} (expected a number from 1 to 65535)", quoted(p.port)));
  const TimePoint deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(timeout);
  auto body = [&]() { return p.kind == ProbeKind::tcp ? tcp_probe(p, *port, deadline) : http_probe(p, *port, deadline); };
  // With an address for a host, the stream's own expiry bounds every step
  // (connect, write, read) at the deadline, so no race against a second
  // timer is needed: that race (a parallel group of two coroutines) was the
  // largest cost of a probe execution at 1 kHz (docs/benchmarks.md). A host
  // name needs the resolver, which the stream's expiry does not bound.
  if (address_of(p.host)) co_return co_await guarded(body, timeout);
  co_return co_await with_timeout(guarded(body, timeout), timeout);
}

}  // namespace faultline
