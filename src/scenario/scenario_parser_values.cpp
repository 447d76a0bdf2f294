#include "scenario/scenario_parser_values.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <csignal>
#include <fmt/format.h>
#include <utility>

#include "scenario/check_context.hpp"
#include "scenario/placeholders.hpp"
#include "scenario/rate.hpp"
#include "scenario/signals.hpp"
#include "scenario/text_match.hpp"

namespace faultline::parse {

namespace {

constexpr std::size_t kMaxRegexLength = 1000;  ///< characters of a regex
constexpr int kMaxRegexDepth = 32;             ///< nested parentheses in a regex

/// "a", "a or b", "a, b or c".
std::string join_or(const std::vector<std::string>& items) { return join_list(items, " or "); }

bool is_identifier(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

}  // namespace

/// "a string", "an integer", ... for "must be X, not Y" messages.
std::string type_phrase(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

std::vector<std::string> key_names(const std::vector<KeySpec>& keys) {
  std::vector<std::string> names;
  names.reserve(keys.size());
  for (const auto& k : keys) names.push_back(k.key);
  return names;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

/// "did you mean 'x'?" when `word` is a plausible typo of a candidate, else `otherwise`.
std::string suggest(std::string_view word, const std::vector<std::string>& candidates, std::string otherwise) {
  std::string best = closest(word, candidates);
  return best.empty() ? otherwise : fmt::format("did you mean '{}'?", best);
}

std::string join_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

void ValueReader::error(SourcePos pos, std::string message, std::string hint) {
  if (pos.file.empty()) pos.file = file_;
  diags_.push_back({std::move(pos), std::move(message), std::move(hint)});
  errored_.insert(entity_);
  if (auto dot = entity_.find('.'); dot != std::string::npos) errored_.insert(entity_.substr(0, dot));
}

void ValueReader::type_error(const toml::node& n, std::string_view key, std::string_view expected) {
  error(at(n), fmt::format("'{}' must be {}, not {}", key, expected, type_phrase(n)));
}

void ValueReader::record(const std::string& path, const toml::node& n) {
  std::string buffer = path;
  record_under(buffer, n);
}

// The paths of the nodes inside are built in `path` itself (appended, then
// cut back): a scenario records a few hundred nodes at every start, and a
// string formatted per node cost 3 % of `plan`'s instructions (callgrind,
// the largest shipped scenario; docs/benchmarks.md).
void ValueReader::record_under(std::string& path, const toml::node& n) {
  const auto it = s_.positions.try_emplace(path).first;
  it->second = at(n);
  const std::size_t length = path.size();
  if (const auto* arr = n.as_array()) {
    for (std::size_t i = 0; i < arr->size(); ++i) {
      path += '[';
      path += std::to_string(i);
      path += ']';
      record_under(path, (*arr)[i]);
      path.resize(length);
    }
  } else if (const auto* tbl = n.as_table()) {
    for (auto&& [k, v] : *tbl) {
      if (length > 0) path += '.';
      path += k.str();
      record_under(path, v);
      path.resize(length);
    }
  }
}

// ---------------------------------------------------------------- keys

void ValueReader::check_keys(const Tbl& tb, const std::vector<std::string>& allowed, const WhyNot& why_not) {
  for (auto&& [k, v] : *tb.t) {
    const std::string key(k.str());
    if (contains(allowed, key)) {
      record(join_path(tb.path, key), v);
      continue;
    }
    const SourcePos pos = at(k.source()).line > 0 ? at(k.source()) : at(v);
    if (std::string why = why_not ? why_not(key) : std::string(); !why.empty()) {
      error(pos, why);
      continue;
    }
    error(pos, fmt::format("unknown key '{}' in {}", key, tb.label),
          suggest(key, allowed, fmt::format("known keys: {}", join_comma(allowed))));
  }
}

bool ValueReader::require(const Tbl& tb, std::string_view key) {
  if (tb.t->get(key)) return true;
  error(table_pos(tb), fmt::format("missing required key '{}' in {}", key, tb.label));
  return false;
}

// ---------------------------------------------------------------- values of a node

std::optional<std::string> ValueReader::string_of(const toml::node& n, std::string_view key) {
  if (const auto* s = n.as_string()) return s->get();
  type_error(n, key, "a string");
  return std::nullopt;
}

std::optional<std::string> ValueReader::nonempty_of(const toml::node& n, std::string_view key) {
  auto s = string_of(n, key);
  if (s && s->empty()) {
    error(at(n), fmt::format("'{}' must not be empty", key));
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> ValueReader::integer_of(const toml::node& n, std::string_view key, std::int64_t lo,
                                               std::int64_t hi) {
  const auto* i = n.as_integer();
  if (!i) {
    type_error(n, key, "an integer");
    return std::nullopt;
  }
  const std::int64_t v = i->get();
  if (v >= lo && v <= hi) return v;
  if (hi == kIntMax || hi == kInt64Max)
    error(at(n), fmt::format("'{}' must be at least {}, not {}", key, lo, v));
  else
    error(at(n), fmt::format("'{}' must be between {} and {}, not {}", key, lo, hi, v));
  return std::nullopt;
}

std::optional<Nanos> ValueReader::duration_of(const toml::node& n, std::string_view key, Min min) {
  if (n.is_integer() || n.is_floating_point()) {
    const std::string number = n.is_integer() ? fmt::format("{}", n.as_integer()->get())
                                              : fmt::format("{}", n.as_floating_point()->get());
    error(at(n),
          fmt::format("'{}' must be a duration string such as \"250ms\" or \"2s\", not a bare number: durations need a unit",
                      key),
          fmt::format("write \"{0}s\" or \"{0}ms\"", number));
    return std::nullopt;
  }
  const auto* s = n.as_string();
  if (!s) {
    type_error(n, key, "a duration string such as \"250ms\" or \"2s\"");
    return std::nullopt;
  }
  std::string why;
  auto d = parse_duration(s->get(), &why);
  if (!d) {
    error(at(n), fmt::format("'{}': {}", key, why));
    return std::nullopt;
  }
  if (min == Min::positive && d->count() == 0) {
    error(at(n), fmt::format("'{}' must be positive (greater than zero), not \"{}\"", key, s->get()));
    return std::nullopt;
  }
  return d;
}

std::optional<Command> ValueReader::command_of(const toml::node& n, std::string_view key) {
  Command c;
  c.pos = at(n);
  if (const auto* s = n.as_string()) {
    const std::string& line = s->get();
    if (line.find_first_not_of(" \t\r\n") == std::string::npos) {
      error(at(n), fmt::format("'{}' must not be empty", key));
      return std::nullopt;
    }
    c.argv = {"/bin/sh", "-c", line};
    c.shell = true;
    return c;
  }
  const auto* arr = n.as_array();
  if (!arr) {
    type_error(n, key, "a string (a shell line) or an array of strings (an argv)");
    return std::nullopt;
  }
  if (arr->empty()) {
    error(at(n), fmt::format("'{}' must not be an empty array: the first element is the program to run", key));
    return std::nullopt;
  }
  bool ok = true;
  for (const auto& e : *arr) {
    if (const auto* s = e.as_string()) {
      c.argv.push_back(s->get());
    } else {
      error(at(e), fmt::format("every element of '{}' must be a string, not {}", key, type_phrase(e)));
      ok = false;
    }
  }
  if (ok && c.argv.front().empty()) {
    error(at(arr->front()), fmt::format("the program (first element) of '{}' must not be empty", key));
    ok = false;
  }
  return ok ? std::optional<Command>(std::move(c)) : std::nullopt;
}

std::optional<std::string> ValueReader::identifier_of(const toml::node& n, std::string_view key) {
  auto s = string_of(n, key);
  if (s && !is_identifier(*s)) {
    error(at(n), fmt::format("'{}' must be made of letters, digits, '_' and '-', not \"{}\"", key, *s));
    return std::nullopt;
  }
  return s;
}

// ---------------------------------------------------------------- values of a table's key

std::optional<std::string> ValueReader::text(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  return n ? string_of(*n, key) : std::nullopt;
}

std::optional<std::string> ValueReader::nonempty(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  return n ? nonempty_of(*n, key) : std::nullopt;
}

std::optional<std::int64_t> ValueReader::integer(const Tbl& tb, std::string_view key, std::int64_t lo, std::int64_t hi) {
  const auto* n = tb.t->get(key);
  return n ? integer_of(*n, key, lo, hi) : std::nullopt;
}

std::optional<bool> ValueReader::boolean(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  if (const auto* b = n->as_boolean()) return b->get();
  type_error(*n, key, "a boolean (true or false)");
  return std::nullopt;
}

std::optional<Nanos> ValueReader::duration(const Tbl& tb, std::string_view key, Min min) {
  const auto* n = tb.t->get(key);
  return n ? duration_of(*n, key, min) : std::nullopt;
}

std::optional<Command> ValueReader::command(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  return n ? command_of(*n, key) : std::nullopt;
}

std::optional<std::string> ValueReader::identifier(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  return n ? identifier_of(*n, key) : std::nullopt;
}

template <class T, class ReadOne>
std::optional<std::vector<T>> ValueReader::array_of(const Tbl& tb, std::string_view key, std::string_view expected,
                                                    ReadOne read_one) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  const auto* arr = n->as_array();
  if (!arr) {
    type_error(*n, key, expected);
    return std::nullopt;
  }
  std::vector<T> out;
  bool ok = true;
  for (const auto& e : *arr) {
    if (auto v = read_one(e))
      out.push_back(static_cast<T>(*v));
    else
      ok = false;
  }
  return ok ? std::optional(std::move(out)) : std::nullopt;
}

std::optional<std::vector<std::string>> ValueReader::identifiers(const Tbl& tb, std::string_view key) {
  return array_of<std::string>(tb, key, "an array of names", [&](const toml::node& e) { return identifier_of(e, key); });
}

std::optional<int> ValueReader::signal(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  if (n->is_integer()) {
    auto v = integer_of(*n, key, 1, 64);
    return v ? std::optional(static_cast<int>(*v)) : std::nullopt;
  }
  const auto* s = n->as_string();
  if (!s) {
    type_error(*n, key, "a signal name such as \"SIGTERM\" or a number 1..64");
    return std::nullopt;
  }
  if (int number = signal_number(s->get())) return number;
  std::string upper;
  for (char c : s->get()) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper.substr(0, 3) != "SIG") upper = "SIG" + upper;
  error(at(*n), fmt::format("unknown signal '{}' in '{}'", s->get(), key),
        suggest(upper, signal_names(), "write a name such as \"SIGTERM\" or \"KILL\", or a number 1..64"));
  return std::nullopt;
}

std::optional<std::string> ValueReader::regex(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  auto s = string_of(*n, key);
  if (!s) return std::nullopt;
  // Regex compilers recurse, a few frames per group: a pattern thousands of
  // groups deep overflowed the stack in libstdc++'s (found by tests/fuzz),
  // and Boost.Regex's parser (text_match.cpp) recurses per group too. Bound
  // both length and depth before compiling; no probe needs more.
  int depth = 0, deepest = 0;
  for (std::size_t i = 0; i < s->size(); ++i) {
    if ((*s)[i] == '\\') ++i;
    else if ((*s)[i] == '(') deepest = std::max(deepest, ++depth);
    else if ((*s)[i] == ')' && depth > 0) --depth;
  }
  if (s->size() > kMaxRegexLength || deepest > kMaxRegexDepth) {
    error(at(*n), s->size() > kMaxRegexLength
                      ? fmt::format("'{}' is too long for a regular expression: {} characters, at most {}", key,
                                    s->size(), kMaxRegexLength)
                      : fmt::format("'{}' nests parentheses {} deep, at most {}", key, deepest, kMaxRegexDepth),
          "match a shorter pattern");
    return std::nullopt;
  }
  // Placeholders are substituted before the regex is used: compile it with
  // stand-in values so that "{port.x}" is not read as a bad repetition.
  Bindings stand_ins;
  for (const auto& use : find_placeholders(*s)) stand_ins.emplace(use.name, "0");
  if (auto why = regex_syntax_error(substitute(*s, stand_ins))) {
    error(at(*n), fmt::format("'{}' is not a valid regular expression: {}", key, *why));
    return std::nullopt;
  }
  return s;
}

std::optional<std::string> ValueReader::port(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  if (n->is_integer()) {
    auto v = integer_of(*n, key, 1, 65535);
    return v ? std::optional(std::to_string(*v)) : std::nullopt;
  }
  auto s = string_of(*n, key);
  if (!s) return std::nullopt;
  if (!find_placeholders(*s).empty()) return s;  // checked by validate()
  int number = 0;
  auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), number);
  if (ec == std::errc() && end == s->data() + s->size() && number >= 1 && number <= 65535) return s;
  error(at(*n), fmt::format("'{}' must be a port number 1..65535 or a placeholder such as \"{{port.NAME}}\", not \"{}\"",
                            key, *s));
  return std::nullopt;
}

std::optional<std::vector<int>> ValueReader::statuses(const Tbl& tb, std::string_view key) {
  return array_of<int>(tb, key, "an array of status codes such as [200, 204]",
                       [&](const toml::node& e) { return integer_of(e, key, 100, 599); });
}

std::optional<double> ValueReader::percent(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  const auto* s = n->as_string();
  if (!s || s->get().empty() || s->get().back() != '%') {
    const std::string shown = n->is_integer()          ? fmt::format("{}", n->as_integer()->get())
                              : n->is_floating_point() ? fmt::format("{}", n->as_floating_point()->get())
                                                       : std::string("99.5");
    error(at(*n),
          fmt::format("'{}' must be a percentage written with a percent sign, such as \"99.5%\", not {}", key,
                      s ? fmt::format("\"{}\"", s->get()) : type_phrase(*n)),
          fmt::format("write \"{}%\"", shown));
    return std::nullopt;
  }
  const std::string& text = s->get();
  double value = 0;
  const char* last = text.data() + text.size() - 1;  // the '%'
  auto [end, ec] = std::from_chars(text.data(), last, value);
  if (ec != std::errc() || end != last) {
    error(at(*n), fmt::format("'{}' must be a number followed by '%', such as \"99.5%\", not \"{}\"", key, text));
    return std::nullopt;
  }
  if (!(value >= 0 && value <= 100)) {  // also rejects "nan%"
    error(at(*n), fmt::format("'{}' must be between 0% and 100%, not \"{}\"", key, text));
    return std::nullopt;
  }
  return value;
}

std::optional<double> ValueReader::probability(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  double value = 0;
  if (const auto* i = n->as_integer())
    value = static_cast<double>(i->get());
  else if (const auto* f = n->as_floating_point())
    value = f->get();
  else {
    type_error(*n, key, "a probability between 0 and 1, such as 0.5");
    return std::nullopt;
  }
  if (!(value >= 0 && value <= 1)) {  // also rejects nan
    error(at(*n), fmt::format("'{}' must be between 0 and 1, not {}", key, value),
          value > 1 && value <= 100 ? fmt::format("a probability, not a percentage: write {}", value / 100) : "");
    return std::nullopt;
  }
  return value;
}

std::optional<double> ValueReader::rate(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  const auto* str = n->as_string();
  if (!str) {
    type_error(*n, key, "a rate string such as \"100KB/s\"");
    return std::nullopt;
  }
  std::string why;
  auto r = parse_rate(str->get(), &why);
  if (!r) error(at(*n), fmt::format("'{}': {}", key, why));
  return r;
}

std::optional<std::string> ValueReader::choice(const Tbl& tb, std::string_view key, const std::vector<std::string>& options) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  auto v = string_of(*n, key);
  if (!v) return std::nullopt;
  if (contains(options, *v)) return v;
  std::vector<std::string> quoted;
  for (const auto& o : options) quoted.push_back(fmt::format("\"{}\"", o));
  error(at(*n), fmt::format("unknown {} '{}'", key, *v), suggest(*v, options, fmt::format("write {}", join_or(quoted))));
  return std::nullopt;
}

std::optional<AttachSpec> ValueReader::attach(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  const auto* t = n->as_table();
  const std::string_view expected =
      "a table with one key: { systemd = \"UNIT\" }, { pidfile = \"PATH\" } or { match = \"REGEX\" }";
  if (!t || t->size() != 1) {
    if (!t) type_error(*n, key, expected);
    else error(at(*n), fmt::format("'{}' must have exactly one key, not {}", key, t->size()), std::string(expected));
    return std::nullopt;
  }
  const Tbl inner{t, join_path(tb.path, std::string(key)), fmt::format("'{}'", key)};
  check_keys(inner, {"systemd", "pidfile", "match"});
  AttachSpec a;
  if (t->contains("systemd")) {
    a.kind = AttachKind::systemd;
    assign(a.value, nonempty(inner, "systemd"));
  } else if (t->contains("pidfile")) {
    a.kind = AttachKind::pidfile;
    assign(a.value, nonempty(inner, "pidfile"));
  } else if (t->contains("match")) {
    a.kind = AttachKind::match;
    assign(a.value, regex(inner, "match"));
  } else {
    return std::nullopt;
  }
  if (a.value.empty()) return std::nullopt;
  return a;
}

std::optional<std::string> ValueReader::address(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  auto s = nonempty_of(*n, key);
  if (!s) return std::nullopt;
  // HOST:PORT, where an IPv6 HOST is in brackets. Which hosts are allowed is
  // validate()'s business; here only the shape and a literal port.
  const auto colon = s->rfind(':');
  const std::string host = colon == std::string::npos ? std::string() : s->substr(0, colon);
  const std::string port = colon == std::string::npos ? std::string() : s->substr(colon + 1);
  bool port_ok = !find_placeholders(port).empty();
  int number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (ec == std::errc() && end == port.data() + port.size() && number >= 1 && number <= 65535) port_ok = true;
  if (host.empty() || !port_ok) {
    error(at(*n),
          fmt::format("'{}' must be \"HOST:PORT\" with a port number 1..65535 or a placeholder, not \"{}\"", key, *s),
          "e.g. \"127.0.0.1:{port.redis}\"");
    return std::nullopt;
  }
  return s;
}

std::optional<std::vector<std::vector<std::string>>> ValueReader::groups(const Tbl& tb, std::string_view key) {
  const auto* n = tb.t->get(key);
  if (!n) return std::nullopt;
  const auto* outer = n->as_array();
  if (!outer) {
    type_error(*n, key, "an array of arrays of service names, such as [[\"a\"], [\"b\", \"c\"]]");
    return std::nullopt;
  }
  std::vector<std::vector<std::string>> out;
  bool ok = true;
  for (const auto& g : *outer) {
    const auto* inner = g.as_array();
    if (!inner) {
      error(at(g), fmt::format("each group of '{}' must be an array of service names, not {}", key, type_phrase(g)),
            "write [[\"a\"], [\"b\", \"c\"]]");
      ok = false;
      continue;
    }
    std::vector<std::string> names;
    for (const auto& e : *inner) {
      if (auto name = identifier_of(e, key))
        names.push_back(*name);
      else
        ok = false;
    }
    out.push_back(std::move(names));
  }
  return ok ? std::optional(std::move(out)) : std::nullopt;
}

}  // namespace faultline::parse
