#include <doctest/doctest.h>

#include <unistd.h>

#include <fstream>

#include "../scenario/validate_fixture.hpp"
#include "fault_injectors/stress.hpp"
#include "resource_fixture.hpp"

using namespace faultline;
using namespace faultline::testing;
using namespace faultline::validate_fixture;

namespace {

/// The stress-ng processes whose working directory is under `dir`.
std::vector<pid_t> stress_processes(const fs::path& dir) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream comm(e.path() / "comm");
    std::string c;
    comm >> c;
    std::error_code lec;
    if (c.rfind("stress-ng", 0) == 0 && fs::read_symlink(e.path() / "cwd", lec).string().find(dir.string()) == 0)
      out.push_back(std::stoi(name));
  }
  return out;
}

}  // namespace

TEST_CASE("stress: its command line") {
  StressParams p;
  p.cpu = 2;
  p.vm = 1;
  p.vm_bytes = 1 << 20;
  CHECK(stress_argv(p, "/t", 61) == std::vector<std::string>{"stress-ng", "--cpu", "2", "--vm", "1", "--vm-bytes",
                                                             "1048576", "--temp-path", "/t", "--timeout", "61s"});
  p = {};
  p.io = 1;
  CHECK(stress_argv(p, "/t", 0) == std::vector<std::string>{"stress-ng", "--hdd", "1", "--hdd-bytes", "64M",
                                                            "--temp-path", "/t", "--timeout", "1s"});
}

TEST_CASE("stress: workers inside the service's cgroup share its CPU share; the revert leaves no stress-ng") {
  if (::geteuid() != 0) return;  // root-only: CI runs as root
  ResourceFixture fx("exec sleep 60", "stress", "cpu = 2\nvm = 1\nvm_bytes = \"8MiB\"\ninside = true\n");
  auto inj = make_injector(fx.spec());
  auto ctx = fx.context();
  run_sync(fx.io, inj->prepare(ctx));
  run_sync(fx.io, inj->inject(ctx));
  CHECK(inj->describe().find("inside the cgroup of service 'svc'") != std::string::npos);
  fx.run_for(500ms);
  const auto workers = stress_processes(fx.dir);
  CHECK(workers.size() >= 4);  // stress-ng itself and its 3 workers
  const auto members = cgroup_controls(fx.cgroups)->processes();
  for (pid_t w : workers) {
    INFO("stress-ng process ", w);
    CHECK(std::find(members.begin(), members.end(), w) != members.end());
  }
  run_sync(fx.io, inj->revert(ctx));
  CHECK(stress_processes(fx.dir).empty());
  CHECK_FALSE(fs::exists(fx.dir / "stress"));
  run_sync(fx.io, inj->revert(ctx));  // idempotent
}

TEST_CASE("stress: no workers and bad sizes are refused at file:line:col") {
  auto text = [](const std::string& keys) {
    return "name = \"v\"\n[[service]]\nname = \"s\"\ncommand = [\"sleep\", \"9\"]\n[[fault]]\nkind = "
           "\"stress\"\ntarget = \"s\"\nduration = \"1s\"\n" +
           keys;
  };
  const std::string none = text("");
  check_at(diag(check(none), "needs workers"), value_of(none, "kind = \"stress\""));
  const std::string size = text("vm = 1\nvm_bytes = \"huge\"\n");
  check_at(diag(check(size), "'huge'"), value_of(size, "vm_bytes = \"huge\""));
  if (::geteuid() == 0) CHECK(check(text("cpu = 1\n")).empty());
}
