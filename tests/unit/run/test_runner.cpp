// The runner's phases and outcomes on small real scenarios built in code:
// the exit code of each outcome class and what the record says about it.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include <fstream>

#include "fault_injectors/exec_fault.hpp"
#include "os/atomic_file.hpp"
#include "os/netns.hpp"
#include "record/json_record.hpp"
#include "run/runner.hpp"

using namespace faultline;
namespace fs = std::filesystem;

namespace {

struct RunDir {
  fs::path path;
  RunDir() {
    std::string tmpl = (fs::temp_directory_path() / "faultline-runner-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()));
    path = tmpl;
    ::setenv("FAULTLINE_STATE_DIR", (path / "state").c_str(), 1);  // this test's own crash ledgers
  }
  ~RunDir() { fs::remove_all(path); }
};

Command argv(std::vector<std::string> a) { return Command{std::move(a), false, {}}; }

/// One service (sleep), one always-ok exec probe, one exec fault.
Scenario small(Command apply, std::optional<Command> revert = std::nullopt) {
  Scenario s;
  s.name = "runner-test";
  s.file = "runner-test.toml";
  s.iterations = 2;
  s.steady_for = 50ms;
  s.steady_timeout = 2s;
  s.watch = 50ms;
  s.give_up_after = 1s;
  s.cool_down = 0ms;
  ServiceSpec svc;
  svc.name = "sleeper";
  svc.command = argv({"sleep", "30"});
  svc.stop_grace = 1s;
  s.services = {svc};
  ProbeSpec p;
  p.name = "always";
  p.kind = ProbeKind::exec;
  p.interval = 20ms;
  p.timeout = 1s;
  p.command = argv({"true"});
  s.probes = {p};
  FaultSpec f;
  f.name = "cmd";
  f.kind = "exec";
  f.at_min = f.at_max = 10ms;
  ExecParams e;
  e.apply = std::move(apply);
  e.revert = std::move(revert);
  e.timeout = 5s;
  f.params = e;
  if (e.revert) f.duration = 30ms;
  s.faults = {f};
  s.thresholds.rto = 1s;
  return s;
}

RunOptions options(const RunDir& d) {
  RunOptions o;
  o.out_dir = d.path / "run";
  o.console = ConsoleMode::quiet;
  o.seed = 3;
  o.write_record = [](const RunRecord& rec, const fs::path& dir) { write_file_atomic(dir / "run.json", render_json(rec)); };
  return o;
}

}  // namespace

TEST_CASE("runner: an absorbed fault passes with recovery time 0 and every revert done") {
  RunDir d;
  const Scenario s = small(argv({"true"}), argv({"true"}));
  RunRecord r = run_scenario(s, "text", options(d));
  INFO(r.error);
  CHECK(r.exit_code == 0);
  CHECK(r.outcome == Outcome::passed);
  REQUIRE(r.iterations.size() == 2);
  for (const auto& m : r.iterations) {
    CHECK_FALSE(m.impact);
    CHECK(m.recovered);
    REQUIRE(m.recovery_time);
    CHECK(m.recovery_time->count() == 0);
  }
  REQUIRE(r.faults.size() == 2);
  for (const auto& f : r.faults) {
    CHECK(f.ok);
    REQUIRE(f.inject_end);
    REQUIRE(f.revert_end);
    // Held for the fault's duration, measured from t_inject.
    CHECK(*f.revert_start - *f.inject_end >= 30ms);
  }
  CHECK(r.seed == 3);
  CHECK(fs::exists(d.path / "run" / "run.json"));
  CHECK(fs::exists(d.path / "run" / "logs" / "sleeper.log"));
}

TEST_CASE("runner: a fault that cannot be applied is a harness error (exit 4), still reverted") {
  RunDir d;
  const fs::path reverted = d.path / "reverted";
  const Scenario s = small(argv({"false"}), argv({"touch", reverted.string()}));
  RunRecord r = run_scenario(s, "text", options(d));
  CHECK(r.exit_code == 4);
  CHECK(r.outcome == Outcome::harness_error);
  CHECK(r.error.find("could not be applied") != std::string::npos);
  CHECK(fs::exists(reverted));  // revert runs even after a failed apply
}

TEST_CASE("runner: a revert that fails is reported as left behind (exit 4)") {
  RunDir d;
  const Scenario s = small(argv({"true"}), argv({"false"}));
  RunRecord r = run_scenario(s, "text", options(d));
  CHECK(r.exit_code == 4);
  REQUIRE(r.left_behind.size() == 1);
  CHECK(r.left_behind.front().find("cmd") != std::string::npos);
  CHECK(r.faults.size() == 1);  // the second iteration never injected
}

TEST_CASE("runner: steady state never met is inconclusive (exit 3) and nothing is injected") {
  RunDir d;
  const fs::path applied = d.path / "applied";
  Scenario s = small(argv({"touch", applied.string()}));
  s.probes[0].command = argv({"false"});
  s.steady_timeout = 200ms;
  RunRecord r = run_scenario(s, "text", options(d));
  CHECK(r.exit_code == 3);
  CHECK(r.outcome == Outcome::inconclusive);
  CHECK(r.error.find("steady state not met") != std::string::npos);
  CHECK(r.error.find("always") != std::string::npos);  // names the failing probe
  CHECK_FALSE(fs::exists(applied));
}

TEST_CASE("runner: a failing verify step fails the run (exit 1) with its own verdict") {
  RunDir d;
  Scenario s = small(argv({"true"}));
  StepSpec v;
  v.name = "data intact";
  v.command = argv({"sh", "-c", "echo iteration {iteration}; exit 3"});
  v.timeout = 5s;
  s.verify = {v};
  RunRecord r = run_scenario(s, "text", options(d));
  CHECK(r.exit_code == 1);
  bool found = false;
  for (const auto& verdict : r.verdicts)
    if (verdict.threshold == "verify") {
      found = true;
      CHECK_FALSE(verdict.passed);
      CHECK(verdict.measured == "0/2 iterations passed");
      CHECK(verdict.detail.find("iteration 1") != std::string::npos);
    }
  CHECK(found);
  REQUIRE(r.steps.size() == 2);
  CHECK(r.steps[0].output.find("iteration 1") != std::string::npos);
}

TEST_CASE("runner: a failing setup step makes the run inconclusive before any fault") {
  RunDir d;
  const fs::path applied = d.path / "applied";
  Scenario s = small(argv({"touch", applied.string()}));
  StepSpec st;
  st.name = "seed data";
  st.command = argv({"false"});
  s.setup = {st};
  RunRecord r = run_scenario(s, "text", options(d));
  CHECK(r.exit_code == 3);
  CHECK(r.error.find("seed data") != std::string::npos);
  CHECK_FALSE(fs::exists(applied));
}

TEST_CASE("runner: without an rto threshold, an iteration that never recovers still fails the run") {
  RunDir d;
  Scenario s = small(argv({"touch", (d.path / "down").string()}));
  s.iterations = 1;
  s.thresholds = Thresholds{};
  s.give_up_after = 300ms;
  // The probe fails from the moment the fault's marker file exists.
  s.probes[0].command = argv({"sh", "-c", "test ! -e " + (d.path / "down").string()});
  RunRecord r = run_scenario(s, "text", options(d));
  CHECK(r.exit_code == 1);
  REQUIRE(r.iterations.size() == 1);
  CHECK_FALSE(r.iterations[0].recovered);
  bool found = false;
  for (const auto& v : r.verdicts)
    if (v.threshold == "recovery") {
      found = true;
      CHECK_FALSE(v.passed);
      CHECK(v.measured == "0/1 iterations recovered");
    }
  CHECK(found);
}

TEST_CASE("runner: network = namespaces runs the clone and probes in the run's namespaces and deletes them on every path") {
  RunDir d;
  Scenario s = small(argv({"true"}));
  s.iterations = 1;
  s.network = NetworkMode::namespaces;
  s.subnet = "10.99.8.0/29";
  // The service sees only its own address; the probe (in the hub) reaches it.
  s.services[0].command = argv({"sh", "-c", "ip -o addr show > addrs; exec sleep 30"});
  s.services[0].workdir = (d.path / "svc").string();
  fs::create_directories(d.path / "svc");
  s.probes[0].command = argv({"sh", "-c", "ip -o addr show | grep -q 10.99.8.1/32"});
  RunRecord ok = run_scenario(s, "text", options(d));
  CHECK(ok.exit_code == 0);
  const std::string tag = ok.run_id.substr(ok.run_id.size() - 6);
  std::ifstream in(d.path / "svc" / "addrs");
  const std::string addrs((std::istreambuf_iterator<char>(in)), {});
  CHECK(addrs.find("10.99.8.2/32") != std::string::npos);
  CHECK(addrs.find("fl" + tag + "n0") != std::string::npos);
  CHECK(run_namespaces(tag).empty());

  // A service that never gets ready: inconclusive (exit 3), and the network is gone too.
  ProbeSpec never;
  never.name = "sleeper";
  never.kind = ProbeKind::exec;
  never.interval = 20ms;
  never.command = argv({"false"});
  s.services[0].ready = never;
  s.services[0].ready_timeout = 300ms;
  RunDir d2;
  RunRecord bad = run_scenario(s, "text", options(d2));
  CHECK(bad.exit_code == 3);
  CHECK(run_namespaces(bad.run_id.substr(bad.run_id.size() - 6)).empty());
}
