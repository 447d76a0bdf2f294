// net.corrupt end to end (issue 19), through `faultline run` with real
// processes:
//  - a transfer without checksums (socat copying a file into a file over
//    TCP) delivers the damage: the file received differs from the one sent
//    in exactly as many bytes as the record counts, one bit each, and a
//    second run with the same seed damages the same offsets;
//  - Redis replication, whose replica parses the primary's command stream,
//    notices: a flipped byte in the framing is a protocol error, the replica
//    drops its link to the primary and asks for a full resynchronisation.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <random>

#include "checks.hpp"

using namespace itest;
namespace json = boost::json;

namespace {

constexpr std::size_t kRawBytes = 4 << 20;
constexpr double kRawRate = 1e-3;

/// A sink that appends what reaches its port to `received`, a link "raw" in
/// front of it corrupting upstream from 100 ms for 3 s, and `sent` copied
/// through the link at 300 ms.
std::string raw_scenario(const fs::path& sent, const fs::path& received) {
  return fmt::format(R"(name = "corrupt-raw"
seed = 19
iterations = 1
steady_for = "200ms"
give_up_after = "5s"

[[service]]
name = "sink"
command = ["socat", "-u", "TCP-LISTEN:{{port.sink}},bind=127.0.0.1,reuseaddr,fork", "OPEN:{received},creat,append"]
ports = ["sink"]
ready = {{ kind = "tcp", port = "{{port.sink}}" }}

[[link]]
name = "raw"
to = "127.0.0.1:{{port.sink}}"

[[probe]]
name = "sink"
kind = "tcp"
port = "{{port.sink}}"
interval = "100ms"

[[fault]]
name = "bitrot"
kind = "net.corrupt"
target = "raw"
rate = {rate}
direction = "upstream"
at = "100ms"
duration = "3s"

[[fault]]
name = "send"
kind = "exec"
apply = ["socat", "-u", "OPEN:{sent}", "TCP:127.0.0.1:{{link.raw}}"]
at = "300ms"
)",
                     fmt::arg("sent", sent.string()), fmt::arg("received", received.string()),
                     fmt::arg("rate", kRawRate));
}

/// Offsets where `b` differs from `a`; fails on a byte that differs in more than one bit.
std::vector<std::size_t> one_bit_diffs(const std::string& a, const std::string& b) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i] == b[i]) continue;
    const auto x = static_cast<unsigned char>(a[i] ^ b[i]);
    if (std::popcount(x) != 1) FAIL("byte " << i << " differs in " << std::popcount(x) << " bits");
    out.push_back(i);
  }
  return out;
}

}  // namespace

TEST_CASE("net.corrupt: a transfer without checksums delivers the damage the record counts, at the offsets the seed names") {
  TempDir dir;
  std::string sent(kRawBytes, '\0');
  std::mt19937_64 rng(1);
  for (char& c : sent) c = static_cast<char>(rng());
  write_file(dir / "sent", sent);
  std::vector<std::vector<std::size_t>> runs;
  for (int i = 0; i < 2; ++i) {
    const fs::path received = dir / fmt::format("received-{}", i);
    const fs::path file = dir / fmt::format("raw-{}.toml", i);
    write_file(file, raw_scenario(dir / "sent", received));
    const fs::path out = dir / fmt::format("run-{}", i);
    Result r = faultline(dir, {"run", file.string(), "--out", out.string()});
    INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
    CHECK(r.code == 0);  // the sink never failed: the damage is silent
    const json::value rec = read_json(out / "run.json");
    const std::string got = read_file(received);
    REQUIRE(got.size() == sent.size());  // nothing lost or added: only bits flipped
    runs.push_back(one_bit_diffs(sent, got));
    const auto& link = rec.at("links").at(0);
    CHECK(link.at("corrupted_upstream").as_int64() == static_cast<std::int64_t>(runs.back().size()));
    CHECK(link.at("corrupted_downstream").as_int64() == 0);
    CHECK(r.out.find("data corrupted on links") != std::string::npos);
    expect_nothing_left(rec);
  }
  // Binomial(4 MiB, 1e-3): mean 4194, sigma 64.7; 6 sigma.
  const double mean = static_cast<double>(kRawBytes) * kRawRate;
  const double bound = 6 * std::sqrt(mean * (1 - kRawRate));
  INFO("corrupted " << runs[0].size() << ", expected " << mean << " +/- " << bound);
  CHECK(std::abs(static_cast<double>(runs[0].size()) - mean) <= bound);
  CHECK(runs[0] == runs[1]);  // the same seed, the same offsets
}

namespace {

/// A Redis primary and its replica, replicating through link "repl", which
/// corrupts the primary's stream (downstream) at 1e-3 per byte for 3 s while
/// the primary takes 3000 writes. The replica loads a full resynchronisation
/// straight from the socket (repl-diskless-load swapdb): a corrupted one is
/// refused and the replica stops, and it is restarted (as a supervisor would)
/// until a clean one arrives. (Loaded through a file instead, the default, a
/// corrupted copy stays behind as dump.rdb and the replica fails at every
/// restart until someone removes it.) The verify compares both datasets' digests.
constexpr const char* kRedisScenario = R"(name = "redis-replica-corrupt"
seed = 19
iterations = 1
steady_for = "1s"
recovered_after = 3
give_up_after = "30s"

[[service]]
name = "primary"
command = ["redis-server", "--port", "{port.primary}", "--bind", "127.0.0.1", "--dir", "{service.dir}",
           "--save", "", "--appendonly", "no", "--daemonize", "no", "--enable-debug-command", "local",
           "--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "1", "--repl-timeout", "2"]
ports = ["primary"]
ready = { kind = "exec", command = ["redis-cli", "-p", "{port.primary}", "ping"], expect_stdout = "PONG", interval = "20ms" }

[[link]]
name = "repl"
to = "127.0.0.1:{port.primary}"
from = ["replica"]

[[service]]
name = "replica"
command = ["redis-server", "--port", "{port.replica}", "--bind", "127.0.0.1", "--dir", "{service.dir}",
           "--save", "", "--appendonly", "no", "--daemonize", "no", "--enable-debug-command", "local",
           "--replicaof", "127.0.0.1", "{link.repl}", "--repl-timeout", "2", "--repl-diskless-load", "swapdb"]
ports = ["replica"]
depends_on = ["primary"]
ready_timeout = "20s"
restart = "always"
backoff = "200ms"
backoff_max = "1s"
ready = { kind = "exec", command = ["redis-cli", "-p", "{port.replica}", "info", "replication"], expect_stdout = "master_link_status:up", interval = "100ms" }

[[probe]]
name = "replica-link"
kind = "exec"
command = ["redis-cli", "-p", "{port.replica}", "info", "replication"]
expect_stdout = "master_link_status:up"
interval = "100ms"
timeout = "1s"

[[fault]]
name = "bitrot"
kind = "net.corrupt"
target = "repl"
rate = 1e-3
direction = "downstream"
at = "300ms"
duration = "3s"

[[fault]]
name = "writes"
kind = "exec"
apply = "seq 1 3000 | sed 's/.*/SET k:& value-&/' | redis-cli -p {port.primary} > /dev/null"
at = "400ms"

[[verify]]
name = "the replica holds what the primary holds"
command = "printf 'SET converged 1\\nWAIT 1 5000\\n' | redis-cli -p {port.primary} > /dev/null && a=$(redis-cli -p {port.primary} debug digest) && b=$(redis-cli -p {port.replica} debug digest) && echo \"$a $b\" && test \"$a\" = \"$b\""
)";

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("net.corrupt: Redis replication notices a corrupted stream, drops the link, resyncs in full and converges after the revert") {
  TempDir dir;
  write_file(dir / "redis.toml", kRedisScenario);
  Result r = faultline(dir, {"run", (dir / "redis.toml").string(), "--out", (dir / "run").string()});
  const std::string log = read_file(dir / "run" / "logs" / "replica.log");
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err << "\nreplica log:\n" << log);
  CHECK(r.code == 0);
  const json::value rec = read_json(dir / "run" / "run.json");
  const auto& it = rec.at("iterations").at(0);
  CHECK(it.at("impact").as_bool());  // the replica's link went down
  CHECK(it.at("recovered").as_bool());
  const auto& link = rec.at("links").at(0);
  CHECK(link.at("corrupted_downstream").as_int64() > 0);
  CHECK(link.at("corrupted_upstream").as_int64() == 0);
  CHECK(link.at("connections").as_int64() >= 2);  // the replica reconnected
  // The replica noticed: a flipped byte in the command stream's framing is a
  // protocol error, after which it drops the link and cannot continue where
  // it was: it asks for a full resynchronisation (the initial one and at
  // least one more).
  CHECK(log.find("Protocol error") != std::string::npos);
  CHECK(count_of(log, "Full resync from master") >= 2);
  // And once the link is clean, the full resynchronisation brings the
  // replica to exactly the primary's dataset (the verify's digests).
  for (const auto& v : rec.at("verdicts").as_array()) {
    INFO(v.at("threshold").as_string() << " " << v.at("scope").as_string());
    CHECK(v.at("passed").as_bool());
  }
  expect_nothing_left(rec);
}
