// Every report format produced by real drills of the real binary and checked
// with the tools its readers use: the JSON record against the JSON Schema
// (python3-jsonschema), the JUnit XML against the XSD (xmllint), the HTML in
// headless Chromium; and `faultline report` re-rendering each of them from
// run.json alone, with exit 2 for records it cannot read.
#include <doctest/doctest.h>

#include "../unit/report_fixtures.hpp"
#include "harness.hpp"
#include "record/json_record.hpp"

// `faultline` is both the product's namespace and the harness's runner of
// the binary, so the harness is used by name here.
namespace fs = std::filesystem;
using itest::read_file;
using itest::Result;
using itest::source_root;
using itest::TempDir;
using itest::write_file;

namespace {

/// The faultline binary run with `args` (harness.hpp's itest::faultline).
Result run_bin(const TempDir& dir, std::vector<std::string> args) { return itest::faultline(dir, std::move(args)); }

bool has(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

/// Fails (or, with FAULTLINE_SKIP_TOOL_TESTS=1, skips) when a checker is missing.
bool tools_present() {
  const bool ok = fixtures::have_program("xmllint") && fixtures::have_program("python3") &&
                  fixtures::run_command("python3 -c 'import jsonschema'").status == 0 && !fixtures::find_chromium().empty();
  if (!ok && !fixtures::tool_tests_skipped())
    FAIL("xmllint, python3-jsonschema or chromium is missing: bash tests/install-deps.sh --tests");
  return ok;
}

/// Validates a record file against the repository's JSON Schema.
fixtures::CommandResult schema_check(const fs::path& record) {
  const auto schema = source_root() / "src/record/schema/run-record.schema.json";
  return fixtures::run_command(
      "python3 -c 'import json, sys, jsonschema; "
      "jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2]))); "
      "print(\"valid\")' " +
      fixtures::sh_quote(schema.string()) + " " + fixtures::sh_quote(record.string()));
}

fixtures::CommandResult xsd_check(const fs::path& xml) {
  return fixtures::run_command("xmllint --noout --schema " +
                               fixtures::sh_quote((source_root() / "tests/fixtures/junit.xsd").string()) + " " +
                               fixtures::sh_quote(xml.string()));
}

/// Renders an HTML report headless; checks that nothing was logged and that
/// the screenshot shows the lanes' colours.
void check_renders(const fs::path& html, const TempDir& dir) {
  const std::string chromium = fixtures::find_chromium();
  const auto png = dir / (html.stem().string() + ".png");
  const auto shot = fixtures::headless_chromium(chromium, html, dir.path,
                                                "--screenshot=" + fixtures::sh_quote(png.string()) + " --window-size=1400,2000");
  INFO(shot.output);
  REQUIRE(shot.status == 0);
  CHECK(fixtures::console_messages(shot.output) == "");
  const auto stats = fixtures::png_stats(png);
  INFO(stats.output);
  REQUIRE(stats.read);
  CHECK(stats.ok > 500);     // the lanes' ok stretches
  CHECK(stats.fail > 2000);  // the outages
}

/// A redis-server nobody restarts: killed once, it never comes back.
std::string unrecovered_scenario() {
  return R"(name = "redis-stays-down"
iterations = 1
steady_for = "200ms"
give_up_after = "800ms"
watch = "200ms"

[[service]]
name = "redis"
command = ["redis-server", "--port", "{port.redis}", "--bind", "127.0.0.1", "--dir", "{service.dir}",
           "--save", "", "--daemonize", "no"]
ports = ["redis"]
[service.ready]
kind = "tcp"
port = "{port.redis}"

[[probe]]
name = "port"
kind = "tcp"
port = "{port.redis}"
interval = "20ms"

[[fault]]
name = "kill-redis"
kind = "process.kill"
target = "redis"
at = "100ms"

[thresholds]
rto = "500ms"
)";
}

}  // namespace

TEST_CASE("reports: the default drill writes every format; each is valid for its readers") {
  if (!tools_present()) return;
  TempDir dir;
  const fs::path scenario = source_root() / "scenarios" / "redis-kill-restart.toml";
  Result r = itest::faultline_judged(dir, {"run", scenario.string(), "--iterations", "2", "--out", (dir / "run").string(), "--junit",
                             (dir / "ci" / "junit.xml").string(), "--markdown", (dir / "summary.md").string(), "--html",
                             (dir / "drill.html").string(), "--quiet"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.code == 0);
  for (const char* f : {"run/run.json", "run/report.html", "run/junit.xml", "run/summary.md", "ci/junit.xml", "summary.md",
                        "drill.html"})
    CHECK_MESSAGE(fs::exists(dir / f), f);
  CHECK(has(r.out, "  junit: " + (dir / "ci" / "junit.xml").string()));
  CHECK(has(r.out, "  reports: report.html, junit.xml, summary.md in " + (dir / "run").string()));

  const auto schema = schema_check(dir / "run" / "run.json");
  INFO(schema.output);
  CHECK(schema.status == 0);

  for (const char* f : {"run/junit.xml", "ci/junit.xml"}) {
    const auto res = xsd_check(dir / f);
    INFO(res.output);
    CHECK(res.status == 0);
  }
  const std::string junit = read_file(dir / "ci" / "junit.xml");
  CHECK(has(junit, "<testsuite name=\"redis-kill-restart\" tests=\"8\" failures=\"0\" errors=\"0\" skipped=\"0\""));
  CHECK(has(junit, "<testcase name=\"iteration 2 recovery\""));
  CHECK(has(junit, "<property name=\"seed\" value=\"42\"/>"));

  const std::string md = read_file(dir / "summary.md");
  CHECK(md.rfind("## faultline: redis-kill-restart: PASS\n", 0) == 0);
  CHECK(has(md, "| Iteration | Impact | TTD | TTR | Recovery time | Relapses | Uncertainty |"));

  const std::string html = read_file(dir / "drill.html");
  CHECK(html == read_file(dir / "run" / "report.html"));
  CHECK(has(html, "<g class=\"lane\" data-probe=\"write-read\">"));
  CHECK(has(html, "<g class=\"lane\" data-probe=\"port\">"));
  CHECK(has(html, "<g class=\"fault-window\" data-fault=\"kill-redis\" data-kind=\"process.kill\">"));
  CHECK(has(html, "<g class=\"recovery-marker\""));
  CHECK(has(html, "data-service=\"redis\" data-what=\"restarting\""));
  check_renders(dir / "drill.html", dir);
}

TEST_CASE("reports: faultline report re-renders every format from run.json alone, exactly as run wrote them") {
  TempDir dir;
  const fs::path scenario = source_root() / "scenarios" / "redis-kill-restart.toml";
  Result r = itest::faultline_judged(dir, {"run", scenario.string(), "--iterations", "1", "--out", (dir / "run").string(), "--quiet"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.code == 0);
  const auto run_json = (dir / "run" / "run.json").string();

  Result json = run_bin(dir, {"report", run_json, "--format", "json"});
  CHECK(json.code == 0);
  CHECK(json.out == read_file(run_json));
  Result junit = run_bin(dir, {"report", run_json, "--format", "junit"});
  CHECK(junit.code == 0);
  CHECK(junit.out == read_file(dir / "run" / "junit.xml"));
  Result md = run_bin(dir, {"report", (dir / "run").string()});  // a run directory; markdown by default
  CHECK(md.code == 0);
  CHECK(md.out == read_file(dir / "run" / "summary.md"));
  Result html = run_bin(dir, {"report", run_json, "--format", "html", "--output", (dir / "out" / "r.html").string()});
  CHECK(html.code == 0);
  CHECK(html.out.empty());
  CHECK(read_file(dir / "out" / "r.html") == read_file(dir / "run" / "report.html"));
}

TEST_CASE("reports: faultline report exits 2 for a record it cannot read, naming the problem") {
  TempDir dir;
  Result missing = run_bin(dir, {"report", (dir / "nope.json").string(), "--format", "html"});
  CHECK(missing.code == 2);
  CHECK(has(missing.err, (dir / "nope.json").string() + ": cannot be read"));
  CHECK(missing.out.empty());

  write_file(dir / "garbage.json", "{\"schema_version\": 1,");
  Result garbage = run_bin(dir, {"report", (dir / "garbage.json").string()});
  CHECK(garbage.code == 2);
  CHECK(has(garbage.err, "not valid JSON"));

  std::string future_text = faultline::render_json(fixtures::passing());
  future_text.replace(future_text.find("\"schema_version\": 3"), 19, "\"schema_version\": 7");
  write_file(dir / "future.json", future_text);
  Result future = run_bin(dir, {"report", (dir / "future.json").string(), "--format", "junit"});
  CHECK(future.code == 2);
  CHECK(has(future.err, "future.json has schema_version 7; this faultline reads schema_version 1 to 3 (a newer "
                        "faultline wrote it)"));

  std::string typo_text = faultline::render_json(fixtures::passing());
  typo_text.replace(typo_text.find("\"t_fail_ns\""), 11, "\"t_fail_ms\"");
  write_file(dir / "typo.json", typo_text);
  Result typo = run_bin(dir, {"report", (dir / "typo.json").string()});
  CHECK(typo.code == 2);
  CHECK(has(typo.err, "iterations[0].t_fail_ns: missing"));

  Result format = run_bin(dir, {"report", (dir / "future.json").string(), "--format", "pdf"});
  CHECK(format.code == 2);
}

TEST_CASE("reports: faultline report renders a record of schema_version 1, and writes it as the current version") {
  TempDir dir;
  const fs::path v1 = source_root() / "tests" / "fixtures" / "run-record-v1.json";
  for (const char* format : {"markdown", "junit", "html"}) {
    CAPTURE(format);
    Result r = run_bin(dir, {"report", v1.string(), "--format", format});
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK(has(r.out, "redis-pause"));
  }
  Result json = run_bin(dir, {"report", v1.string(), "--format", "json", "--output", (dir / "v2.json").string()});
  REQUIRE(json.code == 0);
  CHECK(has(read_file(dir / "v2.json"), "\"schema_version\": 3,"));
  if (!tools_present()) return;
  const auto schema = schema_check(dir / "v2.json");
  INFO(schema.output);
  CHECK(schema.status == 0);
}

TEST_CASE("reports: a drill that never recovers shows '> deadline' in every format") {
  if (!tools_present()) return;
  TempDir dir;
  write_file(dir / "down.toml", unrecovered_scenario());
  Result r = itest::faultline_judged(dir, {"run", (dir / "down.toml").string(), "--out", (dir / "run").string(), "--quiet"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.code == 1);
  const auto res = schema_check(dir / "run" / "run.json");
  INFO(res.output);
  CHECK(res.status == 0);
  const auto xsd = xsd_check(dir / "run" / "junit.xml");
  INFO(xsd.output);
  CHECK(xsd.status == 0);

  const std::string junit = read_file(dir / "run" / "junit.xml");
  CHECK(has(junit, "<failure message=\"recovery time &gt; 800.000 ms (not recovered by the deadline), limit 500.000 ms "
                   "(rto), margin none\" type=\"not_recovered\">"));
  CHECK(has(junit, "<failure message=\"measured &gt; 800.000 ms, limit 500.000 ms, margin none\" type=\"rto\">"));
  const std::string md = read_file(dir / "run" / "summary.md");
  CHECK(has(md, "**FAIL**: a recovery objective was missed (exit 1)."));
  CHECK(has(md, "| not recovered | \\> 800.000 ms |"));
  const std::string html = read_file(dir / "run" / "report.html");
  CHECK(has(html, "<rect class=\"episode open\""));
  CHECK(has(html, "<g class=\"deadline-marker\""));
  CHECK_FALSE(has(html, "<g class=\"recovery-marker\""));
  check_renders(dir / "run" / "report.html", dir);
}
