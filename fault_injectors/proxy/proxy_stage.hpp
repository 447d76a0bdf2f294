// What a network fault is to the proxy: a stage in the pipe of each direction
// of each connection, and possibly an action on the connection as a whole.
//
// Bytes read from one peer travel as items (a chunk of data, the peer's
// close, the peer's reset) through the stages of that direction, in order,
// to the other peer. A stage takes each item when it arrives and says when
// it may leave (its `due`), or drops it; it may cut one item into several.
// Items leave a stage in the order they entered it, so no fault can reorder
// the stream. When a stage is removed (the fault is reverted), whatever it
// still held moves on at once, in order: nothing is lost or reordered by a
// revert.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "os/clock.hpp"

namespace faultline::proxy {

struct HttpRule;  // http_rule.hpp

/// One direction of a connection: upstream = client to server (towards the
/// link's `to`), downstream = server to client.
enum class Direction { upstream, downstream };

/// What travels through a direction's pipe.
struct Item {
  enum class Kind {
    data,   ///< bytes from the source peer
    close,  ///< the source peer closed its side (FIN): shut down the destination's
    reset,  ///< the source peer reset the connection: reset the destination too
  };
  Kind kind = Kind::data;
  std::vector<char> bytes;  ///< for data
  TimePoint due{};          ///< when it may leave the stage that holds it

  /// Held until the stage holding it is removed.
  static constexpr TimePoint forever() { return TimePoint::max(); }
};

/// Where a stage puts what leaves it.
struct StageOutput {
  std::deque<Item>& items;     ///< in order; dues must not decrease
  std::uint64_t discarded = 0;  ///< data bytes the stage dropped
  std::uint64_t corrupted = 0;  ///< data bytes the stage altered (net.corrupt)
  std::int64_t added = 0;  ///< data bytes the stage made up (an HTTP answer, a rewritten head; < 0: fewer), not dropped
};

/// A fault's behaviour in one direction of one connection. Stages never
/// block and never do I/O: they only schedule. One instance per direction
/// per connection, so a stage may keep state (a random stream, the time its
/// last item leaves).
class Stage {
 public:
  virtual ~Stage() = default;
  /// `item` reaches this stage at `arrival`; append what leaves, with dues
  /// no earlier than `arrival` and not decreasing, to `out`.
  virtual void push(Item item, TimePoint arrival, StageOutput& out) = 0;
  /// What this stage decided to hold may hold no longer than `now` (the
  /// fault that decided it was reverted). Most stages keep no such decision.
  virtual void release(TimePoint now) { (void)now; }
};

/// Shared by stages: appends `item` due at `due`, never before what is already queued.
inline void emit(Item item, TimePoint due, StageOutput& out) {
  if (!out.items.empty() && out.items.back().due > due) due = out.items.back().due;
  item.due = due;
  out.items.push_back(std::move(item));
}

/// What one fault does to one connection, drawn when the fault reaches it
/// (at injection for existing connections, at accept for new ones).
struct Effect {
  std::unique_ptr<Stage> upstream;    ///< null: upstream unaffected
  std::unique_ptr<Stage> downstream;  ///< null: downstream unaffected
  enum class Action {
    none,
    reset,  ///< both peers get a TCP RST, `after` from when the fault reached the connection
    close,  ///< both peers see an orderly close (FIN), `after` from then
  };
  Action action = Action::none;
  Nanos after{0};
  /// A connection that is not yet connected to the server stays so while
  /// this fault is applied (a SYN lost in a partition).
  bool hold_connect = false;
  /// An http.* fault: the rule the connection's HTTP stages apply (links
  /// with protocol = "http" only), and the seed of its per-request draws.
  std::shared_ptr<const HttpRule> http;
  std::uint64_t http_seed = 0;

  /// Whether the fault does anything to the connection at all.
  bool any() const { return upstream || downstream || action != Action::none || hold_connect || http; }
};

/// A network fault applied to a link: makes its effect on each connection.
/// One instance per application of a [[fault]] to a link.
class LinkFault {
 public:
  virtual ~LinkFault() = default;
  /// The effect on one connection; `rng` is seeded from the run's seed, the
  /// fault and the connection, so that a replay draws the same values.
  virtual Effect effect(std::mt19937_64& rng) = 0;
};

}  // namespace faultline::proxy
