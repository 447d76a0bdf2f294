// The history table and findings as text (see history_report.hpp). Every
// string from the store goes through markdown_escape in Markdown, and the
// console table cuts nothing: long labels widen their column.
#include "reports/history_report.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "reports/history_html.hpp"
#include "reports/markdown.hpp"

namespace faultline {

namespace json = boost::json;

namespace {

/// The columns of one run, as text.
std::vector<std::string> cells(const RunRow& r) {
  const std::string mttr = r.mttr ? fmt::format("{} ({} / {})", format_ms(*r.mttr), format_ms(r.ttr_p50), format_ms(r.ttr_p95))
                                  : row_figure(r, r.mttr);
  return {r.started_at, r.label.empty() ? "-" : r.label, r.scenario, r.outcome, row_figure(r, r.recovery_max), mttr,
          std::to_string(r.relapses), std::to_string(r.data_lost), r.run_id};
}

const std::vector<std::string>& headers() {
  static const std::vector<std::string> h{"when",   "label",    "scenario",  "outcome", "recovery max",
                                          "MTTR (p50 / p95)", "relapses", "data lost", "run"};
  return h;
}

std::string console_table(const std::vector<RunRow>& rows) {
  std::vector<std::vector<std::string>> table{headers()};
  for (const auto& r : rows) table.push_back(cells(r));
  std::vector<std::size_t> width(headers().size(), 0);
  for (const auto& line : table)
    for (std::size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
  std::string out;
  for (const auto& line : table) {
    std::string text;
    for (std::size_t i = 0; i < line.size(); ++i)
      text += fmt::format("{:<{}}{}", line[i], i + 1 == line.size() ? 0 : width[i], i + 1 == line.size() ? "" : "  ");
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  }
  return out;
}

std::string markdown(const std::vector<RunRow>& rows, const std::vector<Finding>& findings, bool checked) {
  std::string out = fmt::format("### faultline history: {} run(s)\n\n", rows.size());
  out += "|";
  for (const auto& h : headers()) out += " " + h + " |";
  out += "\n|";
  for (std::size_t i = 0; i < headers().size(); ++i) out += i >= 4 && i <= 7 ? "---:|" : "---|";
  out += "\n";
  for (const auto& r : rows) {
    out += "|";
    for (const auto& c : cells(r)) out += " " + markdown_escape(c) + " |";
    out += "\n";
  }
  if (checked) {
    out += findings.empty() ? "\nNo regression, recurrence or flaky scenario found.\n" : "\n**Findings**\n\n";
    for (const auto& f : findings) out += fmt::format("- **{}**: {}\n", f.kind, markdown_escape(f.text));
  }
  return out;
}

json::value nanos_json(const std::optional<Nanos>& v) { return v ? json::value(v->count()) : json::value(nullptr); }

/// One run's object, allocated from `sp` (the document's arena).
json::object run_json(const RunRow& r, const json::storage_ptr& sp) {
  json::array verdicts(sp), iterations(sp);
  verdicts.reserve(r.verdicts.size());
  iterations.reserve(r.iteration_rows.size());
  for (const auto& v : r.verdicts)
    verdicts.push_back(json::object({{"threshold", v.threshold}, {"scope", v.scope}, {"passed", v.passed},
                                     {"measured", v.measured}, {"limit", v.limit}}, sp));
  for (const auto& it : r.iteration_rows) {
    json::object o({{"index", it.index}, {"ttd_ns", nanos_json(it.ttd)}, {"ttr_ns", nanos_json(it.ttr)},
                    {"recovery_time_ns", nanos_json(it.recovery_time)}, {"relapses", it.relapses},
                    {"data_lost", it.lost}, {"uncertainty_ns", it.uncertainty.count()}}, sp);
    if (it.recovery_bracket)
      o["recovery_bracket_ns"] =
          json::array({it.recovery_bracket->earliest.count(), it.recovery_bracket->latest.count()}, sp);
    iterations.push_back(std::move(o));
  }
  return json::object({{"run_id", r.run_id}, {"scenario", r.scenario}, {"scenario_digest", r.scenario_digest},
          {"label", r.label}, {"started_at", r.started_at}, {"host", r.host},
          {"faultline_version", r.faultline_version}, {"seed", std::to_string(r.seed)}, {"outcome", r.outcome},
          {"exit_code", r.exit_code}, {"duration_ns", r.duration.count()},
          {"give_up_after_ns", r.give_up_after.count()}, {"iterations", r.iterations},
          {"unrecovered", r.unrecovered}, {"recovery_time_max_ns", nanos_json(r.recovery_max)},
          {"recovery_time_p95_ns", nanos_json(r.recovery_p95)}, {"mttr_ns", nanos_json(r.mttr)},
          {"ttr_p50_ns", r.ttr_p50.count()}, {"ttr_p95_ns", r.ttr_p95.count()}, {"episodes", r.episodes},
          {"relapses", r.relapses}, {"data_lost", r.data_lost},
          {"availability", r.availability ? json::value(*r.availability) : json::value(nullptr)},
          {"record", r.record_path}, {"verdicts", std::move(verdicts)}, {"iteration_figures", std::move(iterations)}},
                      sp);
}

std::string to_json(const std::vector<RunRow>& rows, const std::vector<Finding>& findings, bool checked) {
  // One arena for the whole document: its many small objects cost no
  // malloc and no free each (10,000 runs: about 300,000 values).
  json::monotonic_resource arena;
  const json::storage_ptr sp(&arena);
  json::array runs(sp);
  runs.reserve(rows.size());
  for (const auto& r : rows) runs.push_back(run_json(r, sp));
  json::object doc(sp);
  doc["runs"] = std::move(runs);
  if (checked) {
    json::array fs(sp);
    for (const auto& f : findings)
      fs.push_back(json::object({{"kind", f.kind}, {"scenario", f.scenario}, {"label", f.label}, {"run_id", f.run_id},
                                 {"text", f.text}}, sp));
    doc["findings"] = std::move(fs);
  }
  std::string out = json::serialize(doc);
  out += '\n';
  return out;
}

}  // namespace

const std::vector<std::string>& history_format_names() {
  static const std::vector<std::string> names{"console", "markdown", "json", "html"};
  return names;
}

HistoryFormat history_format_from(const std::string& name) {
  if (name == "markdown") return HistoryFormat::markdown;
  if (name == "json") return HistoryFormat::json;
  if (name == "html") return HistoryFormat::html;
  return HistoryFormat::console;
}

std::string render_history(const std::vector<RunRow>& rows, const std::vector<Finding>& findings, bool checked,
                           HistoryFormat format) {
  switch (format) {
    case HistoryFormat::markdown: return markdown(rows, findings, checked);
    case HistoryFormat::json: return to_json(rows, findings, checked);
    case HistoryFormat::html: return render_history_html(rows, findings, checked);
    case HistoryFormat::console: break;
  }
  std::string out = rows.empty() ? "no runs in the history match\n" : console_table(rows);
  if (checked) {
    out += findings.empty() ? "\nno regression, recurrence or flaky scenario found\n" : "\n";
    for (const auto& f : findings) out += fmt::format("{}: {}\n", f.kind, f.text);
  }
  return out;
}

}  // namespace faultline
