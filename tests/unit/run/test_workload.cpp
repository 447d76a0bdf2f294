#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "async_support.hpp"
#include "run/workload.hpp"

using namespace faultline;
using faultline::testing::run_sync;

namespace {

/// Waits on the io_context until `cond` holds (deadline 10 s).
template <class F>
void run_until(asio::io_context& io, F cond) {
  const auto deadline = SteadyClock::now() + std::chrono::seconds(10);
  io.restart();
  while (!cond()) {
    REQUIRE(SteadyClock::now() < deadline);
    io.run_one_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

TEST_CASE("workload: every run of digits in the read's output is a sequence number") {
  CHECK(parse_seqs("1\n2\n30\n") == std::set<std::uint64_t>{1, 2, 30});
  CHECK(parse_seqs("k7 k8,k9") == std::set<std::uint64_t>{7, 8, 9});
  CHECK(parse_seqs("").empty());
  CHECK(parse_seqs("no digits here").empty());
  CHECK(parse_seqs("99999999999999999999999 5") == std::set<std::uint64_t>{5});  // overflow is no number
}

TEST_CASE("workload: {seq} and {iteration} in a write template") {
  CHECK(write_text("SET k{seq} {seq}\r\n", 42, 3) == "SET k42 42\r\n");
  CHECK(write_text("insert {iteration}:{seq}", 7, 2) == "insert 2:7");
}

TEST_CASE("workload: exec writes at a fixed rate, acknowledged on exit 0, and the read finds them") {
  asio::io_context io;
  RunClock clock;
  const auto dir = std::filesystem::temp_directory_path() / ("faultline-wl-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "log").string();
  WorkloadSpec spec;
  spec.name = "w";
  spec.kind = WorkloadKind::exec;
  spec.rate = 50;  // 20 ms apart
  spec.timeout = 2s;
  // Even sequence numbers are refused (exit 1): not acknowledged, not written.
  spec.write.argv = {"/bin/sh", "-c", "[ $(({seq} % 2)) -eq 1 ] && echo {seq} >> " + file};
  spec.read.argv = {"cat", file};
  std::uint64_t next_seq = 1;
  WorkloadWriter writer(io.get_executor(), clock, spec, 1, next_seq);
  const Nanos t0 = clock.now();
  writer.start(t0);
  run_until(io, [&] { return writer.writes().size() >= 6; });
  run_sync(io, writer.stop());
  const auto& ws = writer.writes();
  REQUIRE(ws.size() >= 6);
  for (std::size_t i = 0; i < ws.size(); ++i) {
    CHECK(ws[i].seq == i + 1);
    CHECK(ws[i].acknowledged == (ws[i].seq % 2 == 1));
    // Fixed rate: write k started no earlier than tick k of the schedule
    // (a late timer or a slow fork may delay it or skip ticks, never advance
    // it). Measured from the schedule's origin, not from write 1, which may
    // itself have started late.
    CHECK(ws[i].start - t0 >= Nanos(20ms) * static_cast<std::int64_t>(i));
  }
  CHECK(next_seq == ws.size() + 1);
  const ReadOutcome read = run_sync(io, read_workload(io.get_executor(), spec, 1));
  REQUIRE(read.ok);
  const auto r = account_writes("w", 1, ws, read, 0ns, 0ns);
  CHECK(r.lost == 0);
  CHECK(r.acknowledged == (ws.size() + 1) / 2);
  // Remove a written line: that acknowledged write is now lost.
  std::ofstream(file) << "1\n";
  const ReadOutcome read2 = run_sync(io, read_workload(io.get_executor(), spec, 1));
  CHECK(account_writes("w", 1, ws, read2, 0ns, 0ns).lost == r.acknowledged - 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("workload: tcp writes on one connection, acknowledged by the reply line; errors reconnect") {
  asio::io_context server_io;
  asio::ip::tcp::acceptor acceptor(server_io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = acceptor.local_endpoint().port();
  std::atomic<int> connections{0};
  std::thread server([&] {
    // Replies +OK to every line but the one with seq 3, where it closes the connection.
    for (int c = 0; c < 2; ++c) {
      asio::ip::tcp::socket s(server_io);
      boost::system::error_code ec;
      acceptor.accept(s, ec);
      if (ec) return;
      ++connections;
      std::string buf;
      for (;;) {
        std::size_t n = asio::read_until(s, asio::dynamic_buffer(buf), '\n', ec);
        if (ec) break;
        const std::string line = buf.substr(0, n);
        buf.erase(0, n);
        if (line.find("k3 ") != std::string::npos) break;
        asio::write(s, asio::buffer(std::string("+OK\r\n")), ec);
      }
    }
  });
  asio::io_context io;
  RunClock clock;
  WorkloadSpec spec;
  spec.name = "t";
  spec.kind = WorkloadKind::tcp;
  spec.rate = 100;
  spec.timeout = 1s;
  spec.port = std::to_string(port);
  spec.send = "SET k{seq} {seq}\r\n";
  spec.expect = "+OK";
  std::uint64_t next_seq = 1;
  WorkloadWriter writer(io.get_executor(), clock, spec, 1, next_seq);
  const Nanos t0 = clock.now();
  writer.start(t0);
  run_until(io, [&] { return writer.writes().size() >= 6; });
  run_sync(io, writer.stop());
  acceptor.close();
  server.join();
  const auto& ws = writer.writes();
  REQUIRE(ws.size() >= 6);
  for (const auto& w : ws) CHECK(w.acknowledged == (w.seq != 3));
  CHECK(connections == 2);  // the error on seq 3 dropped the connection; seq 4 opened another
}

TEST_CASE("workload: a tcp write to a port where nothing listens is an error, not a hang") {
  asio::io_context io;
  RunClock clock;
  WorkloadSpec spec;
  spec.name = "t";
  spec.kind = WorkloadKind::tcp;
  spec.rate = 100;
  spec.timeout = 500ms;
  spec.port = faultline::testing::free_port();
  spec.send = "PING\r\n";
  spec.expect = "+PONG";
  std::uint64_t next_seq = 1;
  WorkloadWriter writer(io.get_executor(), clock, spec, 1, next_seq);
  const Nanos t0 = clock.now();
  writer.start(t0);
  run_until(io, [&] { return writer.writes().size() >= 3; });
  run_sync(io, writer.stop());
  for (const auto& w : writer.writes()) {
    CHECK_FALSE(w.acknowledged);
    CHECK(w.end - w.start < 500ms);  // refused at once, not timed out
  }
}
