#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "os/fd_reserve.hpp"

using namespace faultline;

TEST_CASE("fd_reserve: held descriptors are what a process out of descriptors can still open") {
  REQUIRE(reserve_descriptors() == kReservedDescriptors);
  CHECK(reserve_descriptors() == kReservedDescriptors);  // idempotent
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &old) == 0);
  // No descriptor is free below the limit: every open fails...
  int lowest = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(lowest >= 0);
  ::close(lowest);
  rlimit low{static_cast<rlim_t>(lowest), old.rlim_max};
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  CHECK(::open("/dev/null", O_RDONLY | O_CLOEXEC) < 0);
  // ...until the reserve is released (its descriptors are below the limit).
  release_reserved_descriptors();
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  CHECK(fd >= 0);
  if (fd >= 0) ::close(fd);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &old) == 0);
}
