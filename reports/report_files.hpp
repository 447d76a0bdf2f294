// Report formats by name and report files on disk, for the command line:
// `faultline report RUN.json --format F` and the report options of `run`.
// Every file is written atomically (temporary file, fsync, rename), so a
// reader never sees half a report.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "record/record.hpp"

namespace faultline {

/// The formats every record can be rendered in.
enum class ReportFormat { json, junit, markdown, html };

/// "json", "junit", "markdown", "html", in that order.
const std::vector<std::string>& report_format_names();

/// The format of a name in report_format_names(); std::invalid_argument otherwise.
ReportFormat report_format_from(std::string_view name);

/// The record rendered in `format` (JSON is re-rendered from the typed record).
std::string render_report(const RunRecord& r, ReportFormat format);

/// The report files every run directory gets beside run.json:
/// report.html, junit.xml and summary.md.
std::vector<std::pair<std::string, ReportFormat>> run_dir_reports();

/// One report file written, or not.
struct ReportWrite {
  std::filesystem::path path;
  std::string error;  ///< "" when written; else why not (naming the file)
};

/// Writes run_dir_reports() into `dir`, atomically, each one tried even when
/// an earlier one failed (a full disk may still take a smaller one). Never
/// throws: every file is returned with its error, if any.
std::vector<ReportWrite> write_run_dir_reports(const RunRecord& r, const std::filesystem::path& dir);

/// `path` with "-NAME" before its extension ("out/r.html" -> "out/r-NAME.html"),
/// for one file per scenario when a command runs several.
std::filesystem::path per_scenario_path(const std::filesystem::path& path, const std::string& name);

/// The record file a `faultline report` argument names: the file itself, or
/// run.json inside a run directory.
std::filesystem::path record_path(const std::filesystem::path& arg);

}  // namespace faultline
