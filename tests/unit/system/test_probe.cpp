// Tests of single probe executions against real sockets, the flaky_server
// fixture (refused, 503, hang) and real commands: outcomes, detail strings,
// and that every probe honours its timeout.
#include <doctest/doctest.h>

#include "async_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <sstream>

#include "os/clock.hpp"
#include "os/subprocess.hpp"
#include "system/probe.hpp"

using namespace faultline;
using asio::ip::tcp;

using namespace faultline::testing;

namespace {


ProbeSpec tcp_probe(const std::string& port, Nanos timeout = 1s) {
  ProbeSpec p;
  p.name = "tcp";
  p.kind = ProbeKind::tcp;
  p.port = port;
  p.interval = timeout;
  return p;
}

ProbeSpec http_probe(const std::string& port, Nanos timeout = 1s) {
  ProbeSpec p = tcp_probe(port, timeout);
  p.name = "http";
  p.kind = ProbeKind::http;
  return p;
}

ProbeSpec exec_probe(std::vector<std::string> argv, Nanos timeout = 2s) {
  ProbeSpec p;
  p.name = "exec";
  p.kind = ProbeKind::exec;
  p.command.argv = std::move(argv);
  p.interval = timeout;
  return p;
}

ProbeSpec sh_probe(const std::string& line, Nanos timeout = 2s) { return exec_probe({"sh", "-c", line}, timeout); }

/// A flaky_server child and its ports; the Child kills it on destruction.
struct Flaky {
  std::unique_ptr<Child> child;
  std::string port;
  std::string control;

  Flaky(asio::io_context& io, const std::string& mode) : port(free_port()), control(free_port()) {
    child = Child::spawn(io.get_executor(),
                         SpawnOptions{{fixture_path(), "--port", port, "--control-port", control, "--mode", mode}, {}, {}, {}});
    // Wait until it accepts connections (a condition with a deadline).
    const auto deadline = SteadyClock::now() + 10s;
    while (!run_sync(io, run_probe_once(io.get_executor(), tcp_probe(port, 200ms))).ok) {
      REQUIRE(SteadyClock::now() < deadline);
      REQUIRE(child->running());
    }
  }

  /// Plays `pattern`; returns once the first transition has happened.
  void trigger(asio::io_context& io, const std::string& pattern) {
    auto r = run_sync(io, run_command(io.get_executor(),
                                      SpawnOptions{{fixture_path(), "--trigger", control, "--pattern", pattern}, {}, {}, {}},
                                      5s));
    REQUIRE_MESSAGE(r.status.success(), r.err);
  }
};

ProbeOutcome probe(asio::io_context& io, const ProbeSpec& p) {
  return run_sync(io, run_probe_once(io.get_executor(), p));
}

/// A loopback listener whose accept queue is full: it drops new SYNs, so a
/// connect to it stays pending (not refused) until its queue is served
/// (accept_all) and the SYN's retransmission, after about 1 s, gets through.
struct FullListener {
  tcp::acceptor acceptor;
  std::vector<std::unique_ptr<tcp::socket>> fillers, accepted;
  std::function<void()> accept_next;

  explicit FullListener(asio::io_context& io) : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    acceptor.listen(0);
    for (int i = 0; i < 4; ++i) {
      // The SYN goes out when the operation starts; completion does not matter.
      fillers.push_back(std::make_unique<tcp::socket>(io));
      fillers.back()->async_connect(acceptor.local_endpoint(), [](boost::system::error_code) {});
    }
  }
  std::string port() const { return std::to_string(acceptor.local_endpoint().port()); }
  /// From now on, accepts every connection queued or to come.
  void accept_all() {
    accept_next = [this] {
      acceptor.async_accept([this](boost::system::error_code ec, tcp::socket s) {
        if (ec) return;
        accepted.push_back(std::make_unique<tcp::socket>(std::move(s)));
        accept_next();
      });
    };
    accept_next();
  }
};

}  // namespace

TEST_CASE("probe: tcp connects to a listening port") {
  asio::io_context io;
  Flaky server(io, "refuse");
  auto o = probe(io, tcp_probe(server.port));
  CHECK(o.ok);
  CHECK(o.detail == "connected");
}

TEST_CASE("probe: tcp to a closed port is refused") {
  asio::io_context io;
  auto o = probe(io, tcp_probe(free_port()));
  CHECK_FALSE(o.ok);
  CHECK(o.detail == "connection refused");
}

TEST_CASE("probe: tcp resolves host names") {
  asio::io_context io;
  Flaky server(io, "refuse");
  auto p = tcp_probe(server.port);
  p.host = "localhost";
  CHECK(probe(io, p).ok);
}

TEST_CASE("probe: tcp times out when the connection cannot complete") {
  asio::io_context io;
  FullListener full(io);  // connects to it hang
  const auto port = full.port();
  const auto begin = SteadyClock::now();
  auto o = probe(io, tcp_probe(port, 100ms));
  const auto took = SteadyClock::now() - begin;
  CHECK_FALSE(o.ok);
  CHECK(o.detail == "timeout after 100.000 ms");
  CHECK(took >= 100ms);
  CHECK(took < 100ms + 100ms);  // one interval of slack
}

TEST_CASE("probe: a tcp connect still pending after connect() is awaited and passes when it completes") {
  asio::io_context io;
  // A full accept queue drops the probe's SYN (its connect is pending, not
  // refused); accepting the queued connections 100 ms later lets the SYN's
  // retransmission (after about 1 s) complete it within the 3 s timeout.
  FullListener full(io);
  const auto port = full.port();
  asio::steady_timer later(io);
  later.expires_after(100ms);
  later.async_wait([&](boost::system::error_code) { full.accept_all(); });
  auto o = probe(io, tcp_probe(port, 3s));
  CHECK(o.ok);
  CHECK(o.detail == "connected");
}

TEST_CASE("probe: a non-numeric port fails with a clear detail") {
  asio::io_context io;
  auto o = probe(io, tcp_probe("{port.redis}"));
  CHECK_FALSE(o.ok);
  CHECK(o.detail.find("invalid port '{port.redis}'") == 0);
  auto h = probe(io, http_probe("99999"));
  CHECK_FALSE(h.ok);
  CHECK(h.detail.find("invalid port '99999'") == 0);
}

TEST_CASE("probe: http 200 passes, with body expectations") {
  asio::io_context io;
  Flaky server(io, "http503");
  auto p = http_probe(server.port);
  auto o = probe(io, p);
  CHECK(o.ok);
  CHECK(o.detail == "status 200");

  p.expect_body = "ok";
  p.expect_body_regex = "^o+k$";
  CHECK(probe(io, p).ok);

  p.expect_body = "PONG";
  o = probe(io, p);
  CHECK_FALSE(o.ok);
  CHECK(o.detail == "body does not contain 'PONG'");

  p.expect_body.reset();
  p.expect_body_regex = "^x";
  o = probe(io, p);
  CHECK_FALSE(o.ok);
  CHECK(o.detail == "body does not match /^x/");

  p.expect_body_regex = "(";
  o = probe(io, p);
  CHECK_FALSE(o.ok);
  CHECK(o.detail.find("invalid regex /(/") == 0);
}

TEST_CASE("probe: http status outside the accepted set fails as 'status N'") {
  asio::io_context io;
  Flaky server(io, "http503");
  server.trigger(io, "down:forever");
  auto p = http_probe(server.port);
  auto o = probe(io, p);
  CHECK_FALSE(o.ok);
  CHECK(o.detail == "status 503");

  p.status = {503};
  CHECK(probe(io, p).ok);
  p.status = {200, 204};
  CHECK(probe(io, p).detail == "status 503");

  // The outage is at the HTTP level only: tcp still connects.
  CHECK(probe(io, tcp_probe(server.port)).ok);
}

TEST_CASE("probe: http to a refusing server and back") {
  asio::io_context io;
  Flaky server(io, "refuse");
  server.trigger(io, "down:forever");
  auto o = probe(io, http_probe(server.port));
  CHECK_FALSE(o.ok);
  CHECK(o.detail == "connection refused");
  server.trigger(io, "up:1ms");
  CHECK(probe(io, http_probe(server.port)).ok);
}

TEST_CASE("probe: http against a hanging server times out on time") {
  asio::io_context io;
  Flaky server(io, "hang");
  server.trigger(io, "down:forever");
  const auto begin = SteadyClock::now();
  auto o = probe(io, http_probe(server.port, 100ms));
  const auto took = SteadyClock::now() - begin;
  CHECK_FALSE(o.ok);
  CHECK(o.detail == "timeout after 100.000 ms");
  CHECK(took >= 100ms);
  CHECK(took < 200ms);
}

TEST_CASE("probe: http sends the method, path and Host header") {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = std::to_string(a.local_endpoint().port());
  std::string request;
  auto server = [&]() -> asio::awaitable<void> {
    auto s = co_await a.async_accept(asio::use_awaitable);
    co_await asio::async_read_until(s, asio::dynamic_buffer(request), "\r\n\r\n", asio::use_awaitable);
    std::string resp = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
    co_await asio::async_write(s, asio::buffer(resp), asio::use_awaitable);
  };
  asio::co_spawn(io, server(), asio::detached);
  auto p = http_probe(port);
  p.method = "HEAD";
  p.path = "/health?deep=1";
  auto o = probe(io, p);
  CHECK(o.ok);
  CHECK(o.detail == "status 204");
  CHECK(request.rfind("HEAD /health?deep=1 HTTP/1.1\r\n", 0) == 0);
  CHECK(request.find("Host: 127.0.0.1:" + port + "\r\n") != std::string::npos);
  CHECK(request.find("Connection: close\r\n") != std::string::npos);
}

TEST_CASE("probe: exec checks the exit code and stdout") {
  asio::io_context io;
  auto o = probe(io, sh_probe("echo PONG"));
  CHECK(o.ok);
  CHECK(o.detail == "exit 0");

  o = probe(io, sh_probe("echo boom >&2; echo second >&2; exit 1"));
  CHECK_FALSE(o.ok);
  CHECK(o.detail == "exit 1: boom");

  auto p = sh_probe("exit 1");
  CHECK(probe(io, p).detail == "exit 1");
  p.expect_exit = 1;
  CHECK(probe(io, p).ok);

  p = sh_probe("echo role:master");
  p.expect_stdout = "role:master";
  p.expect_stdout_regex = "^role:(master|replica)$";
  CHECK(probe(io, p).ok);
  p.expect_stdout = "role:replica";
  CHECK(probe(io, p).detail == "stdout does not contain 'role:replica'");
  p.expect_stdout.reset();
  p.expect_stdout_regex = "^x";
  CHECK(probe(io, p).detail == "stdout does not match /^x/");

  o = probe(io, sh_probe("kill -KILL $$"));
  CHECK(o.detail == "killed by SIGKILL");
}

TEST_CASE("probe: exec times out and reports it") {
  asio::io_context io;
  const auto begin = SteadyClock::now();
  auto o = probe(io, sh_probe("sleep 10", 50ms));
  const auto took = SteadyClock::now() - begin;
  CHECK_FALSE(o.ok);
  CHECK(o.detail == "timeout after 50.000 ms");
  CHECK(took < 50ms + 200ms);
}

TEST_CASE("probe: exec of a missing command fails without throwing") {
  asio::io_context io;
  auto o = probe(io, exec_probe({"faultline-no-such-command"}));
  CHECK_FALSE(o.ok);
  CHECK(o.detail.find("faultline-no-such-command") != std::string::npos);
}

TEST_CASE("probe: an explicit timeout takes precedence over the interval") {
  asio::io_context io;
  Flaky server(io, "hang");
  server.trigger(io, "down:forever");
  auto p = http_probe(server.port, 5s);
  p.timeout = 60ms;
  auto o = probe(io, p);
  CHECK(o.detail == "timeout after 60.000 ms");
}

TEST_CASE("probe: http closes its connection after the server's close, or within an interval when the server keeps it") {
  // The sample ends with the answer; the connection is closed afterwards:
  // at once when the server has closed its side (read without waiting), and
  // within one interval (here 300 ms) when a server ignores
  // "Connection: close" and keeps it open.
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = std::to_string(a.local_endpoint().port());
  bool keep_open = false;
  Nanos closed_after{-1};
  auto server = [&]() -> asio::awaitable<void> {
    auto s = co_await a.async_accept(asio::use_awaitable);
    std::string request;
    co_await asio::async_read_until(s, asio::dynamic_buffer(request), "\r\n\r\n", asio::use_awaitable);
    std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    co_await asio::async_write(s, asio::buffer(resp), asio::use_awaitable);
    const auto answered = SteadyClock::now();
    if (!keep_open) co_return;  // closes its side
    char c;
    boost::system::error_code ec;
    co_await s.async_read_some(asio::buffer(&c, 1), asio::redirect_error(asio::use_awaitable, ec));
    closed_after = std::chrono::duration_cast<Nanos>(SteadyClock::now() - answered);  // the probe closed
  };
  SUBCASE("the server closes: the probe's side is closed too") {
    asio::co_spawn(io, server(), asio::detached);
    CHECK(probe(io, http_probe(port, 300ms)).ok);
    io.restart();
    io.run_for(3s);  // returns at once when nothing of the probe's is left waiting
    CHECK(io.stopped());
  }
  SUBCASE("the server keeps the connection: closed within an interval") {
    keep_open = true;
    asio::co_spawn(io, server(), asio::detached);
    CHECK(probe(io, http_probe(port, 300ms)).ok);
    io.restart();
    io.run_for(5s);
    REQUIRE(closed_after >= 0ns);
    CHECK(closed_after < 3s);  // after 300 ms; seconds of slack for a loaded machine
  }
}

namespace {

/// The connections in TIME_WAIT whose local end is `port` (/proc/net/tcp):
/// a server's, after it closed first.
int time_waits_on(const std::string& port) {
  std::ifstream in("/proc/net/tcp");
  const std::string hex = fmt::format(":{:04X}", std::stoi(port));
  std::string line;
  std::getline(in, line);  // header
  int n = 0;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string sl, local, remote, state;
    f >> sl >> local >> remote >> state;
    const bool ours = local.size() > 5 && local.substr(local.size() - 5) == hex;
    if (ours && state == "06") ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("probe: http leaves no TIME_WAIT with the server once the server has closed") {
  // A TIME_WAIT left with the server made later connects from a reused
  // client port wait ~10 ms for the kernel's SYN retransmission (a refusal
  // arrived that late during an outage): the probe closes with a reset
  // once it has read the server's close. (Its own side, closed after the
  // server's, is never in TIME_WAIT.)
  asio::io_context io;
  Flaky server(io, "refuse");
  const int before = time_waits_on(server.port);  // none: the readiness tcp probes close first
  for (int i = 0; i < 20; ++i) CHECK(probe(io, http_probe(server.port, 300ms)).ok);
  io.restart();
  io.run_for(3s);  // every connection's close, after the samples
  CHECK(time_waits_on(server.port) == before);
}

TEST_CASE("probe: start_probe connects a tcp probe of an address at once, and hands a pending connect on") {
  asio::io_context io;
  Flaky server(io, "refuse");
  // Completed within the call: the outcome, and nothing left to run.
  ProbeStart up = start_probe(tcp_probe(server.port));
  REQUIRE(up.outcome);
  CHECK(up.outcome->ok);
  CHECK(up.outcome->detail == "connected");
  CHECK(up.take_socket() == -1);
  ProbeStart refused = start_probe(tcp_probe(free_port()));
  REQUIRE(refused.outcome);
  CHECK_FALSE(refused.outcome->ok);
  CHECK(refused.outcome->detail == "connection refused");
  // Not begun at once: http, a host name, an invalid port (run_probe_once does it all).
  auto named = tcp_probe(server.port);
  named.host = "localhost";
  for (const auto& p : {http_probe(server.port), named, tcp_probe("{port.x}")}) {
    ProbeStart s = start_probe(p);
    CHECK_FALSE(s.outcome);
    CHECK(s.take_socket() == -1);
  }
  // A connect still pending (its SYN dropped by a full accept queue) is
  // handed to run_probe_once, which completes it once the queue is served.
  FullListener full(io);
  const auto port = full.port();
  io.poll();
  ProbeStart pending = start_probe(tcp_probe(port, 3s));
  REQUIRE_FALSE(pending.outcome);
  full.accept_all();
  auto o = run_sync(io, run_probe_once(io.get_executor(), tcp_probe(port, 3s), std::move(pending)));
  CHECK(o.ok);
  CHECK(o.detail == "connected");
}

TEST_CASE("probe: http reads a response that arrives in pieces, chunked or ended by the close") {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = std::to_string(a.local_endpoint().port());
  // Serves one connection with `pieces`, 20 ms apart, then closes.
  auto serve = [&](std::vector<std::string> pieces) -> asio::awaitable<void> {
    auto s = co_await a.async_accept(asio::use_awaitable);
    std::string request;
    co_await asio::async_read_until(s, asio::dynamic_buffer(request), "\r\n\r\n", asio::use_awaitable);
    asio::steady_timer t(io);
    for (const auto& piece : pieces) {
      t.expires_after(20ms);
      co_await t.async_wait(asio::use_awaitable);
      co_await asio::async_write(s, asio::buffer(piece), asio::use_awaitable);
    }
  };
  auto p = http_probe(port);
  p.expect_body = "hello world";
  // The probe's outcome against a server answering with `pieces`.
  const auto answered = [&](std::vector<std::string> pieces) {
    asio::co_spawn(io, serve(std::move(pieces)), asio::detached);
    return probe(io, p);
  };
  // The status line split, the header in two, a chunked body in three pieces.
  auto o = answered({"HTTP/1.", "1 200 OK\r\nTransfer-Encoding: chu", "nked\r\n\r\n6\r\nhello \r\n", "5\r\nworld\r\n",
                     "0\r\n\r\n"});
  CHECK(o.ok);
  CHECK(o.detail == "status 200");
  // No length and not chunked: the body ends with the connection.
  o = answered({"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello", " world"});
  CHECK(o.ok);
  CHECK(o.detail == "status 200");
  // Closed in the middle of a body of known length, or before any byte.
  o = answered({"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello"});
  CHECK_FALSE(o.ok);
  CHECK(o.detail == "connection closed before a complete response");
  o = answered({});
  CHECK_FALSE(o.ok);
  CHECK(o.detail == "connection closed before a complete response");
  // Not HTTP at all.
  o = answered({"SSH-2.0-OpenSSH_9.2\r\n"});
  CHECK_FALSE(o.ok);
}
