// Report formats by name, and the report files a run directory gets.
#include <doctest/doctest.h>

#include "record/json_record.hpp"
#include "report_fixtures.hpp"
#include "reports/html.hpp"
#include "reports/junit.hpp"
#include "reports/markdown.hpp"
#include "reports/report_files.hpp"

using namespace faultline;

TEST_CASE("report_files: formats by name render what the renderers render") {
  CHECK(report_format_names() == std::vector<std::string>{"json", "junit", "markdown", "html"});
  const RunRecord r = fixtures::failing();
  CHECK(render_report(r, report_format_from("json")) == render_json(r));
  CHECK(render_report(r, report_format_from("junit")) == render_junit(r));
  CHECK(render_report(r, report_format_from("markdown")) == render_markdown(r));
  CHECK(render_report(r, report_format_from("html")) == render_html(r));
  CHECK_THROWS_WITH_AS(report_format_from("pdf"), "unknown report format 'pdf' (expected json, junit, markdown or html)",
                       std::invalid_argument);
}

TEST_CASE("report_files: a run directory gets report.html, junit.xml and summary.md") {
  fixtures::TempDir dir;
  const RunRecord r = fixtures::passing();
  const auto written = write_run_dir_reports(r, dir.path);
  REQUIRE(written.size() == 3);
  CHECK(written[0].path == dir / "report.html");
  for (const auto& w : written) CHECK(w.error.empty());
  CHECK(fixtures::read_text(dir / "report.html") == render_html(r));
  CHECK(fixtures::read_text(dir / "junit.xml") == render_junit(r));
  CHECK(fixtures::read_text(dir / "summary.md") == render_markdown(r));
  // Written atomically: nothing else is left in the directory.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path)) ++files;
  CHECK(files == 3);
  // The directory is made when missing.
  write_run_dir_reports(r, dir / "new" / "run");
  CHECK(std::filesystem::exists(dir / "new" / "run" / "summary.md"));
  fixtures::write_text(dir / "a-file", "");
  // Not a directory: each file is tried and named, nothing is thrown.
  const auto failed = write_run_dir_reports(r, dir / "a-file");
  REQUIRE(failed.size() == 3);
  for (const auto& w : failed) CHECK(w.error.find(w.path.filename().string()) != std::string::npos);
}

TEST_CASE("report_files: per-scenario file names and the record a report argument names") {
  CHECK(per_scenario_path("out/r.html", "redis") == std::filesystem::path("out/r-redis.html"));
  CHECK(per_scenario_path("junit", "a") == std::filesystem::path("junit-a"));
  fixtures::TempDir dir;
  CHECK(record_path(dir.path) == dir / "run.json");
  CHECK(record_path(dir / "x.json") == dir / "x.json");
}
