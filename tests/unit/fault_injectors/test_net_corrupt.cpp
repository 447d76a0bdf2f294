// net.corrupt on real loopback sockets: over 100 MiB at a known rate the
// number of corrupted bytes lies within the binomial bounds, every
// corrupted byte differs from the one sent in exactly one bit and is
// counted, the same seed corrupts the same offsets (two streams received
// are compared), the positions do not depend on how the stream was cut into
// reads, per-chunk corruption hits each chunk at most once, and a revert
// stops it with the connection open.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <deque>
#include <tuple>
#include <vector>

#include "fault_injectors/net_corrupt.hpp"
#include "proxy_harness.hpp"
#include "scenario/scenario_parser.hpp"

using namespace ptest;
using namespace faultline;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

/// Byte `pos` of the test stream: a cheap pattern that differs between neighbours.
char pattern(std::uint64_t pos) { return static_cast<char>((pos * 2654435761u) >> 13); }

/// One received byte that differs from the one sent.
struct Diff {
  std::uint64_t offset = 0;
  unsigned char x = 0;  ///< received XOR sent
  bool operator==(const Diff&) const = default;
};

asio::awaitable<void> write_pattern(tcp::socket& s, std::uint64_t from, std::uint64_t n) {
  std::vector<char> block(256 * 1024);
  for (std::uint64_t pos = from; pos < from + n;) {
    const std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), from + n - pos));
    for (std::size_t i = 0; i < len; ++i) block[i] = pattern(pos + i);
    co_await asio::async_write(s, asio::buffer(block.data(), len), asio::use_awaitable);
    pos += len;
  }
}

/// Reads bytes [from, from + n) of the stream and notes every one that differs.
asio::awaitable<void> read_pattern(tcp::socket& s, std::uint64_t from, std::uint64_t n, std::vector<Diff>& diffs) {
  std::vector<char> buf(256 * 1024);
  for (std::uint64_t pos = from; pos < from + n;) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), from + n - pos));
    boost::system::error_code ec;  // not a structured binding: clang 14 cannot capture one in doctest's message
    std::size_t got = 0;
    std::tie(ec, got) = co_await s.async_read_some(asio::buffer(buf.data(), want), kTuple);
    REQUIRE_MESSAGE(!ec, "read: " << ec.message() << " (the connection must stay open)");
    for (std::size_t i = 0; i < got; ++i)
      if (buf[i] != pattern(pos + i))
        diffs.push_back({pos + i, static_cast<unsigned char>(buf[i] ^ pattern(pos + i))});
    pos += got;
  }
}

/// Sends `n` bytes through a new link carrying net.corrupt `p` seeded `seed`; returns the diffs the server saw.
std::vector<Diff> corrupted_stream(const CorruptParams& p, std::uint64_t seed, std::uint64_t n,
                                   std::uint64_t& counted) {
  std::vector<Diff> diffs;
  run(
      [&](Env& env) -> asio::awaitable<void> {
        Server server(env.io);
        TestLink& link = env.link(server.port());
        link->add_fault(corrupt_fault(p), {"c", "net.corrupt", 1, seed, 1.0});
        auto client = co_await connect(link.port);
        auto peer = co_await server.accept();
        co_await (write_pattern(client, 0, n) && read_pattern(peer, 0, n, diffs));
        counted = link->stats().corrupted_upstream;
        CHECK(link->stats().corrupted_downstream == 0);
        CHECK(link->stats().bytes_upstream == n);
      },
      std::chrono::seconds(240));
  return diffs;
}

/// Every corrupted byte differs in exactly one bit.
bool one_bit_each(const std::vector<Diff>& diffs) {
  for (const Diff& d : diffs)
    if (std::popcount(d.x) != 1) return false;
  return true;
}

}  // namespace

TEST_CASE("net.corrupt: 100 MiB at 1e-4 per byte corrupts a binomial count, one bit each, counted; the same seed the same offsets") {
  constexpr std::uint64_t kBytes = 100ull << 20;
  constexpr double kRate = 1e-4;
  CorruptParams p;
  p.rate = kRate;
  p.direction = NetDirection::upstream;
  // Each byte independently: the count is binomial(n, rate), mean 10486,
  // sigma sqrt(n rate (1 - rate)) = 102.4; the bound is 6 sigma (a chance
  // of about 2e-9 that a correct generator falls outside for some seed).
  const double mean = static_cast<double>(kBytes) * kRate;
  const double bound = 6 * std::sqrt(mean * (1 - kRate));
  std::uint64_t counted1 = 0, counted2 = 0, counted3 = 0;
  const std::vector<Diff> first = corrupted_stream(p, 42, kBytes, counted1);
  INFO("corrupted " << first.size() << ", expected " << mean << " +/- " << bound);
  CHECK(std::abs(static_cast<double>(first.size()) - mean) <= bound);
  CHECK(counted1 == first.size());  // what the record counts is what the receiver saw
  CHECK(one_bit_each(first));

  const std::vector<Diff> again = corrupted_stream(p, 42, kBytes, counted2);
  CHECK(counted2 == counted1);
  CHECK(again == first);  // the same offsets, the same bits

  p.direction = NetDirection::both;
  const std::vector<Diff> other = corrupted_stream(p, 43, 1 << 20, counted3);
  CHECK(counted3 == other.size());
  CHECK_FALSE(std::equal(other.begin(), other.end(), first.begin()));  // another seed, other offsets
}

TEST_CASE("net.corrupt: the offsets do not depend on how the stream is cut into reads") {
  CorruptParams p;
  p.rate = 0.01;
  std::mt19937_64 rng(7);
  auto corrupt = [&](const std::vector<std::size_t>& cuts) {
    std::mt19937_64 r(99);
    auto effect = corrupt_fault(p)->effect(r);
    REQUIRE(effect.upstream);
    std::string out;
    std::uint64_t counted = 0;
    std::uint64_t pos = 0;
    for (std::size_t len : cuts) {
      proxy::Item item;
      for (std::size_t i = 0; i < len; ++i) item.bytes.push_back(pattern(pos + i));
      pos += len;
      std::deque<proxy::Item> q;
      proxy::StageOutput o{q};
      effect.upstream->push(std::move(item), SteadyClock::now(), o);
      counted += o.corrupted;
      for (auto& i : q) out.append(i.bytes.begin(), i.bytes.end());
    }
    return std::pair{out, counted};
  };
  std::vector<std::size_t> whole{1 << 20}, pieces;
  for (std::size_t total = 0; total < (1u << 20);) {
    const std::size_t len = std::min<std::size_t>(1 + rng() % 5000, (1u << 20) - total);
    pieces.push_back(len);
    total += len;
  }
  const auto [a, na] = corrupt(whole);
  const auto [b, nb] = corrupt(pieces);
  CHECK(a.size() == (1u << 20));
  CHECK(a == b);
  CHECK(na == nb);
  CHECK(na > 0);
}

TEST_CASE("net.corrupt: per chunk, downstream: at most one byte per chunk, a binomial count of chunks") {
  constexpr std::uint64_t kBytes = 16ull << 20;
  constexpr std::int64_t kChunk = 4096;
  CorruptParams p;
  p.rate = 0.5;
  p.per = CorruptParams::Per::chunk;
  p.chunk = kChunk;
  p.direction = NetDirection::downstream;
  std::vector<Diff> diffs;
  run([&](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    auto client = co_await connect(link.port);
    auto peer = co_await server.accept();
    link->add_fault(corrupt_fault(p), {"c", "net.corrupt", 1, 5, 1.0});
    co_await (write_pattern(peer, 0, kBytes) && read_pattern(client, 0, kBytes, diffs));
    CHECK(link->stats().corrupted_downstream == diffs.size());
    CHECK(link->stats().corrupted_upstream == 0);
  });
  // 4096 chunks, each hit with probability 0.5: mean 2048, sigma 32; 6 sigma.
  const double chunks = static_cast<double>(kBytes / kChunk);
  INFO("corrupted " << diffs.size() << " of " << chunks << " chunks");
  CHECK(std::abs(static_cast<double>(diffs.size()) - chunks * 0.5) <= 6 * std::sqrt(chunks * 0.25));
  for (std::size_t i = 1; i < diffs.size(); ++i)
    CHECK(diffs[i].offset / kChunk != diffs[i - 1].offset / kChunk);
  CHECK(one_bit_each(diffs));
}

TEST_CASE("net.corrupt: a revert stops it, the connection stays open") {
  CorruptParams p;
  p.rate = 0.01;
  p.direction = NetDirection::upstream;
  run([&](Env& env) -> asio::awaitable<void> {
    Server server(env.io);
    TestLink& link = env.link(server.port());
    auto client = co_await connect(link.port);
    auto peer = co_await server.accept();
    const auto id = link->add_fault(corrupt_fault(p), {"c", "net.corrupt", 1, 3, 1.0});
    std::vector<Diff> during, after;
    co_await (write_pattern(client, 0, 1 << 20) && read_pattern(peer, 0, 1 << 20, during));
    CHECK(during.size() > 5000);  // 10486 expected, sigma 102
    link->remove_fault(id);
    CHECK_FALSE(link->applied(id));
    co_await (write_pattern(client, 1 << 20, 4 << 20) && read_pattern(peer, 1 << 20, 4 << 20, after));
    CHECK(after.empty());
    CHECK(link->stats().corrupted_upstream == during.size());
    co_await send(peer, "still open");
    CHECK((co_await read_n(client, 10)).data == "still open");
  });
}

TEST_CASE("net.corrupt: its keys are read; a bad or missing value is named at file:line:col") {
  const std::string base = R"(name = "c"
[[service]]
name = "s"
command = "true"
[[link]]
name = "l"
to = "127.0.0.1:1"
[[fault]]
kind = "net.corrupt"
target = "l"
duration = "1s"
)";
  auto ok = parse_scenario(base + "rate = 1e-6\nper = \"chunk\"\nchunk = 512\ndirection = \"upstream\"\ntoxicity = 0.5\n", "c.toml");
  REQUIRE(ok.scenario);
  const auto& p = ok.scenario->faults.at(0).params.get<CorruptParams>();
  CHECK(p.rate == 1e-6);
  CHECK(p.per == CorruptParams::Per::chunk);
  CHECK(p.chunk == 512);
  CHECK(p.direction == NetDirection::upstream);
  CHECK(p.toxicity == 0.5);

  auto bad = parse_scenario(base + "rate = 2\nper = \"bytes\"\nchunk = 0\n", "c.toml");
  CHECK_FALSE(bad.scenario);
  REQUIRE(bad.diagnostics.size() == 3);
  CHECK(format_diagnostic(bad.diagnostics[0]).starts_with("c.toml:12:"));  // rate
  CHECK(bad.diagnostics[1].hint.find("byte") != std::string::npos);     // did you mean "byte"?
  CHECK(format_diagnostic(bad.diagnostics[2]).starts_with("c.toml:14:"));  // chunk

  auto missing = parse_scenario(base, "c.toml");
  CHECK_FALSE(missing.scenario);
  REQUIRE_FALSE(missing.diagnostics.empty());
  CHECK(missing.diagnostics[0].message.find("rate") != std::string::npos);
}
