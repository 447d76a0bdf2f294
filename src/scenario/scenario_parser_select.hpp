// Dynamic targets in the parser (issue 14): `target = { select = "COMMAND",
// among = ["a", "b", "c"] }`, and the same table as net.partition's
// `isolate`. A table there is read here into the fault's TargetSelect; a
// string stays what it always was. The kind's own reader must then not see
// the key (it would call the table a wrong type): HidingParamReader hands it
// every key but that one. Included only by scenario_parser.cpp (toml++ stays
// in scenario_parser*).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "scenario/scenario_parser_values.hpp"

namespace faultline::parse {

/// Whether key `key` of the table is written as a table (a dynamic target).
bool is_select_table(const Tbl& tb, std::string_view key);

/// Reads `key` = { select, among, timeout, as } of a [[fault]] table;
/// nullopt when the key is absent or not a table. Problems (unknown keys,
/// a missing 'select' or 'among', an empty 'among', wrong types) are
/// reported at their value; what could be read is returned all the same.
std::optional<TargetSelect> read_target_select(ValueReader& v, const Tbl& tb, std::string_view key);

/// A kind's ParamReader that does not see one key (a dynamic `isolate`,
/// filled in by the runner at injection): it reads as absent.
class HidingParamReader final : public ParamReader {
 public:
  HidingParamReader(ParamReader& inner, std::string hidden) : in_(inner), hidden_(std::move(hidden)) {}

  bool require(std::string_view key) override { return key == hidden_ || in_.require(key); }
  std::optional<bool> boolean(std::string_view key) override { return pass(key, [&] { return in_.boolean(key); }); }
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t lo, std::int64_t hi) override {
    return pass(key, [&] { return in_.integer(key, lo, hi); });
  }
  std::optional<Nanos> duration(std::string_view key, DurationMin min) override {
    return pass(key, [&] { return in_.duration(key, min); });
  }
  std::optional<Command> command(std::string_view key) override { return pass(key, [&] { return in_.command(key); }); }
  std::optional<int> signal(std::string_view key) override { return pass(key, [&] { return in_.signal(key); }); }
  std::optional<double> probability(std::string_view key) override {
    return pass(key, [&] { return in_.probability(key); });
  }
  std::optional<double> rate(std::string_view key) override { return pass(key, [&] { return in_.rate(key); }); }
  std::optional<std::string> choice(std::string_view key, const std::vector<std::string>& options) override {
    return pass(key, [&] { return in_.choice(key, options); });
  }
  std::optional<std::string> identifier(std::string_view key) override {
    return pass(key, [&] { return in_.identifier(key); });
  }
  std::optional<std::vector<std::vector<std::string>>> groups(std::string_view key) override {
    return pass(key, [&] { return in_.groups(key); });
  }
  std::optional<std::string> text(std::string_view key) override { return pass(key, [&] { return in_.text(key); }); }

 private:
  template <class F>
  auto pass(std::string_view key, F read) -> decltype(read()) {
    if (key == hidden_) return std::nullopt;
    return read();
  }

  ParamReader& in_;
  std::string hidden_;
};

}  // namespace faultline::parse
