#include <doctest/doctest.h>

#include <unistd.h>

#include "os/run_mount.hpp"
#include "run/run_mounts.hpp"
#include "scenario/scenario_parser.hpp"

using namespace faultline;
namespace fs = std::filesystem;

TEST_CASE(
    "run_mounts: a disk.full service's directory is in the ledger, then mounted; unmounted and "
    "dropped after (root)") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: mounting needs root");
    return;
  }
  const fs::path run =
      fs::temp_directory_path() / ("faultline-run-mounts-" + std::to_string(::getpid()));
  fs::remove_all(run);
  fs::create_directories(run);
  ::setenv("FAULTLINE_STATE_DIR", (run / "state").c_str(), 1);
  const std::string text = R"(name = "v"
[[service]]
name = "db"
command = "true"
[[service]]
name = "other"
command = "true"
[[fault]]
kind = "disk.full"
target = "db"
size = "2MiB"
[[fault]]
kind = "disk.full"
target = "db"
size = "2MiB"
level = "free=1MiB"
)";
  auto r = parse_scenario(text, "v.toml");
  REQUIRE(r.scenario.has_value());
  Ledger l;
  l.run_id = "mounts";
  l.run_dir = run.string();
  std::vector<std::string> lines;
  mount_run_filesystems(*r.scenario, run, l, [&](const std::string& s) { lines.push_back(s); });
  REQUIRE(l.mounts ==
          std::vector<std::string>{(run / "services" / "db").string()});  // once per service
  CHECK(is_mount_point(run / "services" / "db"));
  CHECK(filesystem_space(run / "services" / "db").size == 2 << 20);
  CHECK(lines.size() == 1);
  CHECK(ledger_from_json(ledger_to_json(l)).mounts == l.mounts);
  CHECK(unmount_run_filesystems(l).empty());
  CHECK(l.mounts.empty());
  CHECK_FALSE(is_mount_point(run / "services" / "db"));
  fs::remove_all(run);
}
