// The selection of `--strategies` (strategy_select.hpp): every name checked
// before anything is dropped, so that a bad list changes nothing.
#include "scenario/strategy_select.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <set>
#include <vector>

#include "scenario/check_context.hpp"

namespace faultline {

std::string select_strategies(Scenario& s, std::string_view list) {
  std::vector<std::string> declared;
  for (const auto& st : s.strategies) declared.push_back(st.name);
  if (declared.empty()) return fmt::format("scenario '{}' declares no [[strategy]]", s.name);
  std::set<std::string> wanted;
  std::size_t at = 0;
  for (;;) {
    const std::size_t comma = std::min(list.find(',', at), list.size());
    const std::string name(list.substr(at, comma - at));
    if (name.empty())
      return fmt::format("an empty strategy name in \"{}\" (write names separated by commas: a,b)", list);
    if (std::find(declared.begin(), declared.end(), name) == declared.end())
      return fmt::format("unknown strategy '{}' in scenario '{}' (its strategies: {})", name, s.name,
                         join_comma(declared));
    if (!wanted.insert(name).second) return fmt::format("strategy '{}' is named twice", name);
    if (comma == list.size()) break;
    at = comma + 1;
  }
  std::erase_if(s.strategies, [&](const StrategySpec& st) { return !wanted.count(st.name); });
  return {};
}

}  // namespace faultline
