// --strategies a,b: the selection keeps the scenario's order and refuses a
// bad list without changing anything.
#include <doctest/doctest.h>

#include "scenario/strategy_select.hpp"

using namespace faultline;

namespace {

Scenario three() {
  Scenario s;
  s.name = "drill";
  for (const char* n : {"rollback", "kill-switch", "patch"}) {
    StrategySpec st;
    st.name = n;
    s.strategies.push_back(st);
  }
  return s;
}

std::vector<std::string> names(const Scenario& s) {
  std::vector<std::string> out;
  for (const auto& st : s.strategies) out.push_back(st.name);
  return out;
}

}  // namespace

TEST_CASE("--strategies: keeps the named ones, in the scenario's order") {
  Scenario s = three();
  CHECK(select_strategies(s, "patch,rollback").empty());
  CHECK(names(s) == std::vector<std::string>{"rollback", "patch"});
  Scenario one = three();
  CHECK(select_strategies(one, "kill-switch").empty());
  CHECK(names(one) == std::vector<std::string>{"kill-switch"});
}

TEST_CASE("--strategies: an unknown, repeated or empty name is refused and changes nothing") {
  Scenario s = three();
  const std::string why = select_strategies(s, "rollback,restart");
  CHECK(why == "unknown strategy 'restart' in scenario 'drill' (its strategies: rollback, kill-switch, patch)");
  CHECK(names(s).size() == 3);
  CHECK(select_strategies(s, "patch,patch") == "strategy 'patch' is named twice");
  CHECK(select_strategies(s, "patch,").find("an empty strategy name") == 0);
  CHECK(select_strategies(s, "").find("an empty strategy name") == 0);
  CHECK(names(s).size() == 3);
  Scenario none;
  none.name = "plain";
  CHECK(select_strategies(none, "a") == "scenario 'plain' declares no [[strategy]]");
}
