#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "os/fd.hpp"

using namespace faultline;

namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

}  // namespace

TEST_CASE("fd: a UniqueFd closes what it owns, moves ownership, and releases it") {
  int raw = -1;
  {
    UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    REQUIRE(fd.valid());
    raw = fd.get();
    UniqueFd moved = std::move(fd);
    CHECK_FALSE(fd.valid());
    CHECK(moved.get() == raw);
    CHECK(is_open(raw));
  }
  CHECK_FALSE(is_open(raw));

  UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  raw = fd.release();
  CHECK_FALSE(fd);
  CHECK(is_open(raw));
  fd.reset(raw);
  fd.reset();
  CHECK_FALSE(is_open(raw));
  CHECK_FALSE(UniqueFd().valid());
}
