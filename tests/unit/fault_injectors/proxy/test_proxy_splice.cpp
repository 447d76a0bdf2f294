// proxy_splice: the zero-copy fast path, alone on real loopback sockets and
// inside the proxy, where a fault applied in the middle of a large transfer
// switches a direction to the copying pipeline and its revert switches it
// back: the stream arrives whole and in order, the connection stays open,
// and the fault takes hold within one chunk of the switch. For net.corrupt
// the stream received differs from the one sent exactly at the bytes the
// link counted as corrupted, one bit each, and only where the fault was
// applied: from the switch to at most what the pipe still held at the revert.
//
// The stream is 32 MiB each way here (the suite also runs sanitized, on two
// shared cores); FAULTLINE_SWITCH_MIB sets another size, e.g. 1024 for the
// 1 GiB transfer of issue 22 (docs/benchmarks.md has the timings).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "fault_injectors/net_bandwidth.hpp"
#include "fault_injectors/net_corrupt.hpp"
#include "fault_injectors/net_latency.hpp"
#include "fault_injectors/net_partition.hpp"
#include "fault_injectors/net_slicer.hpp"
#include "fault_injectors/proxy/proxy_splice.hpp"
#include "proxy_harness.hpp"

using namespace ptest;
using namespace faultline;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

/// One chunk of the fast path: how far past the switch a fault may be late.
constexpr std::uint64_t kChunk = 256 * 1024;
/// What a pipe may still hold at a revert (its high water mark, proxy_pipe.cpp, and a read).
constexpr std::uint64_t kHeld = 4 * 1024 * 1024 + 64 * 1024;
/// net.corrupt's rate in the switch test: a byte in 1000, so the first hit comes
/// within 20000 bytes of the switch but for a chance of e^-20.
constexpr double kCorruptRate = 1e-3;

/// Byte `pos` of the test stream: 32-bit big-endian words counting up, so
/// that a lost, repeated or moved byte is caught where it happens (a check
/// of every byte, stronger than a checksum of the whole).
char stream_byte(std::uint64_t pos) {
  const std::uint64_t word = pos / 4;
  return static_cast<char>((word >> (8 * (3 - pos % 4))) & 0xff);
}

std::size_t stream_size() {
  const char* mib = std::getenv("FAULTLINE_SWITCH_MIB");
  return static_cast<std::size_t>(mib ? std::strtoull(mib, nullptr, 10) : 32) << 20;
}

/// A connected pair of blocking TCP sockets on loopback (client, server).
std::pair<UniqueFd, UniqueFd> tcp_pair() {
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(listener.get(), 1) == 0);
  REQUIRE(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&a), &len) == 0);
  UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(::connect(client.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  UniqueFd server(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(server);
  return {std::move(client), std::move(server)};
}

void non_blocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

std::string read_exactly(int fd, std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t got = 0; got < n;) {
    const ssize_t r = ::read(fd, out.data() + got, n - got);
    REQUIRE(r > 0);
    got += static_cast<std::size_t>(r);
  }
  return out;
}

}  // namespace

TEST_CASE("splice: moves bytes between sockets (small ones read, large ones spliced), says which one to wait for, drains in order") {
  auto [a, a_peer] = tcp_pair();  // the source: written at `a`, spliced from `a_peer`
  auto [b, b_peer] = tcp_pair();  // the destination: spliced into `b`, read at `b_peer`
  non_blocking(a_peer.get());
  non_blocking(b.get());
  proxy::Splice splice;
  std::uint64_t delivered = 0;
  std::uint64_t spliced = 0;

  CHECK(splice.step(a_peer.get(), b.get(), delivered, spliced) == proxy::Splice::Result::src_wait);
  REQUIRE(::write(a.get(), "hello", 5) == 5);
  // Read in one take smaller than asked: the source is empty (wait on it, no read to find out).
  CHECK(splice.step(a_peer.get(), b.get(), delivered, spliced) == proxy::Splice::Result::moved_all);
  CHECK(delivered == 5);
  CHECK(splice.held() == 0);
  CHECK(read_exactly(b_peer.get(), 5) == "hello");
  CHECK(spliced == 0);  // a small message is read and sent, not spliced

  // Fill the destination until it takes no more: the pipe then holds the
  // next bytes, which drain() gives back whole and in order.
  non_blocking(a.get());
  std::uint64_t written = 0;
  std::vector<char> block(16 * 1024);
  proxy::Splice::Result r = proxy::Splice::Result::moved;
  for (int i = 0; i < 100000 && r != proxy::Splice::Result::dst_wait; ++i) {
    for (std::size_t k = 0; k < block.size(); ++k) block[k] = stream_byte(written + k);
    const ssize_t w = ::write(a.get(), block.data(), block.size());
    if (w > 0) written += static_cast<std::uint64_t>(w);
    r = splice.step(a_peer.get(), b.get(), delivered, spliced);
  }
  REQUIRE(r == proxy::Splice::Result::dst_wait);
  CHECK(spliced > 0);  // large takes go through the pipe
  REQUIRE(splice.held() > 0);
  const std::uint64_t first_held = delivered - 5;  // stream position of the first byte still in the pipe
  const std::vector<char> held = splice.drain();
  CHECK(splice.held() == 0);
  REQUIRE(!held.empty());
  for (std::size_t i = 0; i < held.size(); ++i)
    if (held[i] != stream_byte(first_held + i)) FAIL("drained byte " << i << " is out of order");

  // The source's close comes after its last byte; a reset is a failure.
  a.reset();
  std::vector<char> sink(1 << 20);
  for (int i = 0; i < 100000; ++i) {
    r = splice.step(a_peer.get(), b.get(), delivered, spliced);
    if (r != proxy::Splice::Result::moved && r != proxy::Splice::Result::moved_all &&
        r != proxy::Splice::Result::dst_wait)
      break;
    if (r == proxy::Splice::Result::dst_wait) (void)::read(b_peer.get(), sink.data(), sink.size());
  }
  CHECK(r == proxy::Splice::Result::eof);
  auto [c, c_peer] = tcp_pair();
  non_blocking(c_peer.get());
  const linger hard{1, 0};
  ::setsockopt(c.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  c.reset();
  proxy::Splice other;
  CHECK(other.step(c_peer.get(), b.get(), delivered, spliced) == proxy::Splice::Result::src_failed);
}

namespace {

/// One fault kind in one direction: how to make it, and how many bytes it
/// lets through in `elapsed` (what may pass besides the one chunk).
struct SwitchCase {
  std::string name;
  std::function<std::shared_ptr<proxy::LinkFault>(NetDirection)> make;
  std::function<std::uint64_t(Nanos elapsed)> allows;
  bool corrupts = false;  ///< alters bytes (net.corrupt): checked against the link's count, not byte for byte
};

std::uint64_t at_rate(double bytes_per_s, Nanos elapsed) {
  return static_cast<std::uint64_t>(bytes_per_s * std::chrono::duration<double>(elapsed).count()) + 1;
}

std::vector<SwitchCase> switch_cases() {
  return {
      {"latency 10 s",
       [](NetDirection d) { return latency_fault({10s, 0ns, LatencyDistribution::uniform, d, 1.0}); },
       [](Nanos elapsed) { return elapsed < 10s ? 0 : ~std::uint64_t{0}; }},
      {"bandwidth 50 KB/s", [](NetDirection d) { return bandwidth_fault({50e3, d, 1.0}); },
       [](Nanos elapsed) { return at_rate(50e3, elapsed) + 500; }},
      {"slicer 1000 B every 20 ms", [](NetDirection d) { return slicer_fault({1000, 0, 20ms, d, 1.0}); },
       [](Nanos elapsed) { return at_rate(50e3, elapsed) + 1000; }},
      {"partition (drop)",
       [](NetDirection d) { return partition_fault(PartitionMode::drop, d == NetDirection::upstream, d == NetDirection::downstream); },
       [](Nanos) { return std::uint64_t{0}; }},
      {"corrupt 1e-3 per byte",
       [](NetDirection d) { return corrupt_fault({kCorruptRate, CorruptParams::Per::byte, 4096, d, 1.0}); },
       [](Nanos) { return std::uint64_t{1} << 62; }, true},  // holds nothing back
  };
}

asio::awaitable<void> write_stream(tcp::socket& s, std::size_t total) {
  std::vector<char> block(64 * 1024);
  for (std::size_t pos = 0; pos < total;) {
    const std::size_t n = std::min(block.size(), total - pos);
    for (std::size_t i = 0; i < n; ++i) block[i] = stream_byte(pos + i);
    co_await asio::async_write(s, asio::buffer(block.data(), n), asio::use_awaitable);
    pos += n;
  }
  s.shutdown(tcp::socket::shutdown_send);
}

asio::awaitable<void> echo(tcp::socket& s) {
  std::vector<char> buf(64 * 1024);
  for (;;) {
    boost::system::error_code ec;  // not a structured binding: clang 14 cannot capture one in doctest's message
    std::size_t n = 0;
    std::tie(ec, n) = co_await s.async_read_some(asio::buffer(buf), kTuple);
    if (ec == asio::error::eof) break;
    REQUIRE_MESSAGE(!ec, "echo read: " << ec.message());
    co_await asio::async_write(s, asio::buffer(buf.data(), n), asio::use_awaitable);
  }
  s.shutdown(tcp::socket::shutdown_send);
}

/// Reads the echoed stream to its end, checking every byte; once a quarter
/// of it came back, calls `midway` once. With `diffs`, a byte that differs
/// from the one sent in exactly one bit is noted there (net.corrupt) instead of failing.
asio::awaitable<void> check_stream(tcp::socket& s, std::size_t total, std::function<asio::awaitable<void>()> midway,
                                   std::uint64_t& received, std::vector<std::uint64_t>* diffs = nullptr) {
  std::vector<char> buf(64 * 1024);
  bool called = false;
  for (;;) {
    boost::system::error_code ec;  // not a structured binding: clang 14 cannot capture one in doctest's message
    std::size_t n = 0;
    std::tie(ec, n) = co_await s.async_read_some(asio::buffer(buf), kTuple);
    if (ec == asio::error::eof) break;
    REQUIRE_MESSAGE(!ec, "client read: " << ec.message() << " (the connection must stay open)");
    for (std::size_t i = 0; i < n; ++i) {
      if (buf[i] == stream_byte(received + i)) continue;
      const auto x = static_cast<unsigned char>(buf[i] ^ stream_byte(received + i));
      if (!diffs || (x & (x - 1)) != 0) FAIL("byte " << received + i << " is wrong: lost, repeated or reordered");
      diffs->push_back(received + i);
    }
    received += n;
    if (!called && received >= total / 4) {
      called = true;
      co_await midway();
    }
  }
}

}  // namespace

TEST_CASE("splice: a fault applied and reverted mid-transfer switches the direction and back, losing nothing") {
  const std::size_t total = stream_size();
  for (const auto& kase : switch_cases())
    for (const NetDirection dir : {NetDirection::upstream, NetDirection::downstream}) {
      const bool up = dir == NetDirection::upstream;
      CAPTURE(kase.name);
      CAPTURE(up);
      run(
          [&](Env& env) -> asio::awaitable<void> {
            Server server(env.io);
            TestLink& link = env.link(server.port());
            auto client = co_await connect(link.port);
            auto peer = co_await server.accept();
            auto counters = [&] { return up ? link->counters().upstream : link->counters().downstream; };
            std::uint64_t spliced_at_revert = 0;
            std::uint64_t before = 0, at_revert = 0;
            std::vector<std::uint64_t> diffs;
            auto midway = [&]() -> asio::awaitable<void> {
              before = counters().bytes;
              CHECK(counters().spliced > 0);  // no fault so far: the fast path moved the bytes
              const auto id = link->add_fault(kase.make(dir), {"f", "test", 1, 1, 1.0});
              const TimePoint t0 = SteadyClock::now();
              co_await wait_for(200ms);  // the observation window
              const std::uint64_t passed = counters().bytes - before;
              const Nanos elapsed = since(t0);
              INFO("passed " << passed << " bytes in " << ms(elapsed) << " under the fault");
              CHECK(passed <= kChunk + kase.allows(elapsed));
              spliced_at_revert = counters().spliced;
              at_revert = counters().bytes;
              link->remove_fault(id);
              CHECK_FALSE(link->applied(id));
            };
            std::uint64_t received = 0;
            co_await (write_stream(client, total) && echo(peer) &&
                      check_stream(client, total, midway, received, kase.corrupts ? &diffs : nullptr));
            CHECK(received == total);
            const LinkStats st = link->stats();
            if (kase.corrupts) {
              // Exactly the bytes counted differ, one bit each, and only where the fault was applied.
              CHECK(diffs.size() == (up ? st.corrupted_upstream : st.corrupted_downstream));
              CHECK((up ? st.corrupted_downstream : st.corrupted_upstream) == 0);
              REQUIRE(!diffs.empty());
              INFO("corrupted " << diffs.size() << " bytes at " << diffs.front() << ".." << diffs.back()
                                << ", fault applied at " << before << ", reverted at " << at_revert);
              CHECK(diffs.front() >= before);
              CHECK(diffs.front() < before + kChunk + 20000);  // took hold within one chunk of the switch
              CHECK(diffs.back() < at_revert + kHeld);
            }
            CHECK(st.bytes_upstream == total);
            CHECK(st.bytes_downstream == total);
            CHECK(st.resets == 0);
            CHECK(st.connections == 1);
            CHECK(counters().spliced > spliced_at_revert);  // reverted: spliced again
            CHECK(counters().spliced < total);  // and between, the copying pipeline did
          },
          std::chrono::seconds(120));
    }
}
