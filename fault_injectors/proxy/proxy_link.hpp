// One [[link]]: a TCP proxy listening on a loopback port of its own and
// forwarding every connection to the link's `to`. Network faults are added
// to and removed from a link while it runs; each one reaches the connections
// that are open when it is added and every connection accepted while it
// stays, with an effect drawn per connection from a seed, so that a replay
// with the same seed makes the same draws.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fault_injectors/proxy/proxy_connection.hpp"
#include "fault_injectors/proxy/proxy_stage.hpp"
#include "os/clock.hpp"
#include "record/record.hpp"

namespace faultline::proxy {

/// Names one application of a fault in the link's record, and seeds it.
struct FaultLabel {
  std::string fault;  ///< FaultSpec::name
  std::string kind;
  int iteration = 0;
  std::uint64_t seed = 0;  ///< every draw of this application derives from it
  double toxicity = 1.0;   ///< chance, per connection, that the fault acts on it
};

/// A running TCP proxy.
class Link {
 public:
  /// `acceptor` is open and listening; `server` is where connections go.
  /// `http`: protocol = "http" (every connection frames HTTP/1.1, http_exchange.hpp).
  Link(asio::any_io_executor ex, std::string name, std::string to, tcp::endpoint server, tcp::acceptor acceptor,
       const RunClock& clock, bool http = false);
  /// Stops the link first; safe while its coroutines are still winding down.
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  /// Starts accepting.
  void start();
  /// Stops accepting and closes every connection (an orderly close); every
  /// coroutine of the link ends soon after, on its own.
  void stop();

  /// Applies a fault to the open connections and to every new one until it
  /// is removed. Returns its id on this link.
  std::uint64_t add_fault(std::shared_ptr<LinkFault> fault, FaultLabel label);
  /// Removes a fault from the link and every connection. Idempotent.
  void remove_fault(std::uint64_t id);
  /// Whether anything of fault `id` is still applied anywhere on the link:
  /// what revert reads back.
  bool applied(std::uint64_t id) const;

  const std::string& name() const { return name_; }
  /// The port the link listens on ({link.NAME}).
  std::uint16_t port() const { return port_; }
  /// Connections currently open.
  std::size_t open_connections() const { return connections_.size(); }
  /// Everything counted so far.
  LinkStats stats() const;
  /// The live counters, with what the record does not keep (bytes spliced).
  const LinkCounters& counters() const { return counters_; }

 private:
  struct Active {
    std::uint64_t id = 0;
    std::shared_ptr<LinkFault> fault;
    FaultLabel label;
    std::size_t window = 0;  ///< index into windows_
  };

  /// Accepts until stopped; `alive` is alive_, checked after every wait.
  asio::awaitable<void> accept_loop(std::shared_ptr<bool> alive);
  void accepted(tcp::socket socket);
  /// The effect of `a` on connection number `serial` (toxicity applied).
  Effect draw(Active& a, std::uint64_t serial);
  /// The open connections by serial, as a copy: attaching or detaching an
  /// effect may end a connection and so change connections_.
  std::vector<std::pair<std::uint64_t, std::shared_ptr<Connection>>> snapshot() const;

  asio::any_io_executor ex_;
  std::string name_;
  std::string to_;
  tcp::endpoint server_;
  tcp::acceptor acceptor_;
  asio::steady_timer backoff_;
  const RunClock& clock_;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
  std::uint64_t next_fault_ = 0;
  std::uint64_t next_serial_ = 0;
  std::uint64_t accepted_ = 0;
  LinkCounters counters_;
  std::vector<Active> active_;
  std::vector<LinkFaultWindow> windows_;
  std::map<std::uint64_t, std::shared_ptr<Connection>> connections_;  ///< open ones, by serial
  /// False once the link is destroyed: the accept loop, resumed after that
  /// by its cancelled accept, must not touch the link.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool http_ = false;
};

}  // namespace faultline::proxy
