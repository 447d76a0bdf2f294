// Reading a dynamic target's table (scenario_parser_select.hpp): its four
// keys, each checked where it was written. Whether the candidates are
// declared services, and whether each makes a valid fault of its kind, is
// validation's (dynamic_target.cpp), since it needs the whole scenario.
#include "scenario/scenario_parser_select.hpp"

#include <fmt/format.h>

#include "scenario/select_keys.hpp"

namespace faultline::parse {

bool is_select_table(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  return n && n->is_table();
}

std::optional<TargetSelect> read_target_select(ValueReader& v, const Tbl& tb, std::string_view key) {
  if (!is_select_table(tb, key)) return std::nullopt;
  const toml::node& n = *tb.t->get(key);
  const Tbl inner{n.as_table(), join_path(tb.path, key), fmt::format("'{}' = {{ select = ... }}", key)};
  TargetSelect sel;
  sel.key = std::string(key);
  sel.pos = v.at(n);
  v.check_keys(inner, key_names(target_select_keys()));
  if (v.require(inner, "select")) assign(sel.command, v.command(inner, "select"));
  if (v.require(inner, "among")) {
    assign(sel.among, v.identifiers(inner, "among"));
    const auto* among = inner.t->get("among");
    if (const auto* arr = among->as_array(); arr && arr->empty())
      v.error(v.at(*among), fmt::format("'among' of the dynamic '{}' names no service", key),
              "list the candidates, e.g. among = [\"etcd1\", \"etcd2\", \"etcd3\"]");
  }
  assign(sel.timeout, v.duration(inner, "timeout", DurationMin::positive));
  assign(sel.as, v.nonempty(inner, "as"));
  return sel;
}

}  // namespace faultline::parse
