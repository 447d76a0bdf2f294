// Tests of input_file_problem: only regular files within the limit are read;
// devices, FIFOs and directories are refused by stat alone (a FIFO's open
// would block), each kind named; read_input_file reads a file whole, or
// says why it cannot.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "os/input_file.hpp"

using namespace faultline;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "faultline-input-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()));
  return tmpl;
}

}  // namespace

TEST_CASE("input file: a regular file within the limit is fine; over it is refused with both sizes") {
  const fs::path dir = temp_dir();
  std::ofstream(dir / "s.toml") << std::string(100, 'x');
  CHECK(input_file_problem(dir / "s.toml", 100).empty());
  const std::string why = input_file_problem(dir / "s.toml", 99);
  CHECK(why == "is 100 bytes, over the limit of 99 bytes for this kind of file");
  CHECK(input_file_problem(dir / "s.toml", kMaxScenarioBytes).empty());
  fs::remove_all(dir);
}

TEST_CASE("input file: a device, a FIFO, a directory and a missing file are refused unopened") {
  const fs::path dir = temp_dir();
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  CHECK(input_file_problem("/dev/zero", kMaxScenarioBytes) ==
        "is a character device, not a regular file: faultline reads only regular files");
  CHECK(input_file_problem(dir / "fifo", kMaxScenarioBytes).find("is a FIFO, not a regular file") != std::string::npos);
  CHECK(input_file_problem(dir, kMaxScenarioBytes).find("is a directory, not a regular file") != std::string::npos);
  CHECK(input_file_problem(dir / "missing", kMaxScenarioBytes).find("cannot be read: No such file or directory") !=
        std::string::npos);
  CHECK(kMaxScenarioBytes == 1024 * 1024);
  fs::remove_all(dir);
}

TEST_CASE("input file: read whole, byte for byte; a directory or a missing file says why and reads nothing") {
  const fs::path dir = temp_dir();
  std::string bytes;
  for (int i = 0; i < 70000; ++i) bytes.push_back(static_cast<char>(i * 7 % 256));  // every byte value, NULs included
  std::ofstream(dir / "s.toml", std::ios::binary) << bytes;
  std::ofstream(dir / "empty.toml");
  std::string text = "left over";
  CHECK(read_input_file(dir / "s.toml", text).empty());
  CHECK(text == bytes);
  CHECK(read_input_file(dir / "empty.toml", text).empty());
  CHECK(text.empty());
  // A file whose size stat cannot tell (procfs says 0): read to its end all the same.
  CHECK(read_input_file("/proc/self/status", text).empty());
  CHECK(text.find("\nPid:") != std::string::npos);
  text = "left over";
  CHECK(read_input_file(dir, text) == "it is a directory");
  CHECK(text.empty());
  CHECK(read_input_file(dir / "missing", text) == "No such file or directory");
  CHECK(text.empty());
  fs::remove_all(dir);
}
