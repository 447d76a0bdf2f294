// The one owner of a raw file descriptor in the process layer: closed when
// its owner goes, movable, never copied. Pipes, pidfds, /proc files and
// namespace handles all go through it, so that no path (an exception, an
// early return) leaks a descriptor into the children started afterwards.
#pragma once

#include <unistd.h>

#include <utility>

namespace faultline {

/// A file descriptor closed on destruction (-1 = none).
class UniqueFd {
 public:
  UniqueFd() = default;
  /// Takes ownership of `fd` (-1 or any negative value = none).
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  /// The descriptor, still owned (-1 when none).
  int get() const { return fd_; }
  /// Whether it holds a descriptor.
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  /// Closes the descriptor held, if any, and takes `fd` instead.
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  /// Gives up ownership: the caller closes what is returned.
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

}  // namespace faultline
