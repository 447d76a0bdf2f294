#include <doctest/doctest.h>

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "os/cleaned_note.hpp"
#include "os/ledger.hpp"

using namespace faultline;
namespace fs = std::filesystem;

TEST_CASE("cleaned note: says who resolved a dead run and where it ran; old notes go, odd ids are refused") {
  std::string tmpl = (fs::temp_directory_path() / "faultline-note-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()));
  const fs::path dir = tmpl;
  ::setenv("FAULTLINE_STATE_DIR", (dir / "state").c_str(), 1);

  Ledger l;
  l.run_id = "run-1";
  l.run_dir = (dir / "run").string();
  // No state directory yet: nothing written, nothing thrown.
  write_cleaned_note(l, "the watchdog");
  CHECK_FALSE(read_cleaned_note("run-1").has_value());

  fs::create_directories(dir / "state");
  CHECK_FALSE(read_cleaned_note("run-1").has_value());
  write_cleaned_note(l, "the watchdog");
  const auto note = read_cleaned_note("run-1");
  REQUIRE(note.has_value());
  CHECK(note->rfind("cleaned up by the watchdog at 20", 0) == 0);
  CHECK(note->find("Z; run directory " + l.run_dir) != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "state" / "run-1.cleaned.tmp"));
  // Not a ledger: `cleanup` and `run` read only *.json there.
  CHECK(ledgers_in_state_dir().empty());

  // A note older than 30 days is removed when the next is written.
  const fs::path old = dir / "state" / "old.cleaned";
  std::ofstream(old) << "cleaned up by faultline cleanup at 2026-01-01T00:00:00Z; run directory /x\n";
  fs::last_write_time(old, fs::file_time_type::clock::now() - std::chrono::hours(24 * 31));
  Ledger l2 = l;
  l2.run_id = "run-2";
  write_cleaned_note(l2, "faultline cleanup");
  CHECK_FALSE(fs::exists(old));
  CHECK(read_cleaned_note("run-2").value().rfind("cleaned up by faultline cleanup", 0) == 0);
  CHECK(read_cleaned_note("run-1").has_value());  // a fresh one stays

  // An id is a file name in the state directory, never a path out of it.
  std::ofstream(dir / "escape.cleaned") << "x\n";
  CHECK_FALSE(read_cleaned_note("../escape").has_value());
  CHECK_FALSE(read_cleaned_note("").has_value());
  fs::remove_all(dir);
  ::unsetenv("FAULTLINE_STATE_DIR");
}
