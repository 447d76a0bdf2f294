#include <doctest/doctest.h>

#include <unistd.h>

#include "os/run_mount.hpp"

using namespace faultline;
namespace fs = std::filesystem;

TEST_CASE(
    "run_mount: a tmpfs of a declared size is mounted, full at its size, and unmounted (root)") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: mounting needs root");
    return;
  }
  const fs::path dir =
      fs::temp_directory_path() / ("faultline-mount-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  CHECK_FALSE(is_mount_point(dir));
  mount_run_tmpfs(dir, 1 << 20);
  CHECK(is_mount_point(dir));
  const FsSpace space = filesystem_space(dir);
  CHECK(space.size == 1 << 20);
  CHECK(space.free == 1 << 20);
  CHECK(unmount_run_mount(dir).empty());
  CHECK_FALSE(is_mount_point(dir));
  CHECK(unmount_run_mount(dir).empty());  // not mounted any more: done
  CHECK(unmount_run_mount(dir / "absent").empty());
  fs::remove_all(dir);
}
