#include <doctest/doctest.h>

#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "os/ledger.hpp"
#include "os/ledger_file.hpp"

using namespace faultline;
namespace fs = std::filesystem;

namespace {
struct Dir {
  fs::path path;
  Dir() {
    std::string tmpl = (fs::temp_directory_path() / "faultline-ledger-file-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()));
    path = tmpl;
  }
  ~Dir() {
    ::umount2(path.c_str(), MNT_DETACH);
    fs::remove_all(path);
  }
};

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Fills the filesystem of `dir` to the last byte.
void fill(const fs::path& dir) {
  std::ofstream out(dir / "fill", std::ios::binary);
  const std::string chunk(4096, 'x');
  while (out.write(chunk.data(), chunk.size())) {
  }
}
}  // namespace

TEST_CASE("ledger_file: the text padded to the reserved size, still one JSON value; grows by doubling") {
  Dir d;
  LedgerFile f(d.path / "ledger.json");
  CHECK(f.write(R"({"a":1})", Durability::crash_safe).empty());
  const std::string text = read(d.path / "ledger.json");
  CHECK(text.size() == kLedgerReserve);
  CHECK(text.rfind(R"({"a":1} )", 0) == 0);
  CHECK(text.back() == '\n');
  CHECK(ledger_from_json(ledger_to_json(Ledger{})).run_id.empty());  // trailing spaces are read as JSON whitespace
  const std::string big = "\"" + std::string(kLedgerReserve, 'y') + "\"";
  CHECK(f.write(big, Durability::durable).empty());
  CHECK(fs::file_size(d.path / "ledger.json") == 2 * kLedgerReserve);
}

TEST_CASE("ledger_file: on a full disk the text is written in place, without a new block or descriptor") {
  if (::geteuid() != 0) return;  // mounting a tmpfs needs root
  Dir d;
  REQUIRE(::mount("tmpfs", d.path.c_str(), "tmpfs", 0, "size=256k") == 0);
  LedgerFile f(d.path / "ledger.json");
  REQUIRE(f.write(R"({"state":"applying"})", Durability::durable).empty());
  fill(d.path);
  const std::string note = f.write(R"({"state":"reverted"})", Durability::crash_safe);
  CHECK(note.find("written in place") != std::string::npos);
  CHECK(note.find("No space left on device") != std::string::npos);
  CHECK(read(d.path / "ledger.json").rfind(R"({"state":"reverted"} )", 0) == 0);
  // Without a held descriptor (cleanup, the watchdog): the same, by path.
  CHECK(write_ledger_file(d.path / "ledger.json", R"({"state":"x"})", Durability::durable).find("in place") !=
        std::string::npos);
  // More than the reserved space cannot be written at all: said, not hidden.
  CHECK_THROWS_WITH_AS(f.write("\"" + std::string(kLedgerReserve, 'y') + "\"", Durability::crash_safe),
                       doctest::Contains("no longer fits the space reserved"), std::runtime_error);
}

TEST_CASE("ledger_file: save_ledger needs one copy; read_latest_ledger takes the copy that is ahead") {
  Dir d;
  ::setenv("FAULTLINE_STATE_DIR", (d.path / "state").c_str(), 1);
  Ledger l;
  l.run_id = "r1";
  l.run_dir = (d.path / "run").string();
  reserve_ledger_files(l);
  CHECK(save_ledger(l).empty());
  // The state directory becomes unwritable (a file where it was): one copy is enough.
  fs::remove_all(d.path / "state");
  { std::ofstream(d.path / "state") << "x"; }
  l.faults.push_back({"0", "f", "exec", "applying", {}});
  l.files->state.close();
  const std::string note = save_ledger(l);
  CHECK(note.find("cannot write") != std::string::npos);
  CHECK(read_latest_ledger(d.path / "run" / "ledger.json", d.path / "state" / "r1.json").faults.size() == 1);
  ::unsetenv("FAULTLINE_STATE_DIR");
}
