// every_problem: parse, semantic and host problems of one file in one pass.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "os/scenario_check.hpp"
#include "scenario/scenario_parser_partial.hpp"

using namespace faultline;

namespace {

HostCaps without_netem() {
  HostCaps c;
  for (HostCap* x : {&c.net_admin, &c.namespaces, &c.nftables, &c.tbf, &c.netem, &c.pidfd}) x->present = true;
  c.netem.present = false;
  c.netem.name = "netem (sch_netem)";
  c.netem.detail = "a netem qdisc failed";
  return c;
}

std::string all(const std::vector<Diagnostic>& ds) {
  std::string out;
  for (const auto& d : ds) out += format_diagnostic(d) + "\n";
  return out;
}

/// The line of the first occurrence of `needle`.
int line_of(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  REQUIRE(at != std::string::npos);
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

const std::string kThreeProblems = R"(name = "ns"
network = "namespaces"

[[service]]
name = "a"
command = "sleep 100"

[[service]]
name = "b"
command = "sleep 100"
depends_on = ["nobody"]

[[probe]]
name = "up"
kind = "tcp"
host = "{addr.a}"
port = 80
interval = "100ms

[[fault]]
name = "slow"
kind = "net.latency"
target = "a"
latency = "100ms"
duration = "1s"
)";

}  // namespace

TEST_CASE("every problem: a syntax error, a semantic one and a missing capability, all three at their lines") {
  int probes = 0;
  const auto ds = every_problem(parse_scenario_partial(kThreeProblems, "three.toml"), [&] {
    ++probes;
    return without_netem();
  });
  INFO(all(ds));
  CHECK(probes == 1);
  REQUIRE(ds.size() == 3);  // in the order of the file
  CHECK(ds[0].message.find("nobody") != std::string::npos);
  CHECK(ds[0].pos.line == line_of(kThreeProblems, "depends_on"));
  CHECK(ds[1].message.find("TOML syntax error") != std::string::npos);
  CHECK(ds[1].pos.line == line_of(kThreeProblems, "interval = "));
  CHECK(ds[2].message.find("netem") != std::string::npos);
  CHECK(ds[2].pos.line == line_of(kThreeProblems, "kind = \"net.latency\""));
  for (const auto& d : ds) {
    CHECK(d.pos.file == "three.toml");
    CHECK(d.pos.column > 0);
  }
}

TEST_CASE("every problem: several syntax errors are each reported; a broken header drops its whole table") {
  const std::string text = "name = \"x\"\nseed = = 1\n[[service\nname = \"a\"\ncommand = \"true\"\n[[probe]]\nname = \"p\"\n"
                           "kind = \"tcp\"\nport = 1\ntimeout = \"1s\" \"2s\"\n";
  const auto ds = every_problem(parse_scenario_partial(text, "s.toml"), [] { return HostCaps{}; });
  INFO(all(ds));
  int syntax = 0;
  for (const auto& d : ds) syntax += d.message.find("TOML syntax error") != std::string::npos;
  CHECK(syntax == 3);
  CHECK(ds.size() == 3);  // nothing the blanked lines caused (a probe without its timeout is fine anyway)
}

TEST_CASE("every problem: a clean links scenario never probes the host; a clean one has no problem") {
  bool probed = false;
  const auto ds = every_problem(parse_scenario_partial("name = \"x\"\n[[service]]\nname = \"a\"\ncommand = \"true\"\n", "s.toml"),
                                [&] {
                                  probed = true;
                                  return HostCaps{};
                                });
  CHECK(ds.empty());
  CHECK_FALSE(probed);
}
