// The links of one run: bound before anything else (so that {link.NAME} has
// a value when placeholders are resolved and services can connect through a
// link from their first moment), started once the io_context exists, found
// by name by the net.* injectors, stopped after the clone at teardown.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fault_injectors/proxy/proxy_link.hpp"
#include "os/clock.hpp"
#include "record/record.hpp"
#include "scenario/scenario.hpp"
#include "scenario/topology.hpp"

namespace faultline {

namespace asio = boost::asio;

/// Every [[link]] of a run.
class LinkSet {
 public:
  LinkSet() = default;
  ~LinkSet();
  LinkSet(const LinkSet&) = delete;
  LinkSet& operator=(const LinkSet&) = delete;

  /// Opens a listening socket on 127.0.0.1 for each link, on a port the
  /// kernel picks (no window in which another process could take it), and
  /// returns each link's port by name. Throws std::system_error.
  std::map<std::string, std::uint16_t> bind(const std::vector<LinkSpec>& links);

  /// Starts forwarding. `resolved` is the scenario with its placeholders
  /// substituted, so that each link's `to` is a literal "HOST:PORT"; its
  /// services and links give the topology net.partition cuts. Throws
  /// std::runtime_error naming a link whose `to` is not a loopback address
  /// or whose socket was not bound. Call it on the thread that runs `ex`:
  /// it sets that thread's timer slack to 1 ns, so fault delays are on time.
  void start(asio::any_io_executor ex, const Scenario& resolved, const RunClock& clock);

  /// Stops every link (see proxy::Link::stop). Idempotent.
  void stop();

  /// The running link named `name`, or nullptr.
  proxy::Link* find(const std::string& name);

  /// The scenario's services in declaration order, and both ends of each link.
  const std::vector<std::string>& services() const { return services_; }
  const std::vector<LinkEnds>& ends() const { return ends_; }

  /// How many times fault `fault` was applied before in iteration
  /// `iteration` (0 the first time): with the seed, it keeps the random
  /// draws of repeated applications apart and replayable.
  std::uint64_t next_application(const std::string& fault, int iteration);

  /// What each link counted, in declaration order.
  std::vector<LinkStats> stats() const;

 private:
  std::vector<std::pair<std::string, int>> bound_;  ///< listening sockets not yet started, by link name
  std::vector<std::unique_ptr<proxy::Link>> links_;
  std::vector<std::string> services_;
  std::vector<LinkEnds> ends_;
  std::map<std::pair<std::string, int>, std::uint64_t> applications_;
};

/// Parses a resolved link address: "127.0.0.1:6379", "[::1]:6379" or
/// "localhost:6379" (as 127.0.0.1). nullopt for anything else, including a
/// host that is not a loopback address.
std::optional<boost::asio::ip::tcp::endpoint> loopback_endpoint(const std::string& to);

}  // namespace faultline
