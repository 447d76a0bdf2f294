// Zero-copy pass-through: one direction of a connection moved by splice(2)
// through a kernel pipe, while no fault is applied to that direction.
//
// Why: a user-space relay copies every byte twice (the source socket's
// buffer into the relay's memory, and back out into the destination's);
// splice(2) moves references to the socket buffer's pages into a pipe and
// from the pipe into the other socket, so the bytes never enter user space.
// A proxy hop that is there all the time, whether a fault is applied or not,
// then costs the system under test as little as the kernel allows.
//
// How: a Splice owns one pipe (created when the first large take comes,
// grown to 256 KiB where the user's pipe quota allows). A step first empties the pipe into
// the destination socket; only when the pipe is empty does it take up to
// 256 KiB from the source and pass them on at once. Every call is
// non-blocking (both sockets are in non-blocking mode and SPLICE_F_NONBLOCK
// is set), so a step never blocks the run's only thread: when a socket is
// not ready the step says which one, and the pipe (proxy_pipe.cpp) waits for
// it in Asio's reactor, the same readiness-driven event loop that everything
// else of the run uses. Nothing spins.
//
// Switching to the copying pipeline: a fault's stage must see every byte
// that has not reached the destination yet. The bytes between the two
// sockets are exactly those in the pipe (a splice call is atomic from the
// event loop's point of view), so when a stage is added the pipe is drained
// with read(2) into an ordinary chunk that enters the stage first, ahead of
// anything read later: a byte boundary, with nothing lost, repeated or
// reordered, and no connection closed. When the last stage is removed and
// what it held has been written, the next chunk goes through the pipe again.
//
// Small messages: a splice costs more than a read and a send of a few bytes
// (the pipe's bookkeeping), and a request/response protocol sends little at
// a time, so, like HAProxy's `splice-auto`, a step takes from the source with
// a plain read(2) into a buffer of its own while the last take was small
// (under 4 KiB), and with splice once a take was not. The bytes then wait in
// that buffer (16 KiB) instead of the pipe, and drain() gives them back the
// same way. A connection that only ever carries small messages opens no pipe.
// A read that took less than it asked for emptied the source: the step says
// so (moved_all), and the pipe waits on the source at once instead of
// reading again only to be told EAGAIN (one system call less per message,
// as HAProxy does; the wait re-arms the descriptor, so bytes that came
// meanwhile end it at once).
//
// When no pipe can be had (no descriptors left), the direction keeps reading
// and sending: slower, never wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "os/fd.hpp"

namespace faultline::proxy {

/// A kernel pipe between two non-blocking sockets.
class Splice {
 public:
  /// What one step did.
  enum class Result {
    moved,       ///< bytes went from the source to the destination; the pipe is empty again
    moved_all,   ///< moved, and the read took less than it asked: the source was empty after it
    src_wait,    ///< the pipe is empty and the source has nothing to read now
    dst_wait,    ///< the destination cannot take more now; the pipe still holds bytes
    eof,         ///< the source closed its side; the pipe is empty
    src_failed,  ///< reading the source failed (a reset); the pipe is empty
    dst_failed,  ///< writing the destination failed
  };

  /// One step (see the top of the file): adds what reached `dst` to
  /// `delivered`, and of that what went through the pipe to `spliced`.
  Result step(int src, int dst, std::uint64_t& delivered, std::uint64_t& spliced);

  /// Bytes taken from the source that have not reached the destination.
  std::size_t held() const { return held_; }

  /// Takes everything held (in the pipe or the buffer) out, in order, leaving it empty.
  std::vector<char> drain();

 private:
  UniqueFd read_end_;
  UniqueFd write_end_;
  std::size_t held_ = 0;
  bool emptied_ = false;
  bool small_ = true;              ///< the last take was small: read the next one
  bool in_buffer_ = false;         ///< what is held is in buffer_ (from buffered_), not the pipe
  /// Creates the pipe; false (once and for all) when it cannot be had.
  bool make_pipe();
  std::vector<char> buffer_;       ///< for small takes
  std::size_t buffered_ = 0;       ///< where the held bytes start in buffer_
  bool no_pipe_ = false;  ///< the pipe could not be created: read and send only
};

}  // namespace faultline::proxy
