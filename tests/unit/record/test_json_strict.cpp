// json_strict: exact parsing with the position of a syntax error, typed
// readers that name the key path and keep integers in range, objects that
// refuse keys nobody read, and arrays read element by element.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <cstdint>
#include <limits>
#include <string>

#include "record/json_strict.hpp"

using namespace faultline;
using namespace faultline::json_strict;
namespace json = boost::json;

namespace {

/// The message `f` throws as a JsonError, or "" when it does not throw.
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const JsonError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("json_strict: parse_exact reads doubles correctly rounded and names where text is not JSON") {
  const json::value v = parse_exact("{\"x\": 0.1, \"y\": 12345678901234567}", "doc");
  CHECK(v.at("x").as_double() == 0.1);
  CHECK(v.at("y").as_int64() == 12345678901234567);
  CHECK(error_of([] { (void)parse_exact("{\n  \"x\": ,\n}", "doc"); }).rfind("doc: not valid JSON (", 0) == 0);
  CHECK(error_of([] { (void)parse_exact("{\n  \"x\": ,\n}", "doc"); }).find("at line 2, column 8") != std::string::npos);
  CHECK(error_of([] { (void)parse_exact("{} {}", "doc"); }).find("doc: not valid JSON") == 0);
  CHECK(position_of("ab\ncd", 4) == "line 2, column 2");
  CHECK(position_of("ab", 99) == "line 1, column 3");
}

TEST_CASE("json_strict: kinds and key paths as messages name them") {
  CHECK(std::string(kind_of(json::value(nullptr))) == "null");
  CHECK(std::string(kind_of(json::value(1))) == "an integer");
  CHECK(std::string(kind_of(json::value(1.5))) == "a fractional number");
  CHECK(std::string(kind_of(json::value("s"))) == "a string");
  CHECK(std::string(kind_of(json::array{})) == "an array");
  CHECK(join_path("", "a") == "a");
  CHECK(join_path("a", "b") == "a.b");
  CHECK(index_path("a.b", 3) == "a.b[3]");
}

TEST_CASE("json_strict: typed readers keep integers in range and say what they expected") {
  const Reader r{"doc"};
  CHECK(r.i64(json::value(std::uint64_t{5}), "n") == 5);
  CHECK(error_of([&] { (void)r.i64(json::value(std::numeric_limits<std::uint64_t>::max()), "n"); }) ==
        "doc: n: integer out of range");
  CHECK(error_of([&] { (void)r.i64(json::value("x"), "n"); }) == "doc: n: expected an integer, found a string");
  CHECK(error_of([&] { (void)r.u64(json::value(-1), "n"); }) == "doc: n: expected a non-negative integer, found -1");
  CHECK(error_of([&] { (void)r.u64(json::value(70000), "port", 65535); }) ==
        "doc: port: 70000 is out of range (at most 65535)");
  CHECK(error_of([&] { (void)r.i32(json::value(std::int64_t{1} << 40), "n"); }) == "doc: n: 1099511627776 is out of range");
  CHECK(r.ns(json::value(7), "t") == Nanos(7));
  CHECK_FALSE(r.opt_ns(json::value(nullptr), "t").has_value());
  CHECK(error_of([&] { (void)r.opt_ns(json::value(true), "t"); }) ==
        "doc: t: expected an integer (ns) or null, found a boolean");
  CHECK(r.num(json::value(3), "x") == 3.0);
  CHECK(error_of([&] { (void)r.boolean(json::value(1), "b"); }) == "doc: b: expected true or false, found an integer");
  CHECK(error_of([&] { (void)r.str(json::value(1), "s"); }) == "doc: s: expected a string, found an integer");
  CHECK(error_of([&] { (void)r.arr(json::value(1), "a"); }) == "doc: a: expected an array, found an integer");
  CHECK(error_of([&] { r.fail("", "empty"); }) == "doc: top level: empty");
}

TEST_CASE("json_strict: an object names missing fields and refuses the ones nobody read") {
  const Reader r{"doc"};
  const json::value v = parse_exact(R"({"a": {"b": 1, "c": "x"}, "list": ["p", "q"]})", "doc");
  Object top(r, v, "");
  Object a = top.obj("a");
  CHECK(a.path() == "a");
  CHECK(a.i32("b") == 1);
  CHECK(a.has("c"));
  CHECK(error_of([&] { a.finish(); }) == "doc: a.c: unknown field (this faultline does not write it)");
  CHECK(a.str("c") == "x");
  CHECK(error_of([&] { a.finish(); }).empty());
  CHECK(error_of([&] { (void)a.at("d"); }) == "doc: a.d: missing");
  CHECK(read_strings(r, top, "list") == std::vector<std::string>{"p", "q"});
  CHECK(error_of([&] { top.finish(); }).empty());
  CHECK(error_of([&] { Object(r, json::value(1), "x"); }) == "doc: x: expected an object, found an integer");
}

TEST_CASE("json_strict: read_array passes each element's path") {
  const Reader r{"doc"};
  const json::value v = parse_exact(R"({"xs": [1, "two"]})", "doc");
  Object top(r, v, "");
  const auto read = [](const Reader& rd, const json::value& x, const std::string& p) { return rd.i64(x, p); };
  CHECK(error_of([&] { (void)read_array<std::int64_t>(r, top, "xs", read); }) ==
        "doc: xs[1]: expected an integer, found a string");
}
