// Strategies compared on the same fault (issue 17), on a real nginx: the
// shipped drill scenarios/nginx-bad-config-strategies.toml with two
// iterations per strategy (8 in all, about 30 s), interrupted in the middle
// (nothing left behind, the record shows how far each strategy got), and the
// command line's --strategies.
#include <doctest/doctest.h>

#include <csignal>
#include <fmt/format.h>

#include "checks.hpp"

using namespace itest;
namespace json = boost::json;

namespace {

fs::path drill() { return source_root() / "scenarios" / "nginx-bad-config-strategies.toml"; }

const json::object& strategy(const json::value& rec, const std::string& name) {
  for (const auto& s : rec.at("strategies").at("comparison").at("strategies").as_array())
    if (s.at("name").as_string() == name) return s.as_object();
  FAIL("no strategy " << name);
  throw std::logic_error("unreachable");
}

/// A recovery figure in nanoseconds; -1 for "> deadline".
std::int64_t figure(const json::value& t) { return t.at("beyond_deadline").as_bool() ? -1 : t.at("ns").as_int64(); }

}  // namespace

TEST_CASE("strategies: the nginx bad-config drill compares rollback, kill switch, immutable rollback and live patch") {
  TempDir dir;
  const auto began = std::chrono::steady_clock::now();
  Result r = faultline(dir, {"run", drill().string(), "--iterations", "2", "--out", (dir / "run").string()});
  MESSAGE(fmt::format("nginx-bad-config-strategies: exit {}, {:.1f} s wall time", r.code,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count()));
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.code == 0);
  CHECK(r.out.find("strategies (median recovery compared at 95% confidence)") != std::string::npos);
  // Two iterations each are too few to call any difference significant.
  CHECK(r.out.find("not enough iterations to tell") != std::string::npos);
  const std::string junit = read_file(dir / "run" / "junit.xml");
  CHECK(junit.find("testcase name=\"rto (strategy kill-switch)\"") != std::string::npos);
  const json::value rec = read_json(dir / "run" / "run.json");
  CHECK(rec.at("left_behind").as_array().empty());
  expect_nothing_left(rec);
  const auto& order = rec.at("strategies").at("iteration_strategies").as_array();
  REQUIRE(order.size() == 8);
  // The order is plan's for the scenario's seed.
  Result plan = faultline(dir, {"plan", drill().string(), "--iterations", "2", "--seed", "17"});
  CHECK(plan.code == 0);
  const std::string block1 = fmt::format("  block 1: 1: {}, 2: {}, 3: {}, 4: {}\n", std::string(order[0].as_string()),
                                         std::string(order[1].as_string()), std::string(order[2].as_string()),
                                         std::string(order[3].as_string()));
  CHECK_MESSAGE(plan.out.find(block1) != std::string::npos, plan.out);
  for (const char* name : {"rollback", "kill-switch", "immutable", "live-patch"}) {
    INFO(name);
    const auto& s = strategy(rec, name);
    CHECK(s.at("iterations").as_int64() == 2);
    CHECK(s.at("not_recovered").as_int64() == 0);
    CHECK(s.at("failed_steps").as_int64() == 0);
    CHECK(s.at("eligible").as_bool());
    CHECK(s.at("rank").as_int64() >= 1);
    const json::object* runbook = nullptr;
    for (const auto& v : rec.at("verdicts").as_array())
      if (v.at("threshold").as_string() == "runbook" &&
          std::string(v.at("scope").as_string()).starts_with(fmt::format("strategy {}: ", name)))
        runbook = &v.as_object();
    REQUIRE(runbook);
    CHECK(runbook->at("passed").as_bool());
    // Its own threshold, judged over its own iterations (a JUnit testcase of its own).
    const json::object* rto = find_verdict(rec, "rto", fmt::format("strategy {}", name));
    REQUIRE(rto);
    CHECK(rto->at("passed").as_bool());
  }
  // The live patch waits 1 s before it acts: it restores no sooner, and
  // later than the kill switch, which acts at once.
  const std::int64_t patch = figure(strategy(rec, "live-patch").at("recovery_p50"));
  const std::int64_t kill_switch = figure(strategy(rec, "kill-switch").at("recovery_p50"));
  CHECK(patch >= 1'000'000'000);
  CHECK(kill_switch >= 0);
  CHECK(kill_switch < patch);
  CHECK(strategy(rec, "live-patch").at("rank").as_int64() > strategy(rec, "kill-switch").at("rank").as_int64());
  CHECK_FALSE(std::string(rec.at("strategies").at("comparison").at("conclusion").as_string()).empty());
}

TEST_CASE("strategies: SIGINT in the middle reverts, leaves nothing behind, and the record shows each strategy's progress") {
  TempDir dir;
  Spawned run = spawn({faultline_bin(), "run", drill().string(), "--iterations", "2", "--out", (dir / "run").string()},
                      dir.path, "run");
  REQUIRE_MESSAGE(wait_for_text(run.out, "iteration 3/8", std::chrono::seconds(60)), read_file(run.out));
  ::kill(run.pid, SIGINT);
  const int code = wait_for(run, std::chrono::seconds(60));
  INFO(read_file(run.out) << read_file(run.err));
  CHECK(code == 130);
  const json::value rec = read_json(dir / "run" / "run.json");
  CHECK(rec.at("outcome").as_string() == "interrupted");
  CHECK(rec.at("left_behind").as_array().empty());
  expect_nothing_left(rec);
  CHECK(rec.at("strategies").at("iteration_strategies").as_array().size() == 8);
  std::int64_t done = 0;
  for (const auto& s : rec.at("strategies").at("comparison").at("strategies").as_array()) done += s.at("iterations").as_int64();
  CHECK(done == static_cast<std::int64_t>(rec.at("iterations").as_array().size()));
  CHECK(done >= 2);
  CHECK(done < 8);
}

TEST_CASE("strategies: --strategies keeps the named ones; an unknown name is exit 2 naming the flag, nothing started") {
  TempDir dir;
  Result plan = faultline(dir, {"plan", drill().string(), "--strategies", "live-patch,kill-switch", "--seed", "1"});
  CHECK(plan.code == 0);
  CHECK(plan.out.find("strategies (2, each run 5 time(s)") != std::string::npos);
  CHECK(plan.out.find("strategy 'rollback'") == std::string::npos);
  Result bad = faultline(dir, {"run", drill().string(), "--strategies", "rollback,restart", "--out", (dir / "run").string()});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("faultline run: --strategies: unknown strategy 'restart' in scenario 'nginx-bad-config-strategies'") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(dir / "run" / "run.json"));
}
