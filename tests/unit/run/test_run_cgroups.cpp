#include <doctest/doctest.h>

#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include "os/cleanup.hpp"
#include "run/run_cgroups.hpp"
#include "scenario/scenario_parser.hpp"
#include "system/clone.hpp"

using namespace faultline;
namespace fs = std::filesystem;

TEST_CASE("run_cgroups: a resource fault's service and a stress fault get cgroups, in the ledger first; removed after") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: cgroups need root");
    return;
  }
  const fs::path run = fs::temp_directory_path() / ("faultline-run-cgroups-" + std::to_string(::getpid()));
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
kind = "resource.cpu"
target = "db"
share = "10%"
duration = "1s"
[[fault]]
kind = "resource.memory"
target = "db"
limit = "64MiB"
duration = "1s"
[[fault]]
name = "noise"
kind = "stress"
target = "other"
cpu = 1
duration = "1s"
)";
  auto r = parse_scenario(text, "v.toml");
  REQUIRE(r.scenario.has_value());
  boost::asio::io_context io;
  RunClock clock;
  Clone clone(io.get_executor(), clock, *r.scenario, run);
  Ledger l;
  l.run_id = "cg" + std::to_string(::getpid());
  l.run_dir = run.string();
  std::vector<std::string> lines;
  make_run_cgroups(*r.scenario, l.run_id, {}, clone, l, [&](const std::string& s) { lines.push_back(s); });
  CHECK(lines.size() == 2);  // db (cpu and memory), the stress fault's own (cpu)
  CHECK_FALSE(clone.cgroup("db").empty());
  CHECK(clone.cgroup("other").empty());  // stress beside it: not in its cgroup
  REQUIRE(clone.cgroup("stress-noise").size() == 1);
  CHECK(l.resource_cgroups.size() == clone.cgroup("db").size() + 1);
  for (const auto& d : l.resource_cgroups) CHECK(fs::is_directory(d));
  CHECK(ledger_from_json(ledger_to_json(l)).resource_cgroups == l.resource_cgroups);
  // Should the harness die: `cleanup` removes them from the ledger's list.
  Ledger copy = l;
  const CleanupReport report = cleanup_run(copy);
  CHECK(report.ok());
  for (const auto& d : l.resource_cgroups) CHECK_FALSE(fs::exists(d));
  CHECK(remove_run_cgroups(l).empty());  // idempotent: already gone
  CHECK(l.resource_cgroups.empty());
  fs::remove_all(run);
}
