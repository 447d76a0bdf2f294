// The typed value readers of the scenario parser: one TOML value (or one key
// of a table) converted to its C++ type with its type, unit and range
// checked, every problem reported with the position of the node it concerns.
// Included only by scenario_parser*.cpp, the only files that include toml++;
// the tables (which keys a [[service]] or a [[fault]] has, what they mean)
// are read in scenario_parser.cpp with these readers.
#pragma once

#include "scenario/toml_include.hpp"

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/catalog.hpp"
#include "scenario/check_context.hpp"
#include "scenario/diagnostics.hpp"
#include "scenario/fault_kind.hpp"
#include "scenario/scenario.hpp"

namespace faultline::parse {

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

using Min = DurationMin;

/// "a string", "an integer", ... for "must be X, not Y" messages.
std::string type_phrase(const toml::node& n);
std::vector<std::string> key_names(const std::vector<KeySpec>& keys);
bool contains(const std::vector<std::string>& v, std::string_view s);
/// "did you mean 'x'?" when `word` is a plausible typo of a candidate, else `otherwise`.
std::string suggest(std::string_view word, const std::vector<std::string>& candidates, std::string otherwise = {});
std::string join_path(const std::string& path, std::string_view key);

/// One TOML table being read into a struct.
struct Tbl {
  const toml::table* t;
  std::string path;   ///< key path prefix for Scenario::positions, "" at the top level
  std::string label;  ///< for messages: "the top level", "[[service]]", ...
};

/// The scenario being read, the diagnostics found so far, and the typed
/// readers of values. Every reader returns nullopt for an absent key and for
/// a wrong value, after reporting the latter.
class ValueReader {
 public:
  explicit ValueReader(std::string file) : file_(std::move(file)) { s_.file = file_; }

  // Diagnostics and positions.
  SourcePos at(const toml::source_region& r) const {
    return {file_, static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
  }
  SourcePos at(const toml::node& n) const { return at(n.source()); }
  SourcePos table_pos(const Tbl& tb) const {
    SourcePos p = at(*tb.t);
    if (p.line == 0) p = {file_, 1, 1};  // the root table
    return p;
  }
  void error(SourcePos pos, std::string message, std::string hint = {});
  void type_error(const toml::node& n, std::string_view key, std::string_view expected);
  /// Records where `n` (and everything inside it) was written, under `path`.
  void record(const std::string& path, const toml::node& n);
  /// record() with `path` as the buffer the inner paths are built in (left as it was).
  void record_under(std::string& path, const toml::node& n);

  // Keys.
  using WhyNot = std::function<std::string(const std::string& key)>;
  /// Reports every key of `tb` not in `allowed` (why_not(key) says why, when it knows).
  void check_keys(const Tbl& tb, const std::vector<std::string>& allowed, const WhyNot& why_not = {});
  bool require(const Tbl& tb, std::string_view key);

  // Values of one node.
  std::optional<std::string> string_of(const toml::node& n, std::string_view key);
  std::optional<std::string> nonempty_of(const toml::node& n, std::string_view key);
  std::optional<std::int64_t> integer_of(const toml::node& n, std::string_view key, std::int64_t lo, std::int64_t hi);
  std::optional<Nanos> duration_of(const toml::node& n, std::string_view key, Min min);
  std::optional<Command> command_of(const toml::node& n, std::string_view key);
  std::optional<std::string> identifier_of(const toml::node& n, std::string_view key);

  // Values of a table's key (nullopt when absent or wrong).
  std::optional<std::string> text(const Tbl& tb, std::string_view key);
  std::optional<std::string> nonempty(const Tbl& tb, std::string_view key);
  std::optional<std::int64_t> integer(const Tbl& tb, std::string_view key, std::int64_t lo, std::int64_t hi);
  std::optional<bool> boolean(const Tbl& tb, std::string_view key);
  std::optional<Nanos> duration(const Tbl& tb, std::string_view key, Min min);
  std::optional<Command> command(const Tbl& tb, std::string_view key);
  std::optional<std::string> identifier(const Tbl& tb, std::string_view key);
  std::optional<std::vector<std::string>> identifiers(const Tbl& tb, std::string_view key);
  std::optional<int> signal(const Tbl& tb, std::string_view key);
  std::optional<std::string> regex(const Tbl& tb, std::string_view key);
  std::optional<std::string> port(const Tbl& tb, std::string_view key);
  std::optional<std::vector<int>> statuses(const Tbl& tb, std::string_view key);
  std::optional<double> percent(const Tbl& tb, std::string_view key);
  std::optional<double> probability(const Tbl& tb, std::string_view key);
  std::optional<double> rate(const Tbl& tb, std::string_view key);
  std::optional<std::string> choice(const Tbl& tb, std::string_view key, const std::vector<std::string>& options);
  std::optional<std::string> address(const Tbl& tb, std::string_view key);
  std::optional<std::vector<std::vector<std::string>>> groups(const Tbl& tb, std::string_view key);
  /// `attach = { systemd = "UNIT" }`, `{ pidfile = "PATH" }` or `{ match = "REGEX" }`: exactly one key.
  std::optional<AttachSpec> attach(const Tbl& tb, std::string_view key);

 protected:
  /// An array whose every element `read_one` reads (reporting its problems).
  template <class T, class ReadOne>
  std::optional<std::vector<T>> array_of(const Tbl& tb, std::string_view key, std::string_view expected,
                                         ReadOne read_one);

  std::string file_;
  Scenario s_;
  std::vector<Diagnostic> diags_;
  std::string entity_;             ///< path of the table being read ("service[0]", "service[0].ready")
  std::set<std::string> errored_;  ///< entities (and their parents) with a parse error
};

/// A fault kind's view of its [[fault]] table (fault_kind.hpp): the readers
/// above, bound to the table.
class TableParamReader final : public ParamReader {
 public:
  TableParamReader(ValueReader& v, const Tbl& tb) : v_(v), tb_(tb) {}

  bool require(std::string_view key) override { return v_.require(tb_, key); }
  std::optional<bool> boolean(std::string_view key) override { return v_.boolean(tb_, key); }
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t lo, std::int64_t hi) override {
    return v_.integer(tb_, key, lo, hi);
  }
  std::optional<Nanos> duration(std::string_view key, DurationMin min) override { return v_.duration(tb_, key, min); }
  std::optional<Command> command(std::string_view key) override { return v_.command(tb_, key); }
  std::optional<int> signal(std::string_view key) override { return v_.signal(tb_, key); }
  std::optional<double> probability(std::string_view key) override { return v_.probability(tb_, key); }
  std::optional<double> rate(std::string_view key) override { return v_.rate(tb_, key); }
  std::optional<std::string> choice(std::string_view key, const std::vector<std::string>& options) override {
    return v_.choice(tb_, key, options);
  }
  std::optional<std::string> identifier(std::string_view key) override { return v_.identifier(tb_, key); }
  std::optional<std::string> text(std::string_view key) override { return v_.nonempty(tb_, key); }
  std::optional<std::vector<std::vector<std::string>>> groups(std::string_view key) override {
    return v_.groups(tb_, key);
  }

 private:
  ValueReader& v_;
  const Tbl& tb_;
};

}  // namespace faultline::parse
