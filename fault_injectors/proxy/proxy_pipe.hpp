// One direction of one proxied connection: read the source peer, pass what
// was read through the stages of the faults applied to this direction, write
// it to the destination peer.
//
// Two coroutines share the pipe on the run's single-threaded io_context. With
// no stage and nothing queued, the reader moves the bytes itself (the fast
// path) with splice(2) through a kernel pipe (proxy_splice.hpp; small
// messages with a read and a send): the bytes of a bulk stream never enter
// user space, and the sockets go through Asio's reactor only to wait when
// one is not ready, so a busy stream costs two system calls per chunk of up
// to 256 KiB and nothing else. Otherwise (a stage) the reader reads each
// chunk and hands it to the first stage, and
// the writer moves items from stage to stage as they fall due and writes
// those that left the last stage, in order. At most one write to the destination is in progress at any time, whoever makes it,
// so bytes can neither be reordered nor interleaved. The reader stops reading
// while 4 MiB are queued, so a slow fault pushes back on the sender the way a
// slow network does, instead of buffering without bound.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "fault_injectors/proxy/proxy_splice.hpp"
#include "fault_injectors/proxy/proxy_stage.hpp"

namespace faultline::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

/// Counters of one direction of a link, shared by all its connections.
struct DirectionCounters {
  std::uint64_t bytes = 0;      ///< delivered to the destination
  std::uint64_t discarded = 0;  ///< dropped by stages (blackhole)
  std::uint64_t spliced = 0;    ///< of `bytes`, those the fast path moved without copying (proxy_splice.hpp)
  std::uint64_t corrupted = 0;  ///< altered by stages (net.corrupt)
};

/// One direction of one connection.
class Pipe {
 public:
  /// What the pipe asks of its connection.
  struct Hooks {
    std::function<void(bool reset)> abort;  ///< tear the connection down (RST to both peers when `reset`)
    std::function<void()> finished;         ///< this direction delivered the source's close
  };

  Pipe(asio::any_io_executor ex, tcp::socket& src, tcp::socket& dst, DirectionCounters& counters, Hooks hooks);
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  /// Reads the source until it closes or fails, or the pipe is stopped.
  /// `keep` keeps the owner alive while the coroutine runs.
  asio::awaitable<void> read_loop(std::shared_ptr<void> keep);
  /// Writes to the destination until the source's close or reset was
  /// delivered, or the pipe is stopped. Writes nothing before dst_ready().
  asio::awaitable<void> write_loop(std::shared_ptr<void> keep);

  /// The destination is connected: writing may begin.
  void dst_ready();
  /// Appends a fault's stage; what is read from now on passes through it,
  /// and so does what the fast path's kernel pipe still held.
  void add_stage(std::uint64_t fault, std::unique_ptr<Stage> stage);
  /// Removes a fault's stage; what it held moves on at once, in order.
  /// Returns whether the pipe had a stage for `fault`.
  bool remove_stage(std::uint64_t fault);
  /// Whether a stage of `fault` is in the pipe.
  bool has_stage(std::uint64_t fault) const;
  /// What the stage of `fault` holds may wait no later than `now` (a rule
  /// acting inside that stage was reverted; the stage itself stays).
  void release(std::uint64_t fault, TimePoint now);
  /// Ends both coroutines at their next step (the owner closes the sockets).
  void stop();
  /// Hands the first stage an empty data item now, so that a stage with
  /// something of its own to send (an HTTP answer) sends it. No stage: nothing.
  void poke();

  /// Bytes read but not yet written (in stages or waiting for the writer).
  std::size_t queued_bytes() const { return queued_bytes_; }
  /// Whether the source's close was delivered (or the connection aborted).
  bool done() const { return done_; }

 private:
  struct Slot {
    std::uint64_t fault = 0;
    std::unique_ptr<Stage> stage;
    std::deque<Item> queue;  ///< what left the stage and waits for its due
  };

  /// No stage, nothing queued, no write in progress: the reader may write itself.
  bool pass_through() const { return slots_.empty() && out_.empty() && !writing_ && ready_; }
  /// What one step of the fast path did.
  enum class Step { moved, waited, ended };
  /// Splices one chunk from the source to the destination, or waits until
  /// the socket that was not ready is: only after a splice said it is not,
  /// since Asio's reactor is edge-triggered and a wait for readiness that is
  /// already there lasts until more arrives.
  asio::awaitable<Step> splice_step();
  /// Puts both sockets in non-blocking mode for the fast path, once.
  bool non_blocking();
  /// Hands an item that was read (or released) to slot `first` or, past the last slot, to the writer.
  void feed(std::size_t first, Item item, TimePoint arrival);
  /// Moves every item whose due has come one slot on, until none can move.
  void advance(TimePoint now);
  /// The earliest due among the slots' first items.
  TimePoint next_due() const;
  void wake_writer();
  void wake_reader();

  tcp::socket& src_;
  tcp::socket& dst_;
  DirectionCounters& counters_;
  Hooks hooks_;
  std::vector<Slot> slots_;
  std::deque<Item> out_;  ///< left the last stage, written in this order
  std::vector<char> buffer_;
  Splice splice_;  ///< the fast path's kernel pipe
  bool nonblocking_ = false;  ///< both sockets are in non-blocking mode
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool ready_ = false;
  bool stopped_ = false;
  bool done_ = false;
  asio::steady_timer writer_wake_;
  asio::steady_timer reader_wake_;
};

}  // namespace faultline::proxy
