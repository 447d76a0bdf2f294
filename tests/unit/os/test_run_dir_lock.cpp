// Tests of the run directory's lock and the --force rules: one holder at a
// time (the lock is per open file, so a second acquire in this process is
// refused too), what counts as a run directory, and emptying keeps the lock.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "os/run_dir_lock.hpp"

using namespace faultline;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "faultline-rundir-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()));
  return tmpl;
}

}  // namespace

TEST_CASE("run dir lock: one holder; released when the holder goes") {
  const fs::path dir = temp_dir();
  std::string why;
  {
    auto first = RunDirLock::acquire(dir / "run", why);
    REQUIRE(first);
    std::string second_why;
    CHECK_FALSE(RunDirLock::acquire(dir / "run", second_why));
    CHECK(second_why == (dir / "run").string() + " is in use by another faultline run: a run directory belongs to one run");
  }
  CHECK(RunDirLock::acquire(dir / "run", why));
  CHECK(run_dir_entries(dir / "run").empty());  // the lock file is not content
  fs::remove_all(dir);
}

TEST_CASE("run dir lock: only a run directory's files count as one; emptying keeps the lock") {
  const fs::path dir = temp_dir();
  fs::create_directories(dir / "logs");
  std::ofstream(dir / "run.json") << "{}";
  std::ofstream(dir / ".run.json.tmp12345") << "torn";
  std::ofstream(dir / kRunDirLockName) << "";
  CHECK(run_dir_entries(dir) == std::vector<std::string>{".run.json.tmp12345", "logs", "run.json"});
  CHECK(looks_like_run_dir(dir));
  std::ofstream(dir / "thesis.tex") << "years of work";
  CHECK_FALSE(looks_like_run_dir(dir));
  fs::remove(dir / "thesis.tex");
  empty_run_dir(dir);
  CHECK(run_dir_entries(dir).empty());
  CHECK(fs::exists(dir / kRunDirLockName));
  fs::remove_all(dir);
}
