// The history table and findings as text (see history_report.hpp). Every
// string from the store goes through markdown_escape in Markdown, and the
// console table cuts nothing: long labels widen their column.
#include "reports/history_report.hpp"

#include <fmt/format.h>
#include <iterator>
#include <string_view>

#include "reports/history_html.hpp"
#include "reports/markdown.hpp"

namespace faultline {

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

/// The JSON document written straight into one string, field by field: no
/// document tree in between (over 10,000 runs, building one with Boost.JSON
/// cost more than reading the store).
class JsonOut {
 public:
  /// Hands what it wrote to `sink` in chunks (flush()) and at the end (done()).
  explicit JsonOut(const TextSink& sink) : sink_(sink) { out_.reserve(kTextChunk + 4096); }
  /// Between values: hands the text on once it holds a chunk.
  void flush() {
    if (out_.size() < kTextChunk) return;
    sink_(out_);
    out_.clear();
  }
  void done() {
    sink_(out_);
    out_.clear();
  }
  void open(char c) { out_ += c, first_ = true; }
  void close(char c) { out_ += c, first_ = false; }
  /// The key of the next member (after a comma when needed).
  JsonOut& key(std::string_view k) {
    comma();
    str(k);
    out_ += ':';
    first_ = true;  // the value follows without a comma
    return *this;
  }
  void comma() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  void str(std::string_view v) {
    out_ += '"';
    // The stretches that need no escape are appended whole.
    std::size_t plain = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const char c = v[i];
      if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) continue;
      out_.append(v.data() + plain, i - plain);
      plain = i + 1;
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default:
          fmt::format_to(std::back_inserter(out_), "\\u{:04x}", static_cast<int>(c));
      }
    }
    out_.append(v.data() + plain, v.size() - plain);
    out_ += '"';
    first_ = false;
  }
  template <typename T>
  void num(T v) {
    fmt::format_to(std::back_inserter(out_), "{}", v);
    first_ = false;
  }
  /// A fraction, always with a point or an exponent (1.0, not 1: a reader sees a real number).
  void real(double v) {
    const auto at = out_.size();
    fmt::format_to(std::back_inserter(out_), "{}", v);
    if (out_.find_first_of(".eE", at) == std::string::npos) out_ += ".0";
    first_ = false;
  }
  void raw(char c) { out_ += c; }
  void null() { out_ += "null", first_ = false; }
  void boolean(bool v) { out_ += v ? "true" : "false", first_ = false; }
  void nanos(const std::optional<Nanos>& v) { v ? num(v->count()) : null(); }

 private:
  const TextSink& sink_;
  std::string out_;
  bool first_ = true;
};

void text_member(JsonOut& j, std::string_view k, std::string_view v) { j.key(k).str(v); }

void run_json(JsonOut& j, const RunRow& r) {
  j.comma();
  j.open('{');
  for (const auto& [k, v] : {std::pair<std::string_view, const std::string*>{"run_id", &r.run_id},
                             {"scenario", &r.scenario}, {"scenario_digest", &r.scenario_digest}, {"label", &r.label},
                             {"started_at", &r.started_at}, {"host", &r.host},
                             {"faultline_version", &r.faultline_version}})
    text_member(j, k, *v);
  text_member(j, "seed", std::to_string(r.seed));
  text_member(j, "outcome", r.outcome);
  j.key("exit_code").num(r.exit_code);
  j.key("duration_ns").num(r.duration.count());
  j.key("give_up_after_ns").num(r.give_up_after.count());
  j.key("iterations").num(r.iterations);
  j.key("unrecovered").num(r.unrecovered);
  j.key("recovery_time_max_ns").nanos(r.recovery_max);
  j.key("recovery_time_p95_ns").nanos(r.recovery_p95);
  j.key("mttr_ns").nanos(r.mttr);
  j.key("ttr_p50_ns").num(r.ttr_p50.count());
  j.key("ttr_p95_ns").num(r.ttr_p95.count());
  j.key("episodes").num(r.episodes);
  j.key("relapses").num(r.relapses);
  j.key("data_lost").num(r.data_lost);
  r.availability ? j.key("availability").real(*r.availability) : j.key("availability").null();
  text_member(j, "record", r.record_path);
  j.key("verdicts").open('[');
  for (const auto& v : r.verdicts) {
    j.comma();
    j.open('{');
    text_member(j, "threshold", v.threshold);
    text_member(j, "scope", v.scope);
    j.key("passed").boolean(v.passed);
    text_member(j, "measured", v.measured);
    text_member(j, "limit", v.limit);
    if (v.inconclusive) j.key("inconclusive").boolean(true);  // written only when set, as in the run record
    j.close('}');
  }
  j.close(']');
  j.key("iteration_figures").open('[');
  for (const auto& it : r.iteration_rows) {
    j.comma();
    j.open('{');
    j.key("index").num(it.index);
    j.key("ttd_ns").nanos(it.ttd);
    j.key("ttr_ns").nanos(it.ttr);
    j.key("recovery_time_ns").nanos(it.recovery_time);
    j.key("relapses").num(it.relapses);
    j.key("data_lost").num(it.lost);
    j.key("uncertainty_ns").num(it.uncertainty.count());
    if (it.recovery_bracket) {
      j.key("recovery_bracket_ns").open('[');
      j.comma(), j.num(it.recovery_bracket->earliest.count());
      j.comma(), j.num(it.recovery_bracket->latest.count());
      j.close(']');
    }
    j.close('}');
  }
  j.close(']');
  j.close('}');
}

void to_json(const TextSink& sink, const std::vector<RunRow>& rows, const std::vector<Finding>& findings,
             bool checked) {
  JsonOut j(sink);
  j.open('{');
  j.key("runs").open('[');
  for (const auto& r : rows) {
    run_json(j, r);
    j.flush();
  }
  j.close(']');
  if (checked) {
    j.key("findings").open('[');
    for (const auto& f : findings) {
      j.comma();
      j.open('{');
      text_member(j, "kind", f.kind);
      text_member(j, "scenario", f.scenario);
      text_member(j, "label", f.label);
      text_member(j, "run_id", f.run_id);
      text_member(j, "text", f.text);
      j.close('}');
    }
    j.close(']');
  }
  j.close('}');
  j.raw('\n');
  j.done();
}

std::string console(const std::vector<RunRow>& rows, const std::vector<Finding>& findings, bool checked) {
  std::string out = rows.empty() ? "no runs in the history match\n" : console_table(rows);
  if (checked) {
    out += findings.empty() ? "\nno regression, recurrence or flaky scenario found\n" : "\n";
    for (const auto& f : findings) out += fmt::format("{}: {}\n", f.kind, f.text);
  }
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
  std::string text;
  render_history_to([&](std::string_view piece) { text.append(piece); }, rows, findings, checked, format);
  return text;
}

void render_history_to(const TextSink& sink, const std::vector<RunRow>& rows, const std::vector<Finding>& findings,
                       bool checked, HistoryFormat format) {
  switch (format) {
    case HistoryFormat::markdown: return sink(markdown(rows, findings, checked));
    case HistoryFormat::json: return to_json(sink, rows, findings, checked);
    case HistoryFormat::html: return render_history_html_to(sink, rows, findings, checked);
    case HistoryFormat::console: return sink(console(rows, findings, checked));
  }
}

}  // namespace faultline
