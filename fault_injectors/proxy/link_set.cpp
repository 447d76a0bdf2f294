#include "fault_injectors/proxy/link_set.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <charconv>
#include <fmt/format.h>
#include <stdexcept>
#include <system_error>

namespace faultline {

namespace {

/// Listening sockets queue this many connections before the link accepts them.
constexpr int kBacklog = 1024;

/// A TCP socket listening on 127.0.0.1 at a port the kernel picks.
int listen_loopback(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, kBacklog) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::system_error(err, std::generic_category(), "listening on a loopback port for a link");
  }
  port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

std::optional<boost::asio::ip::tcp::endpoint> loopback_endpoint(const std::string& to) {
  const auto colon = to.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string host = to.substr(0, colon);
  const std::string port_text = to.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) return std::nullopt;
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code bad;
  const auto address = boost::asio::ip::make_address(host, bad);
  if (bad || !address.is_loopback()) return std::nullopt;
  return boost::asio::ip::tcp::endpoint(address, static_cast<std::uint16_t>(port));
}

LinkSet::~LinkSet() {
  for (auto& [name, fd] : bound_) ::close(fd);
}

std::map<std::string, std::uint16_t> LinkSet::bind(const std::vector<LinkSpec>& links) {
  std::map<std::string, std::uint16_t> ports;
  for (const auto& l : links) {
    std::uint16_t port = 0;
    bound_.emplace_back(l.name, listen_loopback(port));
    ports[l.name] = port;
  }
  return ports;
}

void LinkSet::start(asio::any_io_executor ex, const Scenario& resolved, const RunClock& clock) {
  // Delays of network faults are timers on this thread. Linux lets a timer
  // fire up to the thread's timer slack late (50 us by default) to batch
  // wake-ups; a latency fault wants it on time, so the slack goes to 1 ns.
  if (!resolved.links.empty()) ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  services_ = service_names(resolved);
  ends_ = link_ends(resolved);
  for (const auto& spec : resolved.links) {
    auto it = std::find_if(bound_.begin(), bound_.end(), [&](const auto& b) { return b.first == spec.name; });
    if (it == bound_.end()) throw std::runtime_error(fmt::format("link '{}' has no listening socket", spec.name));
    const auto server = loopback_endpoint(spec.to);
    if (!server)
      throw std::runtime_error(
          fmt::format("link '{}' forwards to '{}', which is not a loopback HOST:PORT", spec.name, spec.to));
    proxy::tcp::acceptor acceptor(ex);
    boost::system::error_code ec;
    acceptor.assign(proxy::tcp::v4(), it->second, ec);
    if (ec) throw std::runtime_error(fmt::format("link '{}': {}", spec.name, ec.message()));
    bound_.erase(it);
    links_.push_back(
        std::make_unique<proxy::Link>(ex, spec.name, spec.to, *server, std::move(acceptor), clock, spec.http));
    links_.back()->start();
  }
}

void LinkSet::stop() {
  for (auto& l : links_) l->stop();
}

proxy::Link* LinkSet::find(const std::string& name) {
  for (auto& l : links_)
    if (l->name() == name) return l.get();
  return nullptr;
}

std::uint64_t LinkSet::next_application(const std::string& fault, int iteration) {
  return applications_[{fault, iteration}]++;
}

std::vector<LinkStats> LinkSet::stats() const {
  std::vector<LinkStats> out;
  for (const auto& l : links_) out.push_back(l->stats());
  return out;
}

}  // namespace faultline
