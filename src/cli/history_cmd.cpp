// The history on the command line (see history_cmd.hpp).
#include "cli/history_cmd.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <system_error>
#include <unordered_map>

#include "history/history_where.hpp"
#include "history/run_row.hpp"
#include "history/trend_check.hpp"
#include "measure/series_gate.hpp"
#include "os/atomic_file.hpp"
#include "os/input_file.hpp"
#include "os/output_path.hpp"
#include "record/json_read.hpp"
#include "reports/history_report.hpp"
#include "reports/report_files.hpp"
#include "scenario/whole_number.hpp"

namespace faultline {

namespace {

constexpr std::size_t kDefaultSeries = 5;

/// `faultline history`'s arguments, filled in by parsing.
struct HistoryArgs {
  CLI::App* import = nullptr;
  std::string location;
  std::string scenario;
  std::string label;
  std::string since;
  std::size_t last = 20;
  std::string format = "console";
  std::string output;
  bool check = false;
  std::string tolerance = "20%";
  int passes_between = 2;
  std::string import_label;
  std::vector<std::string> import_dirs;
};

HistoryArgs& args() {
  static HistoryArgs a;
  return a;
}

/// The store named by `location` (or the default), opened to read; nullptr
/// after printing why. A missing SQLite file is not created.
std::unique_ptr<HistoryStore> open_to_read(const char* command, const std::string& location, bool create) {
  const HistoryTarget t = history_target(location, false);
  if (t.location.empty()) {
    fmt::print(stderr, "faultline {}: the history is off (FAULTLINE_HISTORY=off); name one with --history\n", command);
    return nullptr;
  }
  std::error_code ec;
  if (!create && !is_postgres_location(t.location) && !std::filesystem::exists(t.location, ec)) {
    fmt::print(stderr, "faultline {}: no history at {} yet (every run writes one when it ends)\n", command,
               t.location);
    return nullptr;
  }
  try {
    if (create && t.is_default) std::filesystem::create_directories(std::filesystem::path(t.location).parent_path());
    return open_history(t.location, create);
  } catch (const std::exception& e) {
    fmt::print(stderr, "faultline {}: {}\n", command, e.what());
    return nullptr;
  }
}

/// Drops the record path of rows whose record is gone: the page links only what is there.
/// Records lie in a run directory of a runs directory (runs/RUN_ID/run.json):
/// when that runs directory is gone, every record in it is, told by one look
/// instead of one per run.
void drop_missing_records(std::vector<RunRow>& rows) {
  std::unordered_map<std::string, bool> runs_dirs;  // exists?
  for (auto& r : rows) {
    if (r.record_path.empty()) continue;
    std::error_code ec;
    const std::filesystem::path path(r.record_path);
    const std::string runs_dir = path.parent_path().parent_path().string();
    auto known = runs_dirs.find(runs_dir);
    if (known == runs_dirs.end()) known = runs_dirs.emplace(runs_dir, std::filesystem::exists(runs_dir, ec)).first;
    if (runs_dir.empty()) known->second = true;  // a relative path: looked at itself
    if (!known->second || !std::filesystem::exists(path, ec)) r.record_path.clear();
  }
}

int cmd_import() {
  const HistoryArgs& a = args();
  auto store = open_to_read("history import", a.location, true);
  if (!store) return 2;
  int added = 0, present = 0, rc = 0;
  for (const auto& dir : a.import_dirs) {
    const std::filesystem::path path = record_path(dir);
    if (const std::string why = input_file_problem(path, kMaxRecordBytes); !why.empty()) {
      fmt::print(stderr, "faultline history import: {}: {}\n", path.string(), why);
      rc = 2;
      continue;
    }
    try {
      const RunRecord rec = read_run_record_file(path);
      const std::string abs = std::filesystem::absolute(path).lexically_normal().string();
      if (store->add(row_from_record(rec, history_label(a.import_label), abs))) ++added;
      else ++present;
    } catch (const std::exception& e) {
      fmt::print(stderr, "faultline history import: {}\n", e.what());
      rc = 2;
    }
  }
  fmt::print("imported {} run(s) into {} ({} already there)\n", added, store->where(), present);
  return rc;
}

int cmd_history() {
  const HistoryArgs& a = args();
  if (!a.output.empty())
    if (const std::string why = output_path_problem(a.output, OutputKind::file); !why.empty()) {
      fmt::print(stderr, "faultline history: --output: {}\n", why);
      return 2;
    }
  auto store = open_to_read("history", a.location, false);
  if (!store) return 2;
  std::vector<RunRow> rows;
  std::vector<Finding> findings;
  try {
    const HistoryFormat format = history_format_from(a.format);
    // Verdicts and iterations are read only where they are used: by --check and in the JSON.
    HistoryQuery q{a.scenario, a.label, a.since, a.check ? 0 : a.last, a.check || format == HistoryFormat::json};
    rows = store->runs(q);
    if (a.check) {
      CheckParams p;
      p.tolerance = parse_tolerance(a.tolerance).value_or(0.2);
      p.passes_between = a.passes_between;
      findings = check_history(rows, p);
      if (a.last > 0 && rows.size() > a.last) rows.erase(rows.begin(), rows.end() - static_cast<long>(a.last));
    }
  } catch (const HistoryError& e) {
    fmt::print(stderr, "faultline history: {}\n", e.what());
    return 2;
  }
  const HistoryFormat format = history_format_from(a.format);
  if (format == HistoryFormat::html || format == HistoryFormat::json) drop_missing_records(rows);  // they show it
  if (a.output.empty()) {
    // Written as it is rendered, piece by piece: over 10,000 runs the whole
    // document is never held (nor copied through a formatting buffer).
    render_history_to([](std::string_view piece) { std::fwrite(piece.data(), 1, piece.size(), stdout); }, rows,
                      findings, a.check, format);
  } else {
    try {
      write_file_atomic(a.output, render_history(rows, findings, a.check, format));
    } catch (const std::exception& e) {
      fmt::print(stderr, "faultline history: {}\n", e.what());
      return 2;
    }
  }
  return findings.empty() ? 0 : 1;
}

}  // namespace

void add_history_run_options(CLI::App& run, HistoryRunFlags& f) {
  auto* where = run.add_option("--history", f.location,
                               "the history store this run is written to: a SQLite file or a postgresql:// URL "
                               "(default: $FAULTLINE_HISTORY, else history.sqlite in the state directory)");
  run.add_flag("--no-history", f.none, "write no history for this run")->excludes(where);
  run.add_option("--label", f.label,
                 "the run's label in the history, e.g. a release (default: $FAULTLINE_LABEL, else the CI's commit)");
}

void save_to_history(const HistoryRunFlags& f, const RunRecord& rec, const std::filesystem::path& record) {
  const HistoryTarget t = history_target(f.location, f.none);
  if (t.location.empty()) return;
  try {
    std::error_code ec;
    if (t.is_default) std::filesystem::create_directories(std::filesystem::path(t.location).parent_path(), ec);
    const std::string path = record.empty() ? "" : std::filesystem::absolute(record).lexically_normal().string();
    auto store = open_history(t.location, true);
    if (store->add(row_from_record(rec, history_label(f.label), path)))
      fmt::print("  history: {}\n", store->where());
    else
      fmt::print(stderr, "faultline: warning: run {} is in the history {} already; not written again\n", rec.run_id,
                 store->where());
  } catch (const std::exception& e) {
    fmt::print(stderr, "faultline: warning: the run was not written to the history: {}; the exit code stands\n",
               e.what());
  }
}

bool is_history_baseline(const std::string& value) { return value == "history" || value.starts_with("history:"); }

std::vector<SeriesPoint> history_series(HistoryStore& store, const std::string& scenario, std::size_t n) {
  std::vector<SeriesPoint> out;
  for (const auto& r : store.runs(HistoryQuery{scenario, "", "", 0, false}))  // the runs' own figures suffice
    if (r.outcome == "passed" && r.iterations > 0)
      out.push_back({r.run_id, r.label, r.recovery_max, r.recovery_p95, r.mttr, r.scenario_digest});
  if (out.size() > n) out.erase(out.begin(), out.end() - static_cast<long>(n));
  return out;
}

bool history_baselines(const HistoryRunFlags& f, const std::vector<std::string>& baselines, double tolerance,
                       const std::vector<std::string>& names, const std::vector<std::string>& digests,
                       std::vector<Baseline>& out,
                       std::vector<const Baseline*>& by_scenario) {
  std::string asked;
  for (const auto& b : baselines)
    if (is_history_baseline(b)) asked = b;
  if (asked.empty()) return true;
  std::size_t n = kDefaultSeries;
  if (asked != "history") {
    std::string why;
    const auto v = parse_whole_number(asked.substr(8), 1, 100000, why);
    if (!v) {
      fmt::print(stderr, "faultline run: --baseline {}: {}\n", asked, why);
      return false;
    }
    n = static_cast<std::size_t>(*v);
  }
  const HistoryTarget t = history_target(f.location, f.none);
  if (t.location.empty()) {
    fmt::print(stderr, "faultline run: --baseline {} needs a history store (not --no-history)\n", asked);
    return false;
  }
  std::error_code ec;
  if (!is_postgres_location(t.location) && !std::filesystem::exists(t.location, ec)) {
    fmt::print(stderr, "faultline run: warning: --baseline {}: no history at {} yet: no gate this run\n", asked,
               t.location);
    return true;
  }
  std::unique_ptr<HistoryStore> store;
  if (is_postgres_location(t.location)) {
    // A shared store that is down, refuses or hangs is as a store not there
    // yet: the run warns and goes on without a gate (its exit code its own).
    try {
      store = open_history(t.location, false);
    } catch (const std::exception& e) {
      fmt::print(stderr, "faultline run: warning: --baseline {}: {}: no gate this run\n", asked, e.what());
      return true;
    }
  } else {
    store = open_to_read("run: --baseline history", f.location, false);
    if (!store) return false;
  }
  out.reserve(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (by_scenario[i]) continue;  // a file names its own baseline
    Baseline b;
    b.source = "history " + store->where();
    b.tolerance = tolerance;
    b.record.scenario_name = names[i];
    try {
      b.series = history_series(*store, names[i], n);
    } catch (const HistoryError& e) {
      fmt::print(stderr, "faultline run: --baseline {}: {}\n", asked, e.what());
      return false;
    }
    if (b.series.empty()) {
      fmt::print(stderr, "faultline run: warning: --baseline {}: no passing run of '{}' in {} yet: no gate this run\n",
                 asked, names[i], store->where());
      continue;
    }
    if (const std::string w = series_digest_warning(b.series, names[i], digests[i], b.source); !w.empty())
      fmt::print(stderr, "faultline run: warning: --baseline {}: {}\n", asked, w);
    out.push_back(std::move(b));
    by_scenario[i] = &out.back();
  }
  return true;
}

CLI::App* add_history_command(CLI::App& app) {
  HistoryArgs& a = args();
  auto* h = app.add_subcommand("history", "runs recorded in the history store, their trends and regressions");
  h->add_option("scenario", a.scenario, "only this scenario (its name)");
  h->add_option("--history", a.location, "the store: a SQLite file or a postgresql:// URL (default as for run)");
  h->add_option("--last", a.last, "the last N runs (default 20; 0 = all)");
  h->add_option("--since", a.since, "runs started at or after this UTC time, e.g. 2026-12-01 or 2026-12-01T08:00");
  h->add_option("--label", a.label, "only runs with this label");
  h->add_option("--format", a.format, "console, markdown, json or html (default console)")
      ->check(CLI::IsMember(history_format_names()));
  h->add_option("--output,-o", a.output, "write to this file (atomically) instead of stdout");
  h->add_flag("--check", a.check,
              "judge every selected run: regressions between labels, recurrences, flaky scenarios (exit 1 if any)");
  h->add_option("--max-regression", a.tolerance, "a step in recovery time smaller than this is none (default 20%)")
      ->check(CLI::Validator(
          [](std::string& v) { return parse_tolerance(v) ? std::string() : "expected a percentage such as 20%"; },
          "PERCENT"));
  h->add_option("--recur-after", a.passes_between,
                "a verdict that failed, passed in at least K runs and failed again recurred (default 2)")
      ->check(CLI::Range(1, 1000000));
  a.import = h->add_subcommand("import", "fill the store from earlier run records (run directories or run.json)");
  a.import->add_option("records", a.import_dirs, "run directories or run.json files")->required();
  a.import->add_option("--label", a.import_label, "their label (default as for run)");
  a.import->add_option("--history", a.location, "the store (default as for run)");
  return h;
}

int run_history_command() { return args().import->parsed() ? cmd_import() : cmd_history(); }

}  // namespace faultline
