#include <doctest/doctest.h>

#include <unistd.h>

#include <fstream>

#include "os/saved_copy.hpp"

using namespace faultline;
namespace fs = std::filesystem;

namespace {

struct Dir {
  fs::path path = fs::temp_directory_path() / ("faultline-saved-" + std::to_string(::getpid()));
  Dir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Dir() { fs::remove_all(path); }
};

void put(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << s;
}

}  // namespace

TEST_CASE("saved_copy: a directory is saved and restored byte for byte, with modes and links") {
  Dir d;
  const fs::path data = d.path / "data";
  put(data / "a", std::string("\0\1\2binary", 9));
  put(data / "sub" / "b", "bbb");
  fs::permissions(data / "sub" / "b", fs::perms::owner_read);
  fs::create_symlink("sub/b", data / "link");
  save_copy(data, d.path / "saved" / "data");
  CHECK(same_tree(data, d.path / "saved" / "data"));
  CHECK_FALSE(fs::exists(d.path / "saved" / "data.partial"));
  fs::remove_all(data / "sub");
  put(data / "new", "x");
  CHECK_FALSE(same_tree(data, d.path / "saved" / "data"));
  CHECK(restore_copy(d.path / "saved" / "data", data).empty());
  CHECK(same_tree(data, d.path / "saved" / "data"));
  CHECK(restore_copy(d.path / "saved" / "data", data).empty());  // again: harmless
  CHECK(same_tree(data, d.path / "saved" / "data"));
  drop_copy(d.path / "saved" / "data");
  CHECK_FALSE(fs::exists(d.path / "saved" / "data"));
}

TEST_CASE("saved_copy: a deleted file comes back; no copy means nothing to restore") {
  Dir d;
  put(d.path / "f", "original");
  save_copy(d.path / "f", d.path / "saved" / "f");
  fs::remove(d.path / "f");
  CHECK(restore_copy(d.path / "saved" / "f", d.path / "f").empty());
  std::ifstream in(d.path / "f");
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "original");
  CHECK(restore_copy(d.path / "saved" / "never", d.path / "g").empty());
  CHECK_FALSE(fs::exists(d.path / "g"));
  CHECK_THROWS_WITH_AS(save_copy(d.path / "missing", d.path / "saved" / "m"),
                       doctest::Contains("cannot save"), std::runtime_error);
  CHECK_FALSE(fs::exists(d.path / "saved" / "m.partial"));
}
