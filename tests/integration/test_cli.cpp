// The command line as a user meets it: exit codes, file:line:col errors for
// every class of scenario mistake, nothing started on bad input, and the
// authoring commands (init, validate, plan, list).
#include <doctest/doctest.h>

#include <regex>

#include "harness.hpp"

using namespace itest;

namespace {

// A scenario whose service would leave a marker file if it were ever started.
std::string scenario_with_marker(const fs::path& marker, const std::string& extra) {
  return "name = \"cli-test\"\n"
         "[[service]]\n"
         "name = \"app\"\n"
         "command = \"touch " + marker.string() + "; exec sleep 30\"\n"
         "[[probe]]\n"
         "name = \"up\"\n"
         "kind = \"exec\"\n"
         "command = \"true\"\n" +
         extra;
}

/// Asserts that `err` holds a diagnostic for `file` at `line` whose message contains `needle`.
void expect_diagnostic(const std::string& err, const fs::path& file, int line, const std::string& needle) {
  const std::regex re(std::regex_replace(file.string(), std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") + ":" +
                      std::to_string(line) + R"(:[1-9][0-9]*: error: [^\n]*)");
  std::smatch m;
  bool found = false;
  for (auto it = std::sregex_iterator(err.begin(), err.end(), re); it != std::sregex_iterator(); ++it)
    if (it->str().find(needle) != std::string::npos) found = true;
  INFO("stderr was:\n" << err);
  CHECK_MESSAGE(found, "no diagnostic at line " << line << " containing '" << needle << "'");
}

struct ErrorCase {
  const char* what;
  std::string top;    // put before the base scenario (top-level keys must precede tables)
  std::string extra;  // appended to the base scenario (which has 8 lines)
  int line;
  const char* needle;
};

}  // namespace

TEST_CASE("cli: each class of scenario error gives file:line:col, exit 2, and starts nothing") {
  const std::vector<ErrorCase> cases = {
      {"TOML syntax", "", "[[fault]\nkind = \"exec\"\n", 9, ""},
      {"wrong type", "iterations = \"3\"\n", "", 1, "iterations"},
      {"unknown key", "", "[[fault]]\nkind = \"process.kill\"\ntarget = \"app\"\nsignall = \"SIGTERM\"\n", 12,
       "did you mean 'signal'"},
      {"unknown reference", "", "[[fault]]\nkind = \"process.kill\"\ntarget = \"nope\"\n", 11, "nope"},
      {"bad duration", "", "[[fault]]\nkind = \"process.pause\"\ntarget = \"app\"\nduration = \"10 parsecs\"\n", 12,
       "10 parsecs"},
      {"zero where positive", "", "[[fault]]\nkind = \"process.kill\"\ntarget = \"app\"\nrepeat = 0\n", 12, "repeat"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.what) {
      TempDir dir;
      const fs::path marker = dir / "started";
      const fs::path file = dir / "bad.toml";
      write_file(file, c.top + scenario_with_marker(marker, c.extra));
      const int line = c.line;

      Result v = faultline(dir, {"validate", file.string()});
      CHECK(v.code == 2);
      expect_diagnostic(v.err, file, line, c.needle);

      Result r = faultline(dir, {"run", file.string()});
      CHECK(r.code == 2);
      expect_diagnostic(r.err, file, line, c.needle);
      CHECK_FALSE(fs::exists(marker));
      CHECK_FALSE(fs::exists(dir / "runs"));
    }
  }
}

TEST_CASE("cli: all errors of a file are reported, not only the first") {
  TempDir dir;
  const fs::path file = dir / "many.toml";
  write_file(file, scenario_with_marker(dir / "m",
                                        "[[fault]]\nkind = \"process.kill\"\ntarget = \"ghost\"\n"
                                        "[[fault]]\nkind = \"process.pause\"\ntarget = \"app\"\nduration = \"0ms\"\n"));
  Result v = faultline(dir, {"validate", file.string()});
  CHECK(v.code == 2);
  expect_diagnostic(v.err, file, 11, "ghost");
  expect_diagnostic(v.err, file, 15, "duration");
}

TEST_CASE("cli: usage errors exit 2; --version and --help exit 0") {
  TempDir dir;
  Result ver = faultline(dir, {"--version"});
  CHECK(ver.code == 0);
  CHECK(ver.out.find("faultline ") != std::string::npos);

  Result help = faultline(dir, {"--help"});
  CHECK(help.code == 0);
  CHECK(help.out.find("Examples:") != std::string::npos);
  CHECK(help.out.find("Exit codes") != std::string::npos);

  CHECK(faultline(dir, {"run", "--no-such-flag", "x.toml"}).code == 2);
  CHECK(faultline(dir, {"run", (dir / "missing.toml").string()}).code == 2);
  CHECK(faultline(dir, {}).code == 2);
  Result missing = faultline(dir, {"validate", (dir / "missing.toml").string()});
  CHECK(missing.code == 2);
  CHECK(missing.err.find("missing.toml") != std::string::npos);
}

TEST_CASE("cli: init writes a starter scenario that validates, and never overwrites") {
  TempDir dir;
  Result init = faultline(dir, {"init", "my-drill"});
  REQUIRE(init.code == 0);
  REQUIRE(fs::exists(dir / "my-drill.toml"));
  Result v = faultline(dir, {"validate", "my-drill.toml"});
  INFO(v.err);
  CHECK(v.code == 0);
  CHECK(v.out.find("my-drill.toml: ok") != std::string::npos);
  const std::string before = read_file(dir / "my-drill.toml");
  CHECK(faultline(dir, {"init", "my-drill"}).code == 2);
  CHECK(read_file(dir / "my-drill.toml") == before);
}

TEST_CASE("cli: every shipped scenario validates") {
  TempDir dir;
  for (const auto& e : fs::directory_iterator(source_root() / "scenarios")) {
    if (e.path().extension() != ".toml") continue;
    Result v = faultline(dir, {"validate", e.path().string()});
    INFO(e.path().string() << "\n" << v.err);
    CHECK(v.code == 0);
  }
}

TEST_CASE("cli: plan prints the resolved timeline with seeded window picks and starts nothing") {
  TempDir dir;
  const fs::path marker = dir / "started";
  const fs::path file = dir / "plan.toml";
  write_file(file, "seed = 5\n" + scenario_with_marker(marker,
                                                       "[[fault]]\nname = \"freeze\"\nkind = \"process.pause\"\n"
                                                       "target = \"app\"\nat = [\"1s\", \"3s\"]\nduration = \"500ms\"\n"
                                                       "[thresholds]\nrto = \"2s\"\n"));
  Result a = faultline(dir, {"plan", file.string(), "--iterations", "3"});
  REQUIRE(a.code == 0);
  CHECK(a.out.find("services (start order)") != std::string::npos);
  CHECK(a.out.find("process.pause 'freeze'") != std::string::npos);
  CHECK(a.out.find("rto 2s") != std::string::npos);
  CHECK(a.out.find("iteration 3") != std::string::npos);
  // Same seed, same schedule; another seed, another one.
  CHECK(faultline(dir, {"plan", file.string(), "--iterations", "3"}).out == a.out);
  Result b = faultline(dir, {"plan", file.string(), "--iterations", "3", "--seed", "6"});
  CHECK(b.code == 0);
  CHECK(b.out != a.out);
  CHECK_FALSE(fs::exists(marker));
}

TEST_CASE("cli: list shows every fault and probe kind with keys and units") {
  TempDir dir;
  Result l = faultline(dir, {"list"});
  REQUIRE(l.code == 0);
  for (const char* kind : {"process.kill", "process.pause", "process.restart", "exec", "tcp", "http"})
    CHECK_MESSAGE(l.out.find(kind) != std::string::npos, kind);
  CHECK(l.out.find("interval") != std::string::npos);
  CHECK(l.out.find("100ms") != std::string::npos);
  // Runbook steps and workloads, with their own keys.
  CHECK(l.out.find("RUNBOOK STEPS ([[recovery]]") != std::string::npos);
  CHECK(l.out.find("WORKLOAD KINDS ([[workload]]") != std::string::npos);
  CHECK(l.out.find("read_timeout") != std::string::npos);
}
