#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "atomic_file.hpp"

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
