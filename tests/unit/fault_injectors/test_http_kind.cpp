// The http.* kinds' descriptors and validation: an HTTP fault on a link
// that is not protocol = "http", a bad status, a regex that does not compile
// or a header that frames the message are refused at the value; the request
// selection matches as documented.
#include <doctest/doctest.h>

#include "fault_injectors/http_kind.hpp"
#include "scenario/validate_fixture.hpp"

using namespace faultline;
using namespace faultline::validate_fixture;

namespace {

std::string with_link(bool http, const std::string& fault) {
  return kServices + "[[link]]\nname = \"web\"\nto = \"127.0.0.1:{port.redis}\"\n" +
         (http ? "protocol = \"http\"\n" : "") + "[[fault]]\n" + fault;
}

}  // namespace

TEST_CASE("http kinds: accepted on an HTTP link") {
  for (const std::string f : {"kind = \"http.abort\"\ntarget = \"web\"\nduration = \"1s\"\nstatus = 503\nbody = \"x\"\n"
                              "method = \"GET\"\npath_prefix = \"/api\"\nheader = \"X-A: b\"\nprobability = 0.5\n",
                              "kind = \"http.delay\"\ntarget = \"web\"\nduration = \"1s\"\ndelay = \"100ms\"\nhold = \"response\"\n"
                              "path_regex = \"/v[0-9]+/.*\"\n",
                              "kind = \"http.replace\"\ntarget = \"web\"\nduration = \"1s\"\nset_header = \"Retry-After: 1\"\n"}) {
    INFO(f);
    CHECK(all_messages(check(with_link(true, f))) == "");
  }
}

TEST_CASE("http kinds: the registry makes a reversible injector with a description for each") {
  const std::vector<std::pair<std::string, std::string>> faults = {
      {"kind = \"http.abort\"\ntarget = \"web\"\nduration = \"1s\"\nstatus = 503\nbody = \"x\"\nprobability = 0.5\n",
       "answer 503 (1 bytes), requests all, 50% of them on link 'web'"},
      {"kind = \"http.delay\"\ntarget = \"web\"\nduration = \"1s\"\ndelay = \"100ms\"\nmethod = \"GET\"\n",
       "hold the request 100ms, requests GET on link 'web'"},
      {"kind = \"http.replace\"\ntarget = \"web\"\nduration = \"1s\"\nstatus = 500\nset_header = \"A: b\"\n",
       "answer with status 500 and 'A: b', requests all on link 'web'"},
  };
  for (const auto& [f, description] : faults) {
    auto r = parse_scenario(with_link(true, f), "v.toml");
    REQUIRE(r.scenario);
    REQUIRE(r.scenario->faults.size() == 1);
    auto inj = make_injector(r.scenario->faults[0]);
    REQUIRE(inj);
    CHECK(inj->reversible());
    CHECK(inj->describe() == description);
  }
}

TEST_CASE("http kinds: a fault on a link that is not HTTP is refused at its target") {
  const std::string text = with_link(false, "kind = \"http.abort\"\ntarget = \"web\"\nduration = \"1s\"\nstatus = 503\n");
  const auto ds = check(text);
  const Diagnostic d = diag(ds, "not an HTTP link");
  CHECK(d.hint == "add protocol = \"http\" to the [[link]] named 'web'");
  check_at(d, value_of(text, "target = \"web\""));
}

TEST_CASE("http kinds: a regex that does not compile, a bodiless or framing rewrite are refused at the value") {
  std::string text = with_link(true, "kind = \"http.delay\"\ntarget = \"web\"\nduration = \"1s\"\ndelay = \"1s\"\npath_regex = \"/(x\"\n");
  auto ds = check(text);
  check_at(diag(ds, "'path_regex' does not compile"), value_of(text, "path_regex = \"/(x\""));

  text = with_link(true, "kind = \"http.replace\"\ntarget = \"web\"\nduration = \"1s\"\nstatus = 304\n");
  ds = check(text);
  check_at(diag(ds, "has no body"), value_of(text, "status = 304"));

  text = with_link(true, "kind = \"http.replace\"\ntarget = \"web\"\nduration = \"1s\"\nset_header = \"Content-Length: 1\"\n");
  ds = check(text);
  check_at(diag(ds, "frames the message"), value_of(text, "set_header = \"Content-Length: 1\""));

  ds = check(with_link(true, "kind = \"http.replace\"\ntarget = \"web\"\nduration = \"1s\"\n"));
  CHECK(diag(ds, "changes nothing").message.find("give 'status', 'set_header' or both") != std::string::npos);
}

TEST_CASE("http kinds: a status outside 200..599 does not parse") {
  const std::string text = with_link(true, "kind = \"http.abort\"\ntarget = \"web\"\nduration = \"1s\"\nstatus = 600\n");
  auto r = parse_scenario(text, "v.toml");
  REQUIRE(r.diagnostics.size() == 1);
  check_at(r.diagnostics[0], value_of(text, "status = 600"));
}

TEST_CASE("http kinds: the selection: method, path prefix, whole-path regex, header") {
  proxy::HttpHead h;
  h.method = "GET";
  h.target = "/api/v2/items?x=1";
  h.headers = {{"X-Tenant", "blue"}};
  HttpMatchParams m;
  CHECK(http_match(m).matches(h));
  m.method = "POST";
  CHECK_FALSE(http_match(m).matches(h));
  m = {};
  m.path_prefix = "/api/";
  CHECK(http_match(m).matches(h));
  m.path_regex = "/api/v[0-9]+";  // the whole path must match
  CHECK_FALSE(http_match(m).matches(h));
  m.path_regex = "/api/v[0-9]+/.*";
  CHECK(http_match(m).matches(h));
  m.header = "x-tenant: blue";
  CHECK(http_match(m).matches(h));
  m.header = "X-Tenant: green";
  CHECK_FALSE(http_match(m).matches(h));
  m.header = "X-Tenant";
  CHECK(http_match(m).matches(h));
  CHECK(http_match_text(m) == ", requests /api/* matching //api/v[0-9]+/.*/ with 'X-Tenant'");
}
