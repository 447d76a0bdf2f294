// Tests of output_path_problem: the checks behind every output flag, made
// before anything starts, that create nothing.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "os/output_path.hpp"

using namespace faultline;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "faultline-output-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()));
  return tmpl;
}

}  // namespace

TEST_CASE("output path: a writable place is fine and nothing is created by the check") {
  const fs::path dir = temp_dir();
  CHECK(output_path_problem(dir / "a" / "b" / "run", OutputKind::directory).empty());
  CHECK(output_path_problem(dir / "a" / "report.json", OutputKind::file).empty());
  CHECK(output_path_problem(dir, OutputKind::directory).empty());
  CHECK(fs::is_empty(dir));
  std::ofstream(dir / "old.json") << "{}";
  CHECK(output_path_problem(dir / "old.json", OutputKind::file).empty());
  fs::remove_all(dir);
}

TEST_CASE("output path: a file where a directory is wanted, and the reverse, are named") {
  const fs::path dir = temp_dir();
  std::ofstream(dir / "file") << "x";
  CHECK(output_path_problem(dir / "file", OutputKind::directory) ==
        (dir / "file").string() + " is a regular file, not a directory");
  CHECK(output_path_problem(dir / "file" / "run", OutputKind::directory).find("is a regular file, not a directory") !=
        std::string::npos);
  CHECK(output_path_problem(dir, OutputKind::file).find("is a directory; faultline writes reports only to regular files") !=
        std::string::npos);
  CHECK(output_path_problem("/dev/null", OutputKind::file).find("is a character device") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("output path: /proc is a kernel interface, for a directory or a file in it") {
  CHECK(output_path_problem("/proc", OutputKind::directory).find("is on /proc (procfs)") != std::string::npos);
  CHECK(output_path_problem("/proc/version", OutputKind::file).find("/proc is on /proc (procfs)") != std::string::npos);
  CHECK(output_path_problem("/proc/new/run", OutputKind::directory).find("/proc (procfs)") != std::string::npos);
  CHECK(output_path_problem("/sys/x.json", OutputKind::file).find("sysfs") != std::string::npos);
}
