// A real network of namespaces for the tests of the namespace injectors:
// hosts "a", "b" and "c" (one service each, of the same names) joined to a
// hub, built from a run id unique to this test process and torn down at the
// end, also when a check failed. Needs root (CI runs the tests as root).
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fmt/format.h>
#include <string>
#include <utility>

#include "os/netns.hpp"

namespace faultline::testing {

/// What a TCP connection attempt found within its deadline.
enum class Connect { connected, refused, timed_out, other };

/// A network of hosts a, b, c with a listener on `port` in every host.
struct NetFixture {
  Scenario scenario;
  NetworkPlan plan;
  int listeners[3] = {-1, -1, -1};
  static constexpr std::uint16_t port = 7000;

  NetFixture() {
    for (const char* n : {"a", "b", "c"}) {
      ServiceSpec s;
      s.name = n;
      scenario.services.push_back(s);
    }
    scenario.network = NetworkMode::namespaces;
    plan = plan_network(scenario, fmt::format("unit-{:06x}", static_cast<unsigned>(::getpid()) & 0xffffff));
    tear_down(plan.tag);  // a crashed earlier run of this process id
    bring_up(plan);
    try {
      listen_everywhere();
    } catch (...) {
      release();
      throw;
    }
  }

  void listen_everywhere() {
    for (int i = 0; i < 3; ++i) {
      const NetHost& h = plan.hosts[static_cast<std::size_t>(i)];
      listeners[i] = socket_in_netns(h.netns, AF_INET, SOCK_STREAM);
      sockaddr_in addr = address(h.address);
      int one = 1;
      ::setsockopt(listeners[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (::bind(listeners[i], reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listeners[i], 16) != 0)
        throw std::runtime_error("cannot listen in " + h.netns);
    }
  }
  ~NetFixture() { release(); }

  /// Closes the listeners and deletes the network (also when a check failed).
  void release() {
    for (int& fd : listeners)
      if (fd >= 0) ::close(std::exchange(fd, -1));
    try {
      tear_down(plan.tag);
    } catch (...) {
    }
  }

  static sockaddr_in address(const std::string& ip) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    return a;
  }

  const NetHost& host(const std::string& name) const { return *plan.host_of(name); }

  /// Connects from namespace `from_netns` to host `to`, waiting at most `deadline`.
  Connect connect(const std::string& from_netns, const std::string& to,
                  std::chrono::milliseconds deadline = std::chrono::milliseconds(1500)) const {
    const int fd = socket_in_netns(from_netns, AF_INET, SOCK_STREAM);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    sockaddr_in addr = address(host(to).address);
    Connect result = Connect::other;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      result = Connect::connected;
    } else if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      const int n = ::poll(&p, 1, static_cast<int>(deadline.count()));
      if (n == 0) {
        result = Connect::timed_out;
      } else {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        result = err == 0 ? Connect::connected : err == ECONNREFUSED ? Connect::refused : Connect::other;
      }
    } else if (errno == ECONNREFUSED) {
      result = Connect::refused;
    }
    ::close(fd);
    return result;
  }
};

inline const char* name(Connect c) {
  switch (c) {
    case Connect::connected: return "connected";
    case Connect::refused: return "refused";
    case Connect::timed_out: return "timed out";
    default: return "other error";
  }
}

}  // namespace faultline::testing
