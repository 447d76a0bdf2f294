// Report formats by name and report files on disk (see report_files.hpp).
#include "reports/report_files.hpp"

#include <fmt/format.h>
#include <stdexcept>

#include "os/atomic_file.hpp"
#include "record/json_record.hpp"
#include "reports/html.hpp"
#include "reports/junit.hpp"
#include "reports/markdown.hpp"

namespace faultline {

const std::vector<std::string>& report_format_names() {
  static const std::vector<std::string> names{"json", "junit", "markdown", "html"};
  return names;
}

ReportFormat report_format_from(std::string_view name) {
  if (name == "json") return ReportFormat::json;
  if (name == "junit") return ReportFormat::junit;
  if (name == "markdown") return ReportFormat::markdown;
  if (name == "html") return ReportFormat::html;
  throw std::invalid_argument(fmt::format("unknown report format '{}' (expected json, junit, markdown or html)", name));
}

std::string render_report(const RunRecord& r, ReportFormat format) {
  switch (format) {
    case ReportFormat::json: return render_json(r);
    case ReportFormat::junit: return render_junit(r);
    case ReportFormat::markdown: return render_markdown(r);
    case ReportFormat::html: return render_html(r);
  }
  throw std::invalid_argument("unknown report format");
}

std::vector<std::pair<std::string, ReportFormat>> run_dir_reports() {
  return {{"report.html", ReportFormat::html}, {"junit.xml", ReportFormat::junit}, {"summary.md", ReportFormat::markdown}};
}

std::vector<ReportWrite> write_run_dir_reports(const RunRecord& r, const std::filesystem::path& dir) {
  std::vector<ReportWrite> out;
  for (const auto& [name, format] : run_dir_reports()) {
    ReportWrite w{dir / name, ""};
    try {
      write_file_atomic(w.path, render_report(r, format));
    } catch (const std::exception& e) {
      w.error = e.what();
    }
    out.push_back(std::move(w));
  }
  return out;
}

std::filesystem::path per_scenario_path(const std::filesystem::path& path, const std::string& name) {
  std::filesystem::path out = path;
  out.replace_filename(path.stem().string() + "-" + name + path.extension().string());
  return out;
}

std::filesystem::path record_path(const std::filesystem::path& arg) {
  std::error_code ec;
  if (std::filesystem::is_directory(arg, ec)) return arg / "run.json";
  return arg;
}

}  // namespace faultline
