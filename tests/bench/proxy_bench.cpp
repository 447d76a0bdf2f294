// proxy_bench: faultline's TCP proxy against direct loopback, HAProxy and
// socat, side by side in one run on one machine; then the accuracy of the
// latency and bandwidth faults. Not part of the test suite: run it by hand
// (see docs/benchmarks.md), it prints Markdown tables.
//
//   ninja -C build tests/bench/proxy_bench && build/tests/bench/proxy_bench [--quick] [--pin] [--latency]
//
// --quick: smaller streams and fewer samples; --latency: only the latency
// fault's accuracy, against its floors; --pin: everything (client,
// server, faultline's thread, HAProxy, socat) on CPU 0. On a virtual machine
// a wake-up across vCPUs can cost tens of microseconds, so without pinning a
// round trip depends mostly on where the scheduler happened to put each
// thread; on one CPU it measures what each proxy itself costs.
//
// Every peer forwards to the same sink/echo server (a thread with blocking
// sockets); the client is another thread. faultline's proxy runs in this
// process on its own thread and io_context, exactly as in a run (one thread,
// the LinkSet of the runner); HAProxy (TCP mode, nbthread 1) and socat
// (fork, nodelay, 64 KiB buffer) run as child processes from Debian's
// packages.
//
// Measured:
//  - single-stream throughput: one connection sends N MiB to a sink; time
//    from the first write to the sink's last read; the median of 5 runs;
//  - 64-byte ping-pong round trip: p50 and p99 over 20000 round trips (after
//    500 warm-up ones per connection), and what each proxy adds to direct
//    loopback;
// The peers are measured round robin, 5 trials each, so that load from
// elsewhere on the machine falls on all of them alike.
//  - net.latency accuracy: one-way delay of 64-byte messages minus the
//    configured latency, for 1 ms to 1 s, through faultline and through two
//    floors measured in the same run (FloorDelay: a bare sleeping relay, and
//    the same relay busy-waiting the last 500 us), so that what the machine's
//    timers cost is not put down to the proxy;
//  - net.bandwidth accuracy: bytes / (last byte read - first write) against
//    the configured rate, from 1 KB/s to 100 MB/s.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <future>
#include <mutex>
#include <condition_variable>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fault_injectors/net_bandwidth.hpp"
#include "fault_injectors/net_latency.hpp"
#include "fault_injectors/proxy/link_set.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using faultline::Nanos;

/// Whether --pin was given: see the top of the file.
bool g_pin = false;

/// Pins the calling thread to `cpu` when --pin was given.
void pin(int cpu) {
  if (!g_pin) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/// `argv` prefixed with taskset to run it on CPU 0 when --pin was given.
std::vector<std::string> pinned(std::vector<std::string> argv) {
  if (g_pin) argv.insert(argv.begin(), {"taskset", "-c", "0"});
  return argv;
}

double us(Nanos d) { return std::chrono::duration<double, std::micro>(d).count(); }

[[noreturn]] void die(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

int listen_any(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) || ::listen(fd, 64) ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len))
    die("listen");
  port = ntohs(a.sin_port);
  return fd;
}

std::uint16_t free_port() {
  std::uint16_t p = 0;
  ::close(listen_any(p));
  return p;
}

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w <= 0) die("write");
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

bool read_all(int fd, char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// ---------------------------------------------------------------- the server

/// One connection at a time: `sink` reads to EOF and reports when the last
/// byte came; `echo` sends back what it reads; `stamp` reads 64-byte
/// messages carrying their send time and records each one-way delay.
class Server {
 public:
  enum class Mode { sink, echo, stamp };
  Server() : fd_(listen_any(port_)) {}
  ~Server() { ::close(fd_); }
  std::uint16_t port() const { return port_; }

  /// Serves one connection in `mode` on a thread; the future gives what was measured.
  std::future<std::vector<Nanos>> serve(Mode mode) {
    return std::async(std::launch::async, [this, mode] {
      pin(0);
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) die("accept");
      const int one = 1;
      ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::vector<Nanos> out;
      std::vector<char> buf(256 * 1024);
      if (mode == Mode::sink) {
        Clock::time_point last{};
        std::uint64_t total = 0;
        for (ssize_t r; (r = ::read(c, buf.data(), buf.size())) > 0;) {
          total += static_cast<std::uint64_t>(r);
          last = Clock::now();
        }
        out.push_back(last.time_since_epoch());
        out.push_back(Nanos(static_cast<std::int64_t>(total)));
      } else if (mode == Mode::echo) {
        for (ssize_t r; (r = ::read(c, buf.data(), buf.size())) > 0;) write_all(c, buf.data(), static_cast<std::size_t>(r));
      } else {
        char msg[64];
        while (read_all(c, msg, sizeof msg)) {
          std::int64_t sent = 0;
          std::memcpy(&sent, msg, sizeof sent);
          out.push_back(Clock::now().time_since_epoch() - Nanos(sent));
        }
      }
      ::close(c);
      return out;
    });
  }

 private:
  std::uint16_t port_ = 0;
  int fd_;
};

// ---------------------------------------------------------------- the peers

/// A forwarder between the client and the server.
struct Peer {
  std::string name;
  std::uint16_t port = 0;  ///< where the client connects
};

/// faultline's proxy on its own thread, optionally with a fault applied.
class FaultlineProxy {
 public:
  FaultlineProxy(std::uint16_t server_port, std::shared_ptr<faultline::proxy::LinkFault> fault = nullptr) {
    faultline::Scenario s;
    s.links = {faultline::LinkSpec{"bench", fmt::format("127.0.0.1:{}", server_port), "", {}, {}}};
    port_ = set_.bind(s.links).at("bench");
    // Started on the proxy's own thread, as the runner starts links on its.
    boost::asio::post(io_, [this, s, fault] {
      set_.start(io_.get_executor(), s, clock_);
      if (fault) set_.find("bench")->add_fault(fault, {"bench", "bench", 1, 1, 1.0});
    });
    thread_ = std::thread([this] {
      pin(0);
      io_.run();
    });
  }
  ~FaultlineProxy() {
    boost::asio::post(io_, [this] { set_.stop(); });
    thread_.join();
  }
  std::uint16_t port() const { return port_; }

 private:
  boost::asio::io_context io_;
  faultline::RunClock clock_;
  faultline::LinkSet set_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

/// A child process (HAProxy, socat), killed at the end.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Child() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

/// Whether a socket listens on 127.0.0.1:`port` (from /proc/net/tcp, so that
/// checking opens no connection the server would then have to accept).
bool listening(std::uint16_t port) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  const std::string local = fmt::format("0100007F:{:04X}", port);
  while (std::getline(in, line))
    if (line.find(local) != std::string::npos && line.find(" 0A ") != std::string::npos) return true;
  return false;
}

/// Waits until a child process listens on `port`.
bool await_listening(std::uint16_t port) {
  const auto deadline = Clock::now() + 5s;
  while (Clock::now() < deadline) {
    if (listening(port)) return true;
    std::this_thread::sleep_for(10ms);  // polling a child process's start-up: there is no event to wait for
  }
  return false;
}

// ---------------------------------------------------------------- measurements

/// MB/s (10^6 bytes per second) of one stream of `bytes` through `port`.
double throughput(Server& server, std::uint16_t port, std::size_t bytes) {
  auto result = server.serve(Server::Mode::sink);
  const int fd = connect_to(port);
  if (fd < 0) die("connect");
  std::vector<char> block(64 * 1024, 'x');
  const auto t0 = Clock::now();
  for (std::size_t sent = 0; sent < bytes; sent += block.size()) write_all(fd, block.data(), block.size());
  ::shutdown(fd, SHUT_WR);
  const auto r = result.get();
  ::close(fd);
  if (r.at(1).count() != static_cast<std::int64_t>(bytes)) throw std::runtime_error("the sink got the wrong byte count");
  const Nanos took = r.at(0) - t0.time_since_epoch();
  return static_cast<double>(bytes) / std::chrono::duration<double>(took).count() / 1e6;
}

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0;
};

Percentiles percentiles(std::vector<Nanos> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return us(v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))]); };
  return {at(0.50), at(0.99), us(v.back())};
}

/// Round trips of 64-byte messages through `port`.
std::vector<Nanos> ping_pong(Server& server, std::uint16_t port, int warmup, int rounds) {
  auto done = server.serve(Server::Mode::echo);
  const int fd = connect_to(port);
  if (fd < 0) die("connect");
  char msg[64] = {};
  std::vector<Nanos> rtt;
  rtt.reserve(static_cast<std::size_t>(rounds));
  for (int i = 0; i < warmup + rounds; ++i) {
    const auto t0 = Clock::now();
    write_all(fd, msg, sizeof msg);
    if (!read_all(fd, msg, sizeof msg)) die("echo");
    if (i >= warmup) rtt.push_back(Clock::now() - t0);
  }
  ::close(fd);
  done.get();
  return rtt;
}

/// One-way delays of `count` stamped messages sent `gap` apart through `port`.
std::vector<Nanos> stamped(Server& server, std::uint16_t port, int count, Nanos gap) {
  auto result = server.serve(Server::Mode::stamp);
  const int fd = connect_to(port);
  if (fd < 0) die("connect");
  char msg[64] = {};
  auto next = Clock::now();
  for (int i = 0; i < count; ++i) {
    std::this_thread::sleep_until(next);  // the send schedule of the measurement, not synchronisation
    const std::int64_t now = Clock::now().time_since_epoch().count();
    std::memcpy(msg, &now, sizeof now);
    write_all(fd, msg, sizeof msg);
    next += gap;
  }
  ::shutdown(fd, SHUT_WR);
  auto r = result.get();
  ::close(fd);
  return r;
}

/// The floor for the latency fault: the simplest delaying relay there is.
/// One connection; a reader thread stamps each read as it returns and
/// queues it, a writer thread sleeps with clock_nanosleep(TIMER_ABSTIME) to
/// stamp + latency (timer slack 1 ns) and writes. Blocking calls only, no
/// event loop, a thread per direction: what a bare timer on this machine
/// delivers, measured in the same run as faultline's proxy.
class FloorDelay {
 public:
  FloorDelay(std::uint16_t server_port, Nanos latency, Nanos spin = Nanos(0))
      : latency_(latency), spin_(spin), listen_(listen_any(port_)) {
    thread_ = std::thread([this, server_port] {
      pin(0);
      const int in = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
      if (in < 0) return;
      const int one = 1;
      ::setsockopt(in, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      const int out = connect_to(server_port);
      std::thread writer([this, out] {
        pin(0);
        ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
        for (;;) {
          std::unique_lock lock(mu_);
          cv_.wait(lock, [this] { return !queue_.empty(); });
          auto [due, bytes] = std::move(queue_.front());
          queue_.erase(queue_.begin());
          lock.unlock();
          if (bytes.empty()) break;
          const auto ns = due.time_since_epoch().count();
          const auto wake = ns - spin_.count();
          timespec ts{static_cast<time_t>(wake / 1000000000), static_cast<long>(wake % 1000000000)};
          while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
          }
          while (Clock::now() < due) {
          }
          write_all(out, bytes.data(), bytes.size());
        }
        ::shutdown(out, SHUT_WR);
      });
      char buf[4096];
      for (;;) {
        const ssize_t r = ::read(in, buf, sizeof buf);
        const auto now = Clock::now();
        std::lock_guard lock(mu_);
        queue_.emplace_back(now + latency_, r > 0 ? std::string(buf, static_cast<std::size_t>(r)) : std::string());
        cv_.notify_one();
        if (r <= 0) break;
      }
      writer.join();
      ::close(in);
      ::close(out);
    });
  }
  ~FloorDelay() {
    thread_.join();
    ::close(listen_);
  }
  std::uint16_t port() const { return port_; }

 private:
  Nanos latency_;
  Nanos spin_;  ///< wakes this much early and spins to the due time
  std::uint16_t port_ = 0;
  int listen_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<Clock::time_point, std::string>> queue_;
  std::thread thread_;
};

/// Bytes per second actually delivered through a bandwidth fault of `rate`.
double delivered_rate(Server& server, double rate, Nanos span) {
  FaultlineProxy proxy(server.port(), faultline::bandwidth_fault({rate, faultline::NetDirection::upstream, 1.0}));
  const auto bytes = static_cast<std::size_t>(rate * std::chrono::duration<double>(span).count());
  auto result = server.serve(Server::Mode::sink);
  const int fd = connect_to(proxy.port());
  if (fd < 0) die("connect");
  std::vector<char> data(bytes, 'b');
  const auto t0 = Clock::now();
  write_all(fd, data.data(), data.size());
  ::shutdown(fd, SHUT_WR);
  const auto r = result.get();
  ::close(fd);
  const Nanos took = r.at(0) - t0.time_since_epoch();
  return static_cast<double>(bytes) / std::chrono::duration<double>(took).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string rate_text(double bytes_per_s) {
  if (bytes_per_s >= 1e6) return fmt::format("{:g} MB/s", bytes_per_s / 1e6);
  return fmt::format("{:g} KB/s", bytes_per_s / 1e3);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  bool latency_only = false;  // only the latency fault's accuracy, against its floor
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") quick = true;
    else if (a == "--latency") latency_only = true;
    else if (a == "--pin") g_pin = true;
    else {
      fmt::print(stderr, "usage: proxy_bench [--quick] [--pin] [--latency]\n");
      return 2;
    }
  }
  pin(0);
  ::signal(SIGPIPE, SIG_IGN);
  try {
    Server server;
    const std::size_t stream_bytes = (quick ? 256u : 1024u) << 20;
    const int rounds = quick ? 5000 : 20000;

    // net.latency against its floor: alone with --latency.
    auto latency_section = [&] {
      fmt::print("\n## net.latency accuracy (one-way delay minus the configured latency, 64-byte messages)\n\n");
      fmt::print("floor: a bare relay sleeping with clock_nanosleep to each message's due time (the same run)\n\n");
      fmt::print("| latency | path | messages | p50 | p99 | max |\n|---|---|---|---|---|---|\n");
      for (const Nanos latency : {Nanos(1ms), Nanos(10ms), Nanos(100ms), Nanos(1s)}) {
        const int count = quick ? 50 : 300;
        auto row = [&](const char* path, std::vector<Nanos> delays) {
          for (auto& d : delays) d -= latency;
          const Percentiles p = percentiles(delays);
          fmt::print("| {} | {} | {} | {:+.0f} us | {:+.0f} us | {:+.0f} us |\n", faultline::format_duration(latency),
                     path, delays.size(), p.p50, p.p99, p.max);
          std::fflush(stdout);
        };
        {
          FloorDelay floor(server.port(), latency);
          row("floor", stamped(server, floor.port(), count, 5ms));
        }
        {
          FloorDelay floor(server.port(), latency, 500us);
          row("floor, spinning 500 us", stamped(server, floor.port(), count, 5ms));
        }
        FaultlineProxy proxy(server.port(), faultline::latency_fault({latency, 0ns, {}, faultline::NetDirection::upstream, 1.0}));
        row("faultline", stamped(server, proxy.port(), count, 5ms));
      }
    };
    if (latency_only) {
      latency_section();
      return 0;
    }

    // The peers, all forwarding to the same server.
    FaultlineProxy faultline_proxy(server.port());
    const std::uint16_t haproxy_port = free_port();
    const std::string cfg = "/tmp/faultline-bench-haproxy.cfg";
    std::ofstream(cfg) << fmt::format(
        "global\n  nbthread 1\n  maxconn 256\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n"
        "  timeout server 60s\nlisten bench\n  bind 127.0.0.1:{}\n  server s 127.0.0.1:{}\n",
        haproxy_port, server.port());
    Child haproxy(pinned({"haproxy", "-db", "-f", cfg}));
    const std::uint16_t socat_port = free_port();
    Child socat(pinned({"socat", "-b", "65536",
                              fmt::format("TCP-LISTEN:{},bind=127.0.0.1,reuseaddr,fork,nodelay", socat_port),
                              fmt::format("TCP:127.0.0.1:{},nodelay", server.port())}));

    std::vector<Peer> peers = {{"direct loopback", server.port()}};
    if (haproxy.started() && await_listening(haproxy_port)) peers.push_back({"HAProxy 2.6 (tcp, 1 thread)", haproxy_port});
    else fmt::print("(HAProxy not available: apt-get install haproxy)\n");
    if (socat.started() && await_listening(socat_port)) peers.push_back({"socat 1.7", socat_port});
    else fmt::print("(socat not available: apt-get install socat)\n");
    peers.push_back({"faultline, no fault", faultline_proxy.port()});

    // Round robin over the peers, so that a burst of load from elsewhere on
    // the machine falls on all of them alike; samples are pooled per peer.
    constexpr int kTrials = 5;
    fmt::print("## Throughput and round trip ({} MiB per stream, median of {}; {} round trips, pooled from {} "
               "interleaved trials)\n\n",
               stream_bytes >> 20, kTrials, rounds, kTrials);
    std::vector<std::vector<double>> mbps(peers.size());
    std::vector<std::vector<Nanos>> rtts(peers.size());
    for (int trial = 0; trial < kTrials; ++trial)
      for (std::size_t i = 0; i < peers.size(); ++i) {
        mbps[i].push_back(throughput(server, peers[i].port, stream_bytes));
        auto r = ping_pong(server, peers[i].port, 500, rounds / kTrials);
        rtts[i].insert(rtts[i].end(), r.begin(), r.end());
      }
    fmt::print("| path | throughput | RTT p50 | RTT p99 | added p50 | added p99 |\n|---|---|---|---|---|---|\n");
    const Percentiles direct = percentiles(rtts[0]);
    for (std::size_t i = 0; i < peers.size(); ++i) {
      const Percentiles rtt = percentiles(rtts[i]);
      fmt::print("| {} | {:.0f} MB/s | {:.1f} us | {:.1f} us | {} | {} |\n", peers[i].name, median(mbps[i]), rtt.p50,
                 rtt.p99, i == 0 ? "-" : fmt::format("{:+.1f} us", rtt.p50 - direct.p50),
                 i == 0 ? "-" : fmt::format("{:+.1f} us", rtt.p99 - direct.p99));
    }
    std::fflush(stdout);

    latency_section();

    fmt::print("\n## net.bandwidth accuracy (bytes / (last byte read - first write), 2 s transfers)\n\n");
    fmt::print("| configured | delivered | error |\n|---|---|---|\n");
    for (const double rate : {1e3, 10e3, 100e3, 1e6, 10e6, 100e6}) {
      const double got = delivered_rate(server, rate, quick ? 1s : 2s);
      fmt::print("| {} | {} | {:+.2f} % |\n", rate_text(rate), rate_text(got), 100.0 * (got - rate) / rate);
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "proxy_bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
