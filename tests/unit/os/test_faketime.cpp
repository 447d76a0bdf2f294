#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "os/faketime.hpp"
#include "os/spawn.hpp"

using namespace faultline;
namespace fs = std::filesystem;

namespace {

/// `date +%s` run with `env` on top of this environment, as a number.
long long date_with(const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv = {"env"};
  for (const auto& [k, v] : env) argv.push_back(k + "=" + v);
  argv.insert(argv.end(), {"date", "+%s"});
  const SyncOutcome o = run_sync(argv, std::chrono::seconds(10));
  REQUIRE(o.status.success());
  return std::stoll(o.output);
}

long long real_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

TEST_CASE("faketime: Debian's libfaketime is found; `date` under it jumps with the control file and comes back") {
  const auto lib = libfaketime_path();
  REQUIRE_MESSAGE(lib, "libfaketime is not installed (tests/install-deps.sh installs it)");
  CHECK(lib->filename() == "libfaketime.so.1");
  const fs::path dir = fs::temp_directory_path() / ("faultline-faketime-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path control = dir / "svc.faketime";
  write_faketime_control(control, kFaketimeNeutral);
  const auto env = faketime_env(*lib, control);
  CHECK(env.at("FAKETIME_NO_CACHE") == "1");
  CHECK(std::llabs(date_with(env) - real_now()) <= 2);  // neutral: real time
  write_faketime_control(control, "+172800 x1\n");
  CHECK(std::llabs(date_with(env) - (real_now() + 172800)) <= 2);  // two days ahead
  write_faketime_control(control, "-30 x1\n");
  CHECK(std::llabs(date_with(env) - (real_now() - 30)) <= 2);
  write_faketime_control(control, "1700000000\n");  // frozen, an epoch second (FAKETIME_FMT=%s)
  CHECK(date_with(env) == 1700000000);
  write_faketime_control(control, kFaketimeNeutral);
  CHECK(std::llabs(date_with(env) - real_now()) <= 2);  // and back
  // Removal: the file, then its directory once empty; a second time is harmless.
  CHECK(remove_faketime_controls({control.string()}).empty());
  CHECK_FALSE(fs::exists(control));
  CHECK_FALSE(fs::exists(dir));
  CHECK(remove_faketime_controls({control.string()}).empty());
}

TEST_CASE("faketime: a service's own LD_PRELOAD is kept after libfaketime") {
  const auto env = faketime_env("/lib/libfaketime.so.1", "/run/x.faketime", "/lib/libother.so");
  CHECK(env.at("LD_PRELOAD") == "/lib/libfaketime.so.1:/lib/libother.so");
  CHECK(env.at("FAKETIME_TIMESTAMP_FILE") == "/run/x.faketime");
}
