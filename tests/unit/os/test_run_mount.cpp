#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <string>

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

TEST_CASE("run_mount: top_mount_device names the top one of two mounts stacked at a directory (root)") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: mounting needs root");
    return;
  }
  const fs::path dir = fs::temp_directory_path() / ("faultline-stack-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  CHECK(top_mount_device(dir) == "");
  mount_run_tmpfs(dir, 1 << 20);
  const std::string lower = top_mount_device(dir);
  CHECK(lower.find(':') != std::string::npos);
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK(lower == std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev)));
  mount_run_tmpfs(dir, 1 << 20);
  const std::string upper = top_mount_device(dir);
  CHECK(upper.find(':') != std::string::npos);
  CHECK(upper != lower);
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK(upper == std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev)));
  CHECK(unmount_run_mount(dir).empty());  // both, top first
  CHECK(top_mount_device(dir) == "");
  fs::remove_all(dir);
}
