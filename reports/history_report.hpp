// `faultline history` rendered (issue 18; docs/history.md): the runs of the
// store as a table (console, Markdown for a CI step summary, JSON), and the
// findings of `--check`. Pure functions of the rows and findings, as every
// report is of its record; the HTML page with its chart is history_html.
#pragma once

#include <string>
#include <vector>

#include "history/run_row.hpp"
#include "history/trend_check.hpp"
#include "reports/history_html.hpp"

namespace faultline {

/// The formats of `faultline history`.
enum class HistoryFormat { console, markdown, json, html };

/// "console", "markdown", "json", "html".
const std::vector<std::string>& history_format_names();

/// The format named `name` (one of history_format_names()).
HistoryFormat history_format_from(const std::string& name);

/// The table of `rows` (oldest first) and, with `checked`, the findings.
std::string render_history(const std::vector<RunRow>& rows, const std::vector<Finding>& findings, bool checked,
                           HistoryFormat format);

/// The same text, handed to `sink` piece by piece as it is written (JSON and
/// HTML in pieces of about 64 KiB, the others whole): over 10,000 runs the
/// whole document is never held at once.
void render_history_to(const TextSink& sink, const std::vector<RunRow>& rows, const std::vector<Finding>& findings,
                       bool checked, HistoryFormat format);

}  // namespace faultline
