// proxy_bench: faultline's link as users run it (a `faultline run` process
// with a [[link]] and no fault applied) against direct loopback, HAProxy at
// its defaults and at its best, socat, and the limit for any relay: a
// minimal blocking splice(2) relay written for this benchmark; then the
// accuracy of the latency and bandwidth faults. Not part of the test suite:
// run it by hand (see docs/benchmarks.md), it prints Markdown tables.
//
//   ninja -C build faultline tests/bench/proxy_bench && build/tests/bench/proxy_bench [--quick] [--pin] [--latency|--throughput|--http|--bandwidth]
//
// --quick: smaller streams and fewer samples; --latency: only the latency
// fault's accuracy, against its floors; --bandwidth: only the bandwidth
// fault's accuracy; --throughput: only the paths'
// throughput, CPU and round trip (no accuracy parts); --http: only the round trip of
// HTTP/1.1 requests through a link with protocol = "http" against a plain
// link (both in-process, no fault: what the framing costs); --pin: everything (client, server,
// every proxy process) on CPU 0. On a virtual machine a wake-up across vCPUs
// can cost tens of microseconds, so without pinning a round trip depends
// mostly on where the scheduler happened to put each thread; on one CPU it
// measures what each proxy itself costs. FAULTLINE_BIN names the faultline
// binary (default: build/faultline beside this program's directory).
//
// Every path forwards to the same sink/echo server (a thread with blocking
// sockets); the client is another thread. Each proxy is a process of its
// own: `faultline run` on a generated scenario (a [[link]] to the server, a
// service that only reports the link's port, an exec probe every 5 s, one
// exec fault an hour away, so that nothing is applied while measuring);
// HAProxy 2.6 in TCP mode with one thread, at Debian's defaults (16 KiB
// buffers) and at its best (`tune.bufsize 65536`, `option splice-auto`),
// and at its best again in a second process, a control: what two equal
// proxies differ by on this machine in one run, its configurations in a
// private temporary directory; socat (fork, nodelay,
// 64 KiB buffer); the splice relay (this program re-executed with
// --splice-relay: per connection a thread per direction, blocking splice
// from the socket into a pipe of 256 KiB, faultline's size, and from the
// pipe into the other socket), and a second relay process, the relay's
// control.
//
// Measured:
//  - single-stream throughput: one connection sends N MiB to a sink; time
//    from the first write to the sink's last read; the median of the trials;
//  - CPU per GiB of each proxy process during the throughput trials
//    (user + system time from /proc/PID/stat, children included, so that
//    socat's forked ones count);
//  - 64-byte ping-pong round trip: p50 and p99 over the pooled round trips
//    (after 500 warm-up ones per connection), and what each path adds to
//    direct loopback;
// The paths are measured round robin, each trial starting one path further
// on, so that load from elsewhere on the machine falls on all of them alike
// and no path always follows the same one; the load average is printed
// before and after. Each trial's figures of the relays, the HAProxys at their
// best and faultline follow in a table of their own, with the ratios within
// each trial (faultline to the relay and to HAProxy at its best, each
// control to its original): the paths of one trial ran seconds apart, so a
// ratio within a trial cancels most of what the machine's load did, and the
// controls' ratios show how far equal proxies stray.
//  - net.latency accuracy: one-way delay of 64-byte messages minus the
//    configured latency, for 1 ms to 1 s, through faultline and through two
//    floors measured in the same run (FloorDelay: a bare sleeping relay, and
//    the same relay busy-waiting the last 500 us), so that what the machine's
//    timers cost is not put down to the proxy;
//  - net.bandwidth accuracy: bytes / (last byte read - first write) against
//    the configured rate, from 1 KB/s to 100 MB/s.
// The two accuracy parts run faultline's proxy on a thread of this process
// (the LinkSet as the runner starts it), with the fault applied from the start.
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
#include <sys/stat.h>
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
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <mutex>
#include <optional>
#include <condition_variable>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fault_injectors/http_kind.hpp"
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
  enum class Mode { sink, echo, stamp, http };
  /// Mode::http: each request is `http_request.size()` bytes, answered with `http_response`.
  std::string http_request, http_response;
  Server() : fd_(listen_any(port_)) {}
  ~Server() { ::close(fd_); }
  std::uint16_t port() const { return port_; }
  /// Connections accepted so far.
  int accepted() const { return accepted_; }

  /// Serves one connection in `mode` on a thread; the future gives what was measured.
  std::future<std::vector<Nanos>> serve(Mode mode) {
    return std::async(std::launch::async, [this, mode] {
      pin(0);
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) die("accept");
      ++accepted_;
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
      } else if (mode == Mode::http) {
        while (read_all(c, buf.data(), http_request.size())) write_all(c, http_response.data(), http_response.size());
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
  std::atomic<int> accepted_{0};
};

// ---------------------------------------------------------------- the peers

/// A forwarder between the client and the server.
struct Peer {
  std::string name;
  std::uint16_t port = 0;  ///< where the client connects
  pid_t pid = -1;          ///< the proxy's process, whose CPU time is counted (none for direct loopback)
};

/// CPU time (user + system, reaped children included) of process `pid`, in clock ticks.
long cpu_ticks(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  long total = 0;
  for (int i = 3; i <= 17 && fields >> f; ++i)
    if (i >= 14) total += std::stol(f);  // utime, stime, cutime, cstime
  return total;
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

/// faultline's proxy on its own thread, optionally with a fault applied.
class FaultlineProxy {
 public:
  FaultlineProxy(std::uint16_t server_port, std::shared_ptr<faultline::proxy::LinkFault> fault = nullptr,
                 bool http = false) {
    faultline::Scenario s;
    s.links = {faultline::LinkSpec{"bench", fmt::format("127.0.0.1:{}", server_port), "", {}, {}, http}};
    port_ = set_.bind(s.links).at("bench");
    // Started on the proxy's own thread, as the runner starts links on its,
    // and handed out only once it runs with its fault applied, as a run's
    // links are before anything connects (a client connecting earlier could
    // see its first bytes pass before the fault applies).
    std::promise<void> started;
    auto ready = started.get_future();
    boost::asio::post(io_, [this, s, fault, &started] {
      set_.start(io_.get_executor(), s, clock_);
      if (fault) set_.find("bench")->add_fault(fault, {"bench", "bench", 1, 1, 1.0});
      started.set_value();
    });
    thread_ = std::thread([this] {
      pin(0);
      io_.run();
    });
    ready.wait();
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
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

/// A private temporary directory, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "faultline-proxy-bench-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) die("mkdtemp");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// The limit: a minimal blocking splice relay (this program with
/// --splice-relay LISTEN_PORT TARGET_PORT). Per connection one thread per
/// direction: splice from the socket into a pipe, from the pipe into the
/// other socket, until the source closes. The pipe is as large as
/// faultline's (kRelayPipe, 256 KiB, proxy_splice.cpp), so that the limit
/// is not handicapped by more system calls per byte than faultline makes.
[[noreturn]] void splice_relay(std::uint16_t listen_port, std::uint16_t target_port) {
  const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(listen_port);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) || ::listen(lfd, 64)) die("relay listen");
  auto pump = [](int in, int out) {
    constexpr int kRelayPipe = 256 * 1024;
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return;
    if (::fcntl(p[1], F_SETPIPE_SZ, kRelayPipe) < kRelayPipe) die("relay pipe size");
    for (;;) {
      ssize_t n = ::splice(in, nullptr, p[1], nullptr, kRelayPipe, SPLICE_F_MOVE);
      if (n <= 0) break;
      while (n > 0) {
        const ssize_t m = ::splice(p[0], nullptr, out, nullptr, static_cast<std::size_t>(n), SPLICE_F_MOVE);
        if (m <= 0) return;
        n -= m;
      }
    }
    ::shutdown(out, SHUT_WR);
    ::close(p[0]);
    ::close(p[1]);
  };
  for (;;) {
    const int c = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const int s = connect_to(target_port);
    if (s < 0) {
      ::close(c);
      continue;
    }
    std::thread([c, s, pump] {
      std::thread down(pump, s, c);
      pump(c, s);
      down.join();
      ::close(c);
      ::close(s);
    }).detach();
  }
}

/// The faultline binary: FAULTLINE_BIN, or build/faultline beside build/tests/bench/.
std::string faultline_bin() {
  if (const char* bin = std::getenv("FAULTLINE_BIN")) return bin;
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "../../faultline").lexically_normal().string();
}

/// `faultline run` as users run it, with one [[link]] to the server and no
/// fault applied while the benchmark measures.
class FaultlineRun {
 public:
  explicit FaultlineRun(std::uint16_t server_port) {
    const auto port_file = dir_.path() / "link-port";
    const auto scenario = dir_.path() / "bench.toml";
    std::ofstream(scenario) << fmt::format(
        "name = \"proxy-bench\"\nsteady_for = \"0s\"\n\n"
        "[[link]]\nname = \"bench\"\nto = \"127.0.0.1:{}\"\n\n"
        "[[service]]\nname = \"holder\"\n"
        "command = [\"sh\", \"-c\", \"echo {{link.bench}} > {}.tmp && mv {}.tmp {} && exec sleep 86400\"]\n\n"
        "[[probe]]\nname = \"alive\"\nkind = \"exec\"\ncommand = [\"true\"]\ninterval = \"5s\"\n\n"
        "[[fault]]\nkind = \"exec\"\napply = [\"true\"]\nat = \"1h\"\n",
        server_port, port_file.string(), port_file.string(), port_file.string());
    child_.emplace(pinned({faultline_bin(), "run", scenario.string(), "--out", (dir_.path() / "out").string()}));
    const auto deadline = Clock::now() + 60s;
    while (Clock::now() < deadline && !std::filesystem::exists(port_file))
      std::this_thread::sleep_for(20ms);  // polling a child process's start-up: there is no event to wait for
    std::ifstream in(port_file);
    int port = 0;
    in >> port;
    port_ = static_cast<std::uint16_t>(port);
  }
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return child_ ? child_->pid() : -1; }
  bool started() const { return port_ != 0; }

 private:
  TempDir dir_;
  std::optional<Child> child_;
  std::uint16_t port_ = 0;
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

/// Round trips of HTTP/1.1 requests through `port`, one after another on one
/// keep-alive connection (the server answers server.http_response to each).
std::vector<Nanos> http_round_trips(Server& server, std::uint16_t port, int warmup, int rounds) {
  auto done = server.serve(Server::Mode::http);
  const int fd = connect_to(port);
  if (fd < 0) die("connect");
  std::vector<char> response(server.http_response.size());
  std::vector<Nanos> rtt;
  rtt.reserve(static_cast<std::size_t>(rounds));
  for (int i = 0; i < warmup + rounds; ++i) {
    const auto t0 = Clock::now();
    write_all(fd, server.http_request.data(), server.http_request.size());
    if (!read_all(fd, response.data(), response.size())) die("http response");
    if (i >= warmup) rtt.push_back(Clock::now() - t0);
  }
  ::close(fd);
  done.get();
  return rtt;
}

/// A plain link against one with protocol = "http", no fault on either, on
/// requests answered with a `body_bytes` body (Content-Length or chunked).
void http_section(Server& server, int rounds, int trials) {
  fmt::print("\n## HTTP link round trip, no fault (protocol = \"http\" against a plain link; {} keep-alive requests "
             "per path, pooled from {} interleaved trials{})\n\n",
             rounds, trials, g_pin ? "; everything on CPU 0" : "; unpinned");
  fmt::print("| response | plain p50 | plain p99 | http p50 | http p99 | ratio p50 | ratio p99 |\n"
             "|---|---|---|---|---|---|---|\n");
  server.http_request = "GET /bench/item?id=1 HTTP/1.1\r\nHost: bench\r\nUser-Agent: proxy_bench\r\nAccept: */*\r\n\r\n";
  struct Shape {
    const char* name;
    std::string response;
  };
  const std::string body16k(16 * 1024, 'x');
  const std::vector<Shape> shapes = {
      {"2 B, Content-Length", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"},
      {"16 KiB, Content-Length",
       "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 16384\r\n\r\n" + body16k},
      {"16 KiB, chunked (4 x 4 KiB)", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                          [&] {
                                            std::string c;
                                            for (int i = 0; i < 4; ++i) c += "1000\r\n" + std::string(4096, 'y') + "\r\n";
                                            return c + "0\r\n\r\n";
                                          }()},
  };
  FaultlineProxy plain(server.port());
  FaultlineProxy http(server.port(), nullptr, true);
  for (const auto& shape : shapes) {
    server.http_response = shape.response;
    std::vector<Nanos> a, b;
    for (int t = 0; t < trials; ++t) {
      auto r = http_round_trips(server, plain.port(), 200, rounds / trials);
      a.insert(a.end(), r.begin(), r.end());
      r = http_round_trips(server, http.port(), 200, rounds / trials);
      b.insert(b.end(), r.begin(), r.end());
    }
    const Percentiles pa = percentiles(a), pb = percentiles(b);
    fmt::print("| {} | {:.1f} us | {:.1f} us | {:.1f} us | {:.1f} us | {:.2f}x | {:.2f}x |\n", shape.name, pa.p50, pa.p99,
               pb.p50, pb.p99, pb.p50 / pa.p50, pb.p99 / pa.p99);
    std::fflush(stdout);
  }

  // http.delay against net.latency: the same requests (2 B responses), the
  // request held `d` by each; round trip minus d.
  fmt::print("\n## http.delay accuracy against net.latency (round trip minus the configured delay, requests held "
             "upstream, 2 B responses)\n\n");
  fmt::print("| delay | path | requests | p50 | p99 | max |\n|---|---|---|---|---|---|\n");
  server.http_response = shapes[0].response;
  for (const Nanos d : {Nanos(1ms), Nanos(10ms), Nanos(100ms)}) {
    const int count = d >= 100ms ? 50 : 200;
    auto row = [&](const char* path, std::vector<Nanos> rtt) {
      for (auto& x : rtt) x -= d;
      const Percentiles p = percentiles(rtt);
      fmt::print("| {} | {} | {} | {:+.0f} us | {:+.0f} us | {:+.0f} us |\n", faultline::format_duration(d), path,
                 rtt.size(), p.p50, p.p99, p.max);
      std::fflush(stdout);
    };
    {
      FaultlineProxy latency(server.port(),
                             faultline::latency_fault({d, 0ns, {}, faultline::NetDirection::upstream, 1.0}));
      row("net.latency, plain link", http_round_trips(server, latency.port(), 5, count));
    }
    faultline::proxy::HttpRule rule;
    rule.action = faultline::proxy::HttpRule::Action::delay_request;
    rule.delay = d;
    FaultlineProxy delay(server.port(), faultline::http_link_fault(rule), true);
    row("http.delay, HTTP link", http_round_trips(server, delay.port(), 5, count));
  }
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
  const int accepted = server.accepted();
  auto result = server.serve(Server::Mode::sink);
  const int fd = connect_to(proxy.port());
  if (fd < 0) die("connect");
  std::vector<char> data(bytes, 'b');
  // The clock starts once the link's connection to the server is up: what
  // connecting through the proxy takes (its accept, its own connect, the
  // server's accept on a thread started for it) is not the fault's rate.
  const auto deadline = Clock::now() + 5s;
  while (server.accepted() == accepted) {
    if (Clock::now() > deadline) {
      ::close(fd);
      // The server thread still waits in accept: a connection of our own
      // ends it, so that nothing is left blocked when this throws.
      if (const int unblock = connect_to(server.port()); unblock >= 0) ::close(unblock);
      result.wait();
      throw std::runtime_error("the link did not connect to the server within 5 s");
    }
    std::this_thread::sleep_for(1ms);  // no event to wait for across the two threads
  }
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
  bool throughput_only = false;  // only the paths' throughput, CPU and round trip
  bool http_only = false;     // only the HTTP link against a plain one
  bool bandwidth_only = false;  // only the bandwidth fault's accuracy
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") quick = true;
    else if (a == "--latency") latency_only = true;
    else if (a == "--throughput") throughput_only = true;
    else if (a == "--http") http_only = true;
    else if (a == "--bandwidth") bandwidth_only = true;
    else if (a == "--pin") g_pin = true;
    else if (a == "--splice-relay" && i + 2 < argc)
      splice_relay(static_cast<std::uint16_t>(std::stoi(argv[i + 1])), static_cast<std::uint16_t>(std::stoi(argv[i + 2])));
    else {
      fmt::print(stderr, "usage: proxy_bench [--quick] [--pin] [--latency|--throughput|--http|--bandwidth]\n");
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
    auto bandwidth_section = [&] {
      fmt::print("\n## net.bandwidth accuracy (bytes / (last byte read - first write), {} transfers)\n\n",
                 quick ? "1 s" : "2 s");
      fmt::print("| configured | delivered | error |\n|---|---|---|\n");
      for (const double rate : {1e3, 10e3, 100e3, 1e6, 10e6, 100e6}) {
        const double got = delivered_rate(server, rate, quick ? 1s : 2s);
        fmt::print("| {} | {} | {:+.2f} % |\n", rate_text(rate), rate_text(got), 100.0 * (got - rate) / rate);
        std::fflush(stdout);
      }
    };
    if (latency_only) {
      latency_section();
      return 0;
    }
    if (bandwidth_only) {
      bandwidth_section();
      return 0;
    }
    if (http_only) {
      fmt::print("load average before: {}\n", load_average());
      http_section(server, rounds, quick ? 3 : 7);
      fmt::print("\nload average after: {}\n", load_average());
      return 0;
    }

    // The peers, all forwarding to the same server; each proxy a process.
    TempDir private_dir;  // HAProxy's configurations: two benchmarks at once must not collide
    auto haproxy_cfg = [&](const std::string& name, std::uint16_t port, bool best) {
      const auto cfg = (private_dir.path() / (name + ".cfg")).string();
      std::ofstream(cfg) << fmt::format(
          "global\n  nbthread 1\n  maxconn 256\n{}defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n"
          "  timeout server 60s\n{}listen bench\n  bind 127.0.0.1:{}\n  server s 127.0.0.1:{}\n",
          best ? "  tune.bufsize 65536\n" : "", best ? "  option splice-auto\n" : "", port, server.port());
      return cfg;
    };
    const std::uint16_t haproxy_port = free_port();
    Child haproxy(pinned({"haproxy", "-db", "-f", haproxy_cfg("default", haproxy_port, false)}));
    const std::uint16_t haproxy_best_port = free_port();
    Child haproxy_best(pinned({"haproxy", "-db", "-f", haproxy_cfg("best", haproxy_best_port, true)}));
    // The control: a second, identical HAProxy at its best. How far it
    // strays from the first in the same run is how finely this machine lets
    // two proxies of equal cost be told apart.
    const std::uint16_t control_port = free_port();
    Child control(pinned({"haproxy", "-db", "-f", haproxy_cfg("control", control_port, true)}));
    const std::uint16_t socat_port = free_port();
    Child socat(pinned({"socat", "-b", "65536",
                        fmt::format("TCP-LISTEN:{},bind=127.0.0.1,reuseaddr,fork,nodelay", socat_port),
                        fmt::format("TCP:127.0.0.1:{},nodelay", server.port())}));
    const std::uint16_t relay_port = free_port();
    auto relay_argv = [&](std::uint16_t port) {
      return pinned({std::filesystem::read_symlink("/proc/self/exe").string(), "--splice-relay", std::to_string(port),
                     std::to_string(server.port())});
    };
    Child relay(relay_argv(relay_port));
    const std::uint16_t relay_control_port = free_port();  // the relay's own control, as HAProxy's below
    Child relay_control(relay_argv(relay_control_port));
    FaultlineRun faultline_run(server.port());

    std::vector<Peer> peers = {{"direct loopback", server.port(), -1}};
    if (relay.started() && await_listening(relay_port)) peers.push_back({"splice relay (the limit)", relay_port, relay.pid()});
    else throw std::runtime_error("the splice relay did not start");
    if (haproxy.started() && await_listening(haproxy_port)) {
      peers.push_back({"HAProxy 2.6, defaults", haproxy_port, haproxy.pid()});
      if (haproxy_best.started() && await_listening(haproxy_best_port))
        peers.push_back({"HAProxy 2.6, bufsize 64k + splice-auto", haproxy_best_port, haproxy_best.pid()});
    } else {
      fmt::print("(HAProxy not available: apt-get install haproxy)\n");
    }
    if (socat.started() && await_listening(socat_port)) peers.push_back({"socat 1.7", socat_port, socat.pid()});
    else fmt::print("(socat not available: apt-get install socat)\n");
    if (!faultline_run.started()) throw std::runtime_error("faultline run did not report its link's port (FAULTLINE_BIN?)");
    peers.push_back({"faultline run, no fault", faultline_run.port(), faultline_run.pid()});
    const std::size_t fl = peers.size() - 1;
    std::size_t best = 0, ctl = 0, relay_ctl = 0;  // 0: not running
    for (std::size_t i = 0; i < peers.size(); ++i)
      if (peers[i].port == haproxy_best_port) best = i;
    if (best && control.started() && await_listening(control_port)) {
      peers.push_back({"HAProxy 2.6 at its best, a second process (control)", control_port, control.pid()});
      ctl = peers.size() - 1;
    }
    if (relay_control.started() && await_listening(relay_control_port)) {
      peers.push_back({"splice relay, a second process (control)", relay_control_port, relay_control.pid()});
      relay_ctl = peers.size() - 1;
    }

    // Round robin over the peers, so that a burst of load from elsewhere on
    // the machine falls on all of them alike; samples are pooled per peer.
    const int trials = quick ? 3 : 7;
    fmt::print("load average before: {}\n\n", load_average());
    fmt::print("## Throughput, CPU and round trip ({} MiB per stream, median of {}; {} round trips, pooled from {} "
               "interleaved trials{})\n\n",
               stream_bytes >> 20, trials, rounds, trials, g_pin ? "; everything on CPU 0" : "; unpinned");
    std::vector<std::vector<double>> mbps(peers.size());
    std::vector<long> ticks(peers.size(), 0);
    std::vector<std::vector<Nanos>> rtts(peers.size());
    std::vector<std::vector<double>> trial_p50s(peers.size());  // each trial's own p50: how far placement luck moves it
    // Each trial starts one path further on, so that no path always follows
    // the same one (the controls would otherwise always run last).
    for (int trial = 0; trial < trials; ++trial)
      for (std::size_t k = 0; k < peers.size(); ++k) {
        const std::size_t i = (k + static_cast<std::size_t>(trial)) % peers.size();
        const long before = peers[i].pid > 0 ? cpu_ticks(peers[i].pid) : 0;
        mbps[i].push_back(throughput(server, peers[i].port, stream_bytes));
        std::this_thread::sleep_for(100ms);  // socat's forked child exits and is reaped, so that its time counts
        if (peers[i].pid > 0) ticks[i] += cpu_ticks(peers[i].pid) - before;
        auto r = ping_pong(server, peers[i].port, 500, rounds / trials);
        trial_p50s[i].push_back(percentiles(r).p50);
        rtts[i].insert(rtts[i].end(), r.begin(), r.end());
      }
    const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double gib = static_cast<double>(stream_bytes) * trials / static_cast<double>(1 << 30);
    fmt::print("| path | throughput | min..max | CPU per GiB | RTT p50 | trials' p50 min..max | RTT p99 | added p50 | added p99 |\n"
               "|---|---|---|---|---|---|---|---|---|\n");
    const Percentiles direct = percentiles(rtts[0]);
    for (std::size_t i = 0; i < peers.size(); ++i) {
      const Percentiles rtt = percentiles(rtts[i]);
      const auto [lo, hi] = std::minmax_element(mbps[i].begin(), mbps[i].end());
      const auto [p50_lo, p50_hi] = std::minmax_element(trial_p50s[i].begin(), trial_p50s[i].end());
      fmt::print("| {} | {:.0f} MB/s | {:.0f}..{:.0f} | {} | {:.1f} us | {:.1f}..{:.1f} | {:.1f} us | {} | {} |\n", peers[i].name,
                 median(mbps[i]), *lo, *hi,
                 peers[i].pid > 0 ? fmt::format("{:.2f} s", static_cast<double>(ticks[i]) / tick / gib) : "-", rtt.p50,
                 *p50_lo, *p50_hi, rtt.p99, i == 0 ? "-" : fmt::format("{:+.1f} us", rtt.p50 - direct.p50),
                 i == 0 ? "-" : fmt::format("{:+.1f} us", rtt.p99 - direct.p99));
    }
    fmt::print("\nfaultline run against each proxy (throughput ratio of the medians):");
    for (std::size_t i = 1; i < peers.size(); ++i)
      if (i != fl && i != ctl && i != relay_ctl) fmt::print(" {} {:.0f} %;", peers[i].name, 100.0 * median(mbps[fl]) / median(mbps[i]));
    if (best && ctl && relay_ctl) {
      // Trial by trial: the paths of one trial ran within seconds of each
      // other, so load from elsewhere falls on all of them alike, and a
      // ratio within a trial cancels most of it. The controls (each a second
      // process of its twin) show what two equal proxies differ by here.
      const std::size_t relay = 1;
      fmt::print("\n\n### Trial by trial (throughput; RTT p50 of the trial)\n\n"
                 "| trial | splice relay | relay control | HAProxy best | HAProxy control | faultline run | faultline / relay "
                 "| relay control / relay | faultline / HAProxy best | HAProxy control / HAProxy best |\n"
                 "|---|---|---|---|---|---|---|---|---|---|\n");
      for (std::size_t t = 0; t < static_cast<std::size_t>(trials); ++t)
        fmt::print("| {} | {:.0f} MB/s, {:.1f} us | {:.0f} MB/s | {:.0f} MB/s, {:.1f} us | {:.0f} MB/s, {:.1f} us "
                   "| {:.0f} MB/s, {:.1f} us | {:.0f} % | {:.0f} % | {:.0f} %, {:+.1f} us | {:.0f} %, {:+.1f} us |\n",
                   t + 1, mbps[relay][t], trial_p50s[relay][t], mbps[relay_ctl][t], mbps[best][t], trial_p50s[best][t],
                   mbps[ctl][t], trial_p50s[ctl][t], mbps[fl][t], trial_p50s[fl][t],
                   100.0 * mbps[fl][t] / mbps[relay][t], 100.0 * mbps[relay_ctl][t] / mbps[relay][t],
                   100.0 * mbps[fl][t] / mbps[best][t], trial_p50s[fl][t] - trial_p50s[best][t],
                   100.0 * mbps[ctl][t] / mbps[best][t], trial_p50s[ctl][t] - trial_p50s[best][t]);
      auto paired = [&](std::size_t a, std::size_t b, double at_least, const char* what) {
        std::vector<double> ratio, added;
        int held = 0, below = 0;
        for (std::size_t t = 0; t < static_cast<std::size_t>(trials); ++t) {
          ratio.push_back(mbps[a][t] / mbps[b][t]);
          added.push_back(trial_p50s[a][t] - trial_p50s[b][t]);
          held += ratio.back() >= at_least;
          below += added.back() < 0.0;
        }
        const auto [rlo, rhi] = std::minmax_element(ratio.begin(), ratio.end());
        const auto [alo, ahi] = std::minmax_element(added.begin(), added.end());
        fmt::print("\n{}: throughput ratio median {:.0f} % ({:.0f}..{:.0f} %; at least {:.0f} % in {} of {} trials); "
                   "RTT p50 difference median {:+.1f} us ({:+.1f}..{:+.1f}; below in {} of {})\n",
                   what, 100.0 * median(ratio), 100.0 * *rlo, 100.0 * *rhi, 100.0 * at_least, held, trials,
                   median(added), *alo, *ahi, below, trials);
      };
      paired(fl, relay, 0.9, "faultline run / splice relay");
      paired(relay_ctl, relay, 0.9, "relay control / splice relay");
      paired(fl, best, 1.0, "faultline run / HAProxy at its best");
      paired(ctl, best, 1.0, "HAProxy control / HAProxy at its best");
    } else {
      fmt::print("\n(no trial-by-trial table: HAProxy at its best or a control did not start)\n");
    }
    fmt::print("\nload average after: {}\n", load_average());
    std::fflush(stdout);
    if (throughput_only) return 0;

    latency_section();
    http_section(server, rounds, trials);

    bandwidth_section();
  } catch (const std::exception& e) {
    fmt::print(stderr, "proxy_bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
