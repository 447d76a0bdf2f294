#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "elf_images.hpp"
#include "os/elf_facts.hpp"

using namespace faultline;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path dir = fs::temp_directory_path() / ("faultline-elf-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(dir); }
  ~TempDir() { fs::remove_all(dir); }
};

}  // namespace

TEST_CASE("elf facts: a dynamically linked C program is neither Go nor static") {
  const auto date = find_program("date", "/usr/bin:/bin");
  REQUIRE(date);
  const auto f = read_elf_facts(*date);
  REQUIRE(f);
  CHECK(f->elf);
  CHECK(f->interpreter);
  CHECK_FALSE(f->go);
  CHECK(preload_refusal(*f).empty());
  // The same through /proc, as the run-time check reads a service.
  const auto self = read_elf_facts("/proc/self/exe");
  REQUIRE(self);
  CHECK(self->interpreter);
}

TEST_CASE("elf facts: a Go program (.go.buildinfo) and a static one are refused, each with its reason") {
  TempDir t;
  testing::write_elf(t.dir / "gosvc", /*dynamic*/ true, /*go*/ true);
  testing::write_elf(t.dir / "static", /*dynamic*/ false, /*go*/ false);
  testing::write_elf(t.dir / "plain", /*dynamic*/ true, /*go*/ false);
  const auto go = read_elf_facts(t.dir / "gosvc");
  REQUIRE(go);
  CHECK(go->go);
  CHECK(preload_refusal(*go).find("is a Go program") != std::string::npos);
  const auto st = read_elf_facts(t.dir / "static");
  REQUIRE(st);
  CHECK_FALSE(st->interpreter);
  CHECK(preload_refusal(*st).find("statically linked") != std::string::npos);
  const auto plain = read_elf_facts(t.dir / "plain");
  REQUIRE(plain);
  CHECK(preload_refusal(*plain).empty());
}

TEST_CASE("elf facts: a script or a missing file is no ELF; a truncated header is refused, not guessed") {
  TempDir t;
  std::ofstream(t.dir / "script") << "#!/bin/sh\necho hi\n";
  std::string why;
  CHECK_FALSE(read_elf_facts(t.dir / "script", &why));
  CHECK(why == "is not an ELF file");
  CHECK_FALSE(read_elf_facts(t.dir / "missing", &why));
  CHECK(why == "cannot be opened");
  std::ofstream(t.dir / "short", std::ios::binary) << std::string("\x7f" "ELF\x02\x01", 6) << std::string(20, '\0');
  CHECK_FALSE(read_elf_facts(t.dir / "short", &why));
}

TEST_CASE("find_program: PATH order, a path with '/', nothing found") {
  TempDir t;
  testing::write_elf(t.dir / "prog", true, false);
  CHECK(find_program("prog", "/nonexistent:" + t.dir.string()) == t.dir / "prog");
  CHECK(find_program("./x/y", "") == fs::path("./x/y"));
  CHECK_FALSE(find_program("no-such-program-here", t.dir.string()));
}
