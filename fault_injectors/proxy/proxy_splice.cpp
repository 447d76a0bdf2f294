#include "fault_injectors/proxy/proxy_splice.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace faultline::proxy {

namespace {

/// At most this much is taken from the source per step: the default pipe size.
constexpr std::size_t kChunk = 64 * 1024;

constexpr unsigned kFlags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

}  // namespace

bool Splice::open() {
  if (read_end_) return true;
  if (failed_) return false;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    failed_ = true;
    return false;
  }
  read_end_.reset(fds[0]);
  write_end_.reset(fds[1]);
  return true;
}

Splice::Result Splice::step(int src, int dst, std::uint64_t& delivered) {
  if (held_ == 0) {
    ssize_t n;
    do n = ::splice(src, nullptr, write_end_.get(), nullptr, kChunk, kFlags);
    while (n < 0 && errno == EINTR);
    if (n == 0) return Result::eof;
    if (n < 0) return errno == EAGAIN ? Result::src_wait : Result::src_failed;
    held_ = static_cast<std::size_t>(n);
  }
  while (held_ > 0) {
    const ssize_t m = ::splice(read_end_.get(), nullptr, dst, nullptr, held_, kFlags);
    if (m > 0) {
      held_ -= static_cast<std::size_t>(m);
      delivered += static_cast<std::uint64_t>(m);
    } else if (m < 0 && errno == EINTR) {
      continue;
    } else {
      return m < 0 && errno == EAGAIN ? Result::dst_wait : Result::dst_failed;
    }
  }
  return Result::moved;
}

std::vector<char> Splice::drain() {
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
