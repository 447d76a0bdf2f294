// One proxied TCP connection: the client's socket (accepted by the link),
// the server's socket (connected by the proxy) and a pipe for each
// direction. Faults reach a connection as effects (proxy_stage.hpp): stages
// for its pipes, an action on the whole connection (reset, close) after a
// delay, or a hold on connecting to the server. Each fault's effect can be
// detached again without disturbing the others or the bytes in flight.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "fault_injectors/proxy/http_exchange.hpp"
#include "fault_injectors/proxy/proxy_pipe.hpp"
#include "fault_injectors/proxy/proxy_stage.hpp"

namespace faultline::proxy {

/// Counters of one link, shared by its connections.
struct LinkCounters {
  DirectionCounters upstream;
  DirectionCounters downstream;
  std::uint64_t resets = 0;  ///< connections reset by a fault
  HttpCounters http;         ///< protocol = "http" only
};

/// One client connection through a link.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  /// `done` is called once, when the connection is over (both directions
  /// closed, or aborted); the link then forgets it. `http`: the link's
  /// protocol is HTTP, so the pipes frame it (http_exchange.hpp).
  Connection(asio::any_io_executor ex, tcp::socket client, tcp::endpoint server, LinkCounters& counters,
             std::function<void(Connection&)> done, bool http = false);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Starts forwarding: the client's data is read at once, the server is
  /// connected as soon as no fault holds the connection back. Effects of
  /// faults already applied must be attached before.
  void start();

  /// Applies a fault's effect. An action due now (reset, close) happens at once.
  void attach(std::uint64_t fault, Effect effect);
  /// Removes a fault's effect: its stages release what they held, its
  /// pending action is cancelled, its hold on connecting is lifted.
  void detach(std::uint64_t fault);
  /// Whether anything of `fault` is still attached.
  bool has(std::uint64_t fault) const;

  /// Ends the connection now: both peers get an RST when `reset`, an
  /// orderly close otherwise. Idempotent.
  void abort(bool reset);
  /// Whether the connection is over.
  bool over() const { return over_; }

 private:
  asio::awaitable<void> connect(std::shared_ptr<Connection> self);
  void pipe_finished();
  void run_action(std::uint64_t fault, Effect::Action action);
  void end();

  asio::any_io_executor ex_;
  tcp::socket client_;
  tcp::socket server_;
  tcp::endpoint server_endpoint_;
  LinkCounters& counters_;
  std::function<void(Connection&)> done_;
  Pipe up_;    ///< client -> server
  Pipe down_;  ///< server -> client
  std::set<std::uint64_t> holds_;  ///< faults holding the connect back
  std::map<std::uint64_t, std::unique_ptr<asio::steady_timer>> actions_;  ///< pending actions by fault
  asio::steady_timer connect_wake_;
  std::shared_ptr<HttpExchange> http_;  ///< null unless the link's protocol is HTTP
  bool started_ = false;
  bool connected_ = false;
  bool over_ = false;
};

}  // namespace faultline::proxy
