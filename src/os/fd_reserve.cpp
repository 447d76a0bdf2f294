// Descriptors held in reserve for the revert (see fd_reserve.hpp).
#include "os/fd_reserve.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <vector>

namespace faultline {

namespace {
std::vector<int>& reserved() {
  static std::vector<int> fds;
  return fds;
}
}  // namespace

int reserve_descriptors() {
  auto& fds = reserved();
  while (static_cast<int>(fds.size()) < kReservedDescriptors) {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    fds.push_back(fd);
  }
  return static_cast<int>(fds.size());
}

void release_reserved_descriptors() {
  for (int fd : reserved()) ::close(fd);
  reserved().clear();
}

}  // namespace faultline
