// The HTTP side of one connection through a link with protocol = "http":
// the requests the client sent, in order, what the active http.* faults
// decided for each, and the two stages that carry those decisions out.
//
// The connection puts the request stage first in its upstream pipe and the
// response stage first in its downstream pipe, for its whole life (stage id
// 0, never removed), so TCP faults (net.*) stack behind them as on any link.
// Each stage frames its direction with an HttpFramer and forwards the
// original bytes, cut only at message boundaries: nothing is re-serialized
// unless a rule rewrites a response head (http.replace). Only a head is held
// while it is incomplete (a rule needs all of it to decide); body bytes pass
// as they arrive.
//
// When a request's head is complete, every rule of the active faults is
// asked in the order the faults were applied: a rule whose criteria hold
// counts the request as matched and acts on it with its probability, drawn
// from a stream seeded with the run's seed, the fault, the connection and
// the request's number on the connection, so a replay draws the same. An
// aborted request never reaches the server: its bytes are dropped (counted
// as discarded) and its answer is queued as the response to that request,
// sent once every earlier request has had its response (so keep-alive and
// pipelining keep their order). A held request or response is scheduled
// `delay` after its head arrived; what follows it on the connection waits
// behind it, as it would on the wire.
//
// Malformed traffic (http_framing.hpp) is passed through unchanged, byte for
// byte, for the rest of that connection, and no HTTP fault applies to it
// any more; so are the bytes after CONNECT or a 101 (another protocol).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fault_injectors/proxy/http_framing.hpp"
#include "fault_injectors/proxy/proxy_stage.hpp"

namespace faultline::proxy {

struct HttpRule;  // http_rule.hpp (kept out of this header: Boost.Regex is heavy, and every user of a link includes it)

/// HTTP counters of one link, shared by its connections.
struct HttpCounters {
  std::uint64_t requests = 0;  ///< request heads framed
  std::uint64_t matched = 0;   ///< requests selected by at least one rule (before its probability)
  std::uint64_t aborted = 0;   ///< answered by http.abort instead of forwarded
  std::uint64_t delayed = 0;   ///< requests held, or whose response was held, by http.delay
  std::uint64_t replaced = 0;  ///< responses rewritten by http.replace
  std::uint64_t malformed = 0;  ///< connections whose traffic stopped being HTTP (passed through unchanged)
};

/// The HTTP state of one connection.
class HttpExchange : public std::enable_shared_from_this<HttpExchange> {
 public:
  /// `poke` hands the downstream pipe an empty item, so that the response
  /// stage can send a queued answer when no response is arriving.
  HttpExchange(HttpCounters& counters, std::function<void()> poke);

  /// The stage for the upstream pipe (requests).
  std::unique_ptr<Stage> request_stage();
  /// The stage for the downstream pipe (responses).
  std::unique_ptr<Stage> response_stage();

  /// Applies a fault's rule to the requests whose heads complete from now on.
  void add_rule(std::uint64_t fault, std::shared_ptr<const HttpRule> rule, std::uint64_t seed);
  /// Stops applying it; decisions already made stand (a held message keeps its time).
  void remove_rule(std::uint64_t fault);
  bool has_rule(std::uint64_t fault) const { return rules_.count(fault) > 0; }
  /// Whether an applied rule delays requests or responses.
  bool delaying() const;
  /// No rule delays any more: what earlier ones decided for requests
  /// already seen (a response to hold, an answer due later) holds no later
  /// than `now`. The stages' queues are released by the pipe.
  void release(TimePoint now);

 private:
  friend class HttpRequestStage;
  friend class HttpResponseStage;

  /// What was decided for one request, waiting for its response.
  struct Pending {
    bool head_request = false;            ///< a HEAD: its response has no body
    std::optional<std::string> answer;    ///< http.abort: sent instead of a response
    TimePoint answer_due{};
    Nanos response_delay{0};
    std::vector<std::shared_ptr<const HttpRule>> replaces;
  };
  /// What the request stage does with the request whose head just completed.
  struct Decision {
    bool drop = false;  ///< aborted: the request's bytes go nowhere
    Nanos delay{0};     ///< hold the request this long
  };
  struct Active {
    std::shared_ptr<const HttpRule> rule;
    std::uint64_t seed = 0;
  };

  Decision decide(const HttpHead& request, TimePoint arrival);
  /// The framer of a direction found malformed traffic: count the connection once.
  void malformed();

  HttpCounters& counters_;
  std::function<void()> poke_;
  std::map<std::uint64_t, Active> rules_;  ///< by fault id: the order faults were applied
  std::deque<Pending> pending_;             ///< one per request forwarded or answered, in order
  std::uint64_t requests_ = 0;
  bool malformed_ = false;
};

}  // namespace faultline::proxy
