#include "fault_injectors/proxy/proxy_splice.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace faultline::proxy {

namespace {

/// At most this much is taken from the source per step, and the pipe's size
/// (the kernel's default is 64 KiB; a larger pipe means fewer system calls
/// per byte of a bulk stream: docs/benchmarks.md, issue 22).
constexpr std::size_t kChunk = 256 * 1024;

/// A take from the source smaller than this makes the next one a read (see the top of proxy_splice.hpp).
constexpr std::size_t kSmall = 4096;
/// What a read takes at most: enough to tell a small take from a large one.
constexpr std::size_t kReadChunk = 16 * 1024;

constexpr unsigned kFlags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

}  // namespace

bool Splice::make_pipe() {
  if (read_end_) return true;
  if (no_pipe_) return false;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    no_pipe_ = true;
    return false;
  }
  read_end_.reset(fds[0]);
  write_end_.reset(fds[1]);
  // Best effort: past the user's pipe quota the kernel refuses, and the pipe
  // keeps its default size (a splice then takes no more than fits).
  ::fcntl(write_end_.get(), F_SETPIPE_SZ, static_cast<int>(kChunk));
  return true;
}

Splice::Result Splice::step(int src, int dst, std::uint64_t& delivered, std::uint64_t& spliced) {
  if (held_ == 0) {
    ssize_t n;
    if (small_ || !make_pipe()) {
      buffer_.resize(kReadChunk);
      do n = ::read(src, buffer_.data(), buffer_.size());
      while (n < 0 && errno == EINTR);
    } else {
      do n = ::splice(src, nullptr, write_end_.get(), nullptr, kChunk, kFlags);
      while (n < 0 && errno == EINTR);
    }
    if (n == 0) return Result::eof;
    if (n < 0) return errno == EAGAIN ? Result::src_wait : Result::src_failed;
    in_buffer_ = small_ || no_pipe_;
    buffered_ = 0;
    held_ = static_cast<std::size_t>(n);
    emptied_ = in_buffer_ && held_ < kReadChunk;
    small_ = held_ < kSmall;
  }
  while (held_ > 0) {
    const ssize_t m = in_buffer_ ? ::send(dst, buffer_.data() + buffered_, held_, MSG_NOSIGNAL | MSG_DONTWAIT)
                                 : ::splice(read_end_.get(), nullptr, dst, nullptr, held_, kFlags);
    if (m > 0) {
      held_ -= static_cast<std::size_t>(m);
      delivered += static_cast<std::uint64_t>(m);
      if (in_buffer_) buffered_ += static_cast<std::size_t>(m);
      else spliced += static_cast<std::uint64_t>(m);
    } else if (m < 0 && errno == EINTR) {
      continue;
    } else {
      return m < 0 && errno == EAGAIN ? Result::dst_wait : Result::dst_failed;
    }
  }
  return emptied_ ? Result::moved_all : Result::moved;
}

std::vector<char> Splice::drain() {
  if (in_buffer_) {
    std::vector<char> out(buffer_.begin() + static_cast<std::ptrdiff_t>(buffered_),
                          buffer_.begin() + static_cast<std::ptrdiff_t>(buffered_ + held_));
    held_ = 0;
    return out;
  }
  std::vector<char> out(held_);
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(read_end_.get(), out.data() + got, out.size() - got);
    if (n > 0) got += static_cast<std::size_t>(n);
    else if (n < 0 && errno == EINTR) continue;
    else break;  // cannot happen: the pipe holds held_ bytes and nobody else reads it
  }
  out.resize(got);
  held_ = 0;
  return out;
}

}  // namespace faultline::proxy
