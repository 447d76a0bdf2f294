#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "os/atomic_file.hpp"

using namespace faultline;
namespace fs = std::filesystem;

TEST_CASE("atomic_file: writes, replaces whole, creates directories, leaves no temporary") {
  std::string tmpl = (fs::temp_directory_path() / "faultline-atomic-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()));
  const fs::path dir = tmpl;
  const fs::path file = dir / "sub" / "record.json";
  write_file_atomic(file, "first version, longer than the second");
  write_file_atomic(file, "second");
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK(ss.str() == "second");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir / "sub")) ++entries;
  CHECK(entries == 1);
  CHECK_THROWS_AS(write_file_atomic("/proc/nope/x", "y"), std::runtime_error);
  fs::remove_all(dir);
}

TEST_CASE("atomic_file: a crash-safe write replaces the file whole, like a durable one") {
  std::string tmpl = (fs::temp_directory_path() / "faultline-atomic-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()));
  const fs::path dir = tmpl;
  const fs::path file = dir / "ledger.json";
  write_file_atomic(file, "durable, the longer one", Durability::durable);
  write_file_atomic(file, "crash-safe", Durability::crash_safe);
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK(ss.str() == "crash-safe");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
  CHECK(entries == 1);
  fs::remove_all(dir);
}

TEST_CASE("atomic_file: temporaries of killed writers are removed, a live writer's and other files are kept") {
  std::string tmpl = (fs::temp_directory_path() / "faultline-atomic-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()));
  const fs::path dir = tmpl;
  const fs::path file = dir / "r1.json";
  // A writer that is gone: a child that has exited and been reaped.
  const pid_t dead = ::fork();
  REQUIRE(dead >= 0);
  if (dead == 0) ::_exit(0);
  int status = 0;
  REQUIRE(::waitpid(dead, &status, 0) == dead);
  std::ofstream(dir / (".r1.json.tmp" + std::to_string(dead))) << "torn";
  std::ofstream(dir / (".r1.json.tmp" + std::to_string(::getpid()))) << "being written";
  std::ofstream(dir / (".r2.json.tmp" + std::to_string(dead))) << "another file's";
  std::ofstream(dir / ".r1.json.tmpXYZ") << "not ours";
  CHECK(remove_stale_temporaries(file) == 1);
  CHECK_FALSE(fs::exists(dir / (".r1.json.tmp" + std::to_string(dead))));
  CHECK(fs::exists(dir / (".r1.json.tmp" + std::to_string(::getpid()))));
  CHECK(fs::exists(dir / (".r2.json.tmp" + std::to_string(dead))));
  CHECK(fs::exists(dir / ".r1.json.tmpXYZ"));
  CHECK(remove_stale_temporaries(file) == 0);  // idempotent
  fs::remove_all(dir);
}

TEST_CASE("atomic_file: the next writer of a path removes a killed writer's temporary; a sweep takes any name") {
  std::string tmpl = (fs::temp_directory_path() / "faultline-atomic-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()));
  const fs::path dir = tmpl;
  const pid_t dead = ::fork();
  REQUIRE(dead >= 0);
  if (dead == 0) ::_exit(0);
  int status = 0;
  REQUIRE(::waitpid(dead, &status, 0) == dead);
  const std::string suffix = ".tmp" + std::to_string(dead);
  std::ofstream(dir / (".report.html" + suffix)) << "torn";
  std::ofstream(dir / (".other.md" + suffix)) << "torn";
  std::ofstream(dir / (".live.md.tmp" + std::to_string(::getpid()))) << "being written";
  write_file_atomic(dir / "report.html", "new");
  CHECK_FALSE(fs::exists(dir / (".report.html" + suffix)));
  CHECK(fs::exists(dir / (".other.md" + suffix)));  // another path's: only a sweep takes it
  const auto swept = remove_stale_temporaries_in(dir);
  REQUIRE(swept.size() == 1);
  CHECK(swept[0].filename() == ".other.md" + suffix);
  CHECK(fs::exists(dir / (".live.md.tmp" + std::to_string(::getpid()))));
  int pid = 0;
  CHECK(is_temporary_name(".a.b.tmp42", pid));
  CHECK(pid == 42);
  CHECK_FALSE(is_temporary_name("a.tmp42", pid));
  CHECK_FALSE(is_temporary_name(".a.tmp", pid));
  CHECK_FALSE(is_temporary_name(".a.tmp4x", pid));
  fs::remove_all(dir);
}
