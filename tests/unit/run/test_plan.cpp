// Tests of `faultline plan`'s text: the schedule of each iteration, drawn
// from the seed, and a bounded answer for any number of iterations.
#include <doctest/doctest.h>

#include <string>

#include "run/plan.hpp"
#include "scenario/scenario_parser.hpp"

using namespace faultline;

namespace {

Scenario parsed(const std::string& text) {
  auto r = parse_scenario(text, "p.toml");
  REQUIRE(r.diagnostics.empty());
  REQUIRE(r.scenario.has_value());
  return *r.scenario;
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

const std::string kBase = R"(name = "p"
[[service]]
name = "redis"
command = "redis-server --port {port.redis}"
ports = ["redis"]
[[fault]]
name = "pause"
kind = "process.pause"
target = "redis"
at = ["1s", "3s"]
duration = "500ms"
repeat = 3
every = "2s"
)";

}  // namespace

TEST_CASE("plan: each repetition of each iteration at its offset, the same for the same seed") {
  Scenario s = parsed(kBase);
  s.iterations = 2;
  const std::string a = render_plan(s, 7);
  CHECK(count(a, "  iteration ") == 2);
  CHECK(count(a, "process.pause 'pause' (") == 6);  // 3 repetitions x 2 iterations
  CHECK(count(a, "revert 'pause'") == 6);
  CHECK(a.find("(3/3)") != std::string::npos);
  CHECK(render_plan(s, 7) == a);
  // Without a seed the window is shown as the range it is drawn from.
  CHECK(render_plan(s, std::nullopt).find("T+[1s..3s]") != std::string::npos);
}

TEST_CASE("plan: a huge iteration count is summarised after ten iterations") {
  Scenario s = parsed(kBase);
  s.iterations = 2147483647;
  const std::string p = render_plan(s, 7);
  CHECK(count(p, "  iteration ") == 10);
  CHECK(p.find("iterations 11 to 2147483647: the same schedule, each offset drawn anew from its window") !=
        std::string::npos);
  CHECK(p.size() < 20000);
}

TEST_CASE("plan: a dynamic target is SELECTED, chosen at injection, and said how") {
  const std::string text = R"(name = "p"
[[service]]
name = "a"
command = "sleep 60"
[[service]]
name = "b"
command = "sleep 60"
[[fault]]
name = "kill-leader"
kind = "process.kill"
target = { select = "is-leader {service.addr}", among = ["a", "b"] }
)";
  const std::string plan = render_plan(parsed(text), 1);
  CHECK(plan.find("process.kill 'kill-leader': SIGKILL to the process group of 'SELECTED'; SELECTED = the first of "
                  "[a, b] where `is-leader {service.addr}` succeeds, chosen at injection") != std::string::npos);
}

TEST_CASE("plan: the timeline is in time order, each revert at its own time among the injections") {
  const Scenario s = parsed(R"(name = "p"
[[service]]
name = "a"
command = "sleep 100"
[[fault]]
name = "long"
kind = "exec"
apply = "true"
revert = "true"
at = "500ms"
duration = "5s"
[[fault]]
name = "short"
kind = "process.pause"
target = "a"
at = "1s"
duration = "1s"
)");
  const std::string p = render_plan(s, 1);
  const auto inject_long = p.find("'long':");
  const auto inject_short = p.find("'short':");
  const auto revert_short = p.find("revert 'short'");
  const auto revert_long = p.find("revert 'long'");
  INFO(p);
  REQUIRE(revert_long != std::string::npos);
  CHECK(inject_long < inject_short);
  CHECK(inject_short < revert_short);
  CHECK(revert_short < revert_long);
  CHECK(p.find("T+2s           revert 'short'") != std::string::npos);
}

TEST_CASE("plan: a partition over a shared link lists the links it cuts and every pair that loses the other") {
  const Scenario s = parsed(R"(name = "p"
[[service]]
name = "a"
command = "sleep 100"
[[service]]
name = "b"
command = "sleep 100"
[[service]]
name = "c"
command = "sleep 100"
ports = ["db"]
[[link]]
name = "to-c"
to = "127.0.0.1:{port.db}"
from = ["a", "b"]
[[fault]]
name = "cut-a"
kind = "net.partition"
isolate = "a"
duration = "1s"
)");
  const std::string p = render_plan(s, 1);
  INFO(p);
  CHECK(p.find("'cut-a' cuts link(s) to-c (both ways)") != std::string::npos);
  CHECK(p.find("services that lose each other: a <-> c, b <-> c") != std::string::npos);
  CHECK(p.find("of which its groups do not separate: b <-> c") != std::string::npos);
}
