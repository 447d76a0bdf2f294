#include "cli/cli.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "cli/history_cmd.hpp"
#include "cli/run_start.hpp"
#include "measure/regression.hpp"
#include "os/atomic_file.hpp"
#include "os/cleanup.hpp"
#include "os/host_caps.hpp"
#include "os/input_file.hpp"
#include "os/ledger.hpp"
#include "os/output_path.hpp"
#include "os/stop.hpp"
#include "record/json_read.hpp"
#include "record/json_record.hpp"
#include "reports/console.hpp"
#include "reports/junit.hpp"
#include "reports/report_files.hpp"
#include "run/plan.hpp"
#include "run/runner.hpp"
#include "scenario/catalog.hpp"
#include "scenario/scenario_parser.hpp"
#include "scenario/starter.hpp"
#include "scenario/strategy_select.hpp"
#include "scenario/validate.hpp"
#include "scenario/whole_number.hpp"
#include "system/host_doctor.hpp"

namespace faultline {

namespace {

constexpr const char* kExamples = R"(Examples:
  faultline init my-drill                 write my-drill.toml, a commented starter scenario
  faultline validate scenarios/*.toml     check scenarios (file:line:col errors, exit 2)
  faultline plan scenarios/redis-kill-restart.toml --seed 7
  faultline run scenarios/redis-kill-restart.toml --iterations 5 --out runs/drill
  faultline run scenarios/redis-kill-restart.toml --baseline runs/drill --max-regression 25%
  faultline report runs/drill/run.json --format html --output drill.html
  faultline list                          fault kinds, link keys and probe kinds with their parameters
  faultline cleanup                       revert what a killed run left behind (from its ledger)
  faultline doctor                        what this host supports for network = "namespaces"
  faultline doctor --hosts drill.toml     what each [[host]] of a scenario offers, over ssh

Exit codes: 0 every threshold met; 1 a recovery objective missed; 2 usage error or
invalid scenario; 3 inconclusive (clone did not start, steady state not met);
4 harness error (a fault could not be applied or reverted); 130/143 interrupted.)";

/// A scenario file loaded and validated, with its text for the digest.
struct Loaded {
  std::optional<Scenario> scenario;
  std::string text;
};

Loaded load_and_validate(const std::string& path) {
  Loaded out;
  // Looked at before it is opened: a FIFO, a device or a huge file is refused unread.
  if (const std::string why = input_file_problem(path, kMaxScenarioBytes); !why.empty()) {
    fmt::print(stderr, "{}\n", format_diagnostic({{path, 0, 0}, why, {}}));
    return out;
  }
  ParseResult r = load_scenario(path);
  std::vector<Diagnostic> diags = r.diagnostics;
  if (r.scenario) {
    auto more = validate(*r.scenario);
    diags.insert(diags.end(), more.begin(), more.end());
    // A namespace scenario is checked against what this host can do (by
    // trying), so that a missing capability is refused before anything is built.
    if (more.empty() && r.scenario->network == NetworkMode::namespaces) {
      auto host = host_check(*r.scenario, probe_host_caps());
      diags.insert(diags.end(), host.begin(), host.end());
    }
  }
  for (const auto& d : diags) fmt::print(stderr, "{}\n", format_diagnostic(d));
  if (diags.empty() && r.scenario) {
    out.scenario = std::move(r.scenario);
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    out.text = ss.str();
  }
  return out;
}

bool use_color(bool no_color_flag) {
  return !no_color_flag && std::getenv("NO_COLOR") == nullptr && std::getenv("CI") == nullptr &&
         ::isatty(STDOUT_FILENO);
}

/// Live view on a terminal that can move its cursor, unless in CI; plain
/// timestamped lines otherwise; only the summary with --quiet.
ConsoleMode console_mode(bool quiet) {
  if (quiet) return ConsoleMode::quiet;
  const char* term = std::getenv("TERM");
  const bool dumb = term == nullptr || std::string_view(term).empty() || std::string_view(term) == "dumb";
  return ::isatty(STDOUT_FILENO) && std::getenv("CI") == nullptr && !dumb ? ConsoleMode::live : ConsoleMode::plain;
}

int cmd_validate(const std::vector<std::string>& files) {
  int rc = 0;
  for (const auto& f : files) {
    if (const int sig = early_stop_signal()) return exit_code_for_stop_signal(sig);
    const auto t0 = std::chrono::steady_clock::now();
    Loaded l = load_and_validate(f);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
    if (!l.scenario) {
      rc = 2;
      continue;
    }
    const Scenario& s = *l.scenario;
    fmt::print("{}: ok ({} service(s), {} probe(s), {} fault(s), {} iteration(s)) in {:.3f} ms\n", f,
               s.services.size(), s.probes.size(), s.faults.size(), s.iterations,
               static_cast<double>(us.count()) / 1000.0);
  }
  if (const int sig = early_stop_signal()) return exit_code_for_stop_signal(sig);
  return rc;
}

/// --strategies (issue 17): keeps the named strategies of `s`; prints why
/// and returns false when the list cannot be used (exit 2).
bool apply_strategies(const char* command, Scenario& s, const std::optional<std::string>& list) {
  if (!list) return true;
  const std::string why = select_strategies(s, *list);
  if (!why.empty()) fmt::print(stderr, "faultline {}: --strategies: {}\n", command, why);
  return why.empty();
}

int cmd_plan(const std::string& file, std::optional<std::uint64_t> seed, std::optional<int> iterations,
             const std::optional<std::string>& strategies) {
  Loaded l = load_and_validate(file);
  if (!l.scenario) return 2;
  if (!apply_strategies("plan", *l.scenario, strategies)) return 2;
  if (const int sig = early_stop_signal()) return exit_code_for_stop_signal(sig);
  if (iterations) l.scenario->iterations = *iterations;
  fmt::print("{}", render_plan(*l.scenario, seed ? seed : l.scenario->seed));
  return 0;
}

void print_keys(const std::vector<KeySpec>& keys, const char* indent) {
  for (const auto& k : keys)
    fmt::print("{}{:<20} {:<10} {:<12} {}\n", indent, k.key, k.type,
               k.required ? "required" : (k.default_value.empty() ? "-" : k.default_value), k.description);
}

/// Each kind: its name and summary (`suffix` adds to it), then its keys.
template <class Kinds, class Suffix>
void print_kinds(const Kinds& kinds, Suffix suffix) {
  for (const auto& k : kinds) {
    fmt::print("\n  {}  {}{}\n", k.name, k.summary, suffix(k));
    print_keys(k.keys, "    ");
  }
}

int cmd_list() {
  const auto none = [](const auto&) { return ""; };
  fmt::print("FAULT KINDS ([[fault]] kind = ...)\n  common keys:\n");
  print_keys(fault_common_keys(), "    ");
  print_kinds(fault_kinds(), [](const auto& k) { return k.reversible ? "" : " (not reversible)"; });
  fmt::print("\nLINKS ([[link]]: faultline's TCP proxies, where net.* faults act)\n");
  print_keys(link_keys(), "    ");
  fmt::print("\nPROBE KINDS ([[probe]] kind = ..., and [service.ready])\n  common keys:\n");
  print_keys(probe_common_keys(), "    ");
  print_kinds(probe_kinds(), none);
  fmt::print("\nRUNBOOK STEPS ([[recovery]]: run in order while the fault is in effect)\n");
  print_keys(recovery_keys(), "    ");
  fmt::print("\nWORKLOAD KINDS ([[workload]] kind = ...: sequenced writes, then a read for data loss)\n  common keys:\n");
  print_keys(workload_common_keys(), "    ");
  print_kinds(workload_kinds(), none);
  fmt::print("\n(key, type, default, meaning; durations take units: \"250ms\", \"2s\", \"1m\")\n");
  return 0;
}

int cmd_init(const std::string& name_in) {
  std::filesystem::path path = name_in;
  if (path.extension() != ".toml") path += ".toml";
  if (std::filesystem::exists(path)) {
    fmt::print(stderr, "faultline init: {} already exists; choose another name or remove it first\n", path.string());
    return 2;
  }
  if (const std::string why = output_path_problem(path, OutputKind::file); !why.empty()) {
    fmt::print(stderr, "faultline init: {}\n", why);
    return 2;
  }
  const std::string name = path.stem().string();
  write_file_atomic(path, starter_scenario(name));
  fmt::print("wrote {}: a commented starter scenario. Next:\n  faultline validate {}\n  faultline plan {}\n"
             "  faultline run {}\n",
             path.string(), path.string(), path.string(), path.string());
  return 0;
}

/// RUN_DIR/run.json: the record of a concluded run, written atomically
/// before its ledger is resolved (RunOptions::write_record).
void write_run_json(const RunRecord& rec, const std::filesystem::path& run_dir) {
  write_file_atomic(run_dir / "run.json", render_json(rec));
}

struct RunFlags {
  std::vector<std::string> files;
  std::optional<int> iterations;
  std::optional<std::uint64_t> seed;
  std::string out;
  std::string json;
  std::string junit;     ///< one document, a testsuite per scenario
  std::string markdown;  ///< per scenario ("-NAME" added when several)
  std::string html;      ///< per scenario ("-NAME" added when several)
  std::vector<std::string> baselines;   ///< --baseline: earlier run records (one per scenario)
  std::string max_regression = "20%";   ///< --max-regression
  bool quiet = false;
  bool no_color = false;
  bool force = false;  ///< --force: empty an existing run directory (--out) first
  std::optional<std::string> strategies;  ///< --strategies a,b (issue 17)
  HistoryRunFlags history;  ///< --history, --no-history, --label (issue 18)
};

/// Exit codes ordered by how much they must be seen: a harness error beats
/// an inconclusive run, which beats a missed objective, which beats a pass.
int severity(int code) {
  switch (code) {
    case 4: return 4;
    case 3: return 3;
    case 1: return 2;
    case 0: return 0;
    default: return 5;
  }
}

/// Writes the report files a run was asked for (--json, --junit, --markdown,
/// --html; report.html, junit.xml and summary.md into the --out directory).
/// `done` holds every scenario run so far, this one last, for the JUnit
/// document. Returns 4 when a file could not be written, else 0.
int write_reports(const RunFlags& f, const std::vector<RunRecord>& done, const std::filesystem::path& out_dir,
                  bool many) {
  const RunRecord& rec = done.back();
  int rc = 0;
  auto attempt = [&](const char* what, const std::filesystem::path& path, auto render) {
    try {
      write_file_atomic(path, render());
      fmt::print("  {}: {}\n", what, path.string());
    } catch (const std::exception& e) {
      fmt::print(stderr, "faultline: error: {}\n", e.what());
      rc = 4;
    }
  };
  auto path_of = [&](const std::string& p) {
    return many ? per_scenario_path(p, rec.scenario_name) : std::filesystem::path(p);
  };
  if (!f.json.empty()) attempt("record", path_of(f.json), [&] { return render_json(rec); });
  if (!f.junit.empty()) attempt("junit", f.junit, [&] { return render_junit(done); });
  if (!f.markdown.empty()) attempt("markdown", path_of(f.markdown), [&] { return render_report(rec, ReportFormat::markdown); });
  if (!f.html.empty()) attempt("html", path_of(f.html), [&] { return render_report(rec, ReportFormat::html); });
  if (!out_dir.empty()) {
    std::string names;
    for (const auto& w : write_run_dir_reports(rec, out_dir)) {
      if (w.error.empty()) names += (names.empty() ? "" : ", ") + w.path.filename().string();
      else fmt::print(stderr, "faultline: error: {}\n", w.error);
      if (!w.error.empty()) rc = 4;
    }
    if (!names.empty()) fmt::print("  reports: {} in {}\n", names, out_dir.string());
  }
  return rc;
}

/// Reads every --baseline and gives each to the scenario it is a run of
/// (by name); `by_scenario[i]` is the baseline of `loaded[i]`, if any. Prints
/// why and returns false when one cannot serve (unreadable, of a scenario
/// this command does not run, two for one scenario, nothing measured); warns
/// when the scenario's text changed since the baseline ran.
bool load_baselines(const RunFlags& f, const std::vector<Loaded>& loaded, std::vector<Baseline>& baselines,
                    std::vector<const Baseline*>& by_scenario) {
  const double tolerance = parse_tolerance(f.max_regression).value_or(0.2);  // checked by CLI11
  baselines.reserve(f.baselines.size());
  for (const auto& file : f.baselines) {
    if (is_history_baseline(file)) continue;  // history_baselines()
    Baseline b;
    b.source = file;
    b.tolerance = tolerance;
    if (const std::string why = input_file_problem(record_path(file), kMaxRecordBytes); !why.empty()) {
      fmt::print(stderr, "faultline run: --baseline: {}: {}\n", record_path(file).string(), why);
      return false;
    }
    try {
      b.record = read_run_record_file(record_path(file));
    } catch (const RecordError& e) {
      fmt::print(stderr, "faultline run: --baseline: {}\n", e.what());
      return false;
    }
    if (b.record.partial) {  // nothing was measured: no baseline
      fmt::print(stderr, "faultline run: --baseline: {}: {}\n", record_path(file).string(), b.record.error);
      return false;
    }
    b.record.probes.clear();  // the gate compares figures, not samples
    baselines.push_back(std::move(b));
  }
  by_scenario.assign(loaded.size(), nullptr);
  for (const auto& b : baselines) {
    std::size_t i = 0;
    while (i < loaded.size() && loaded[i].scenario->name != b.record.scenario_name) ++i;
    std::string problem;
    if (i == loaded.size())
      problem = loaded.size() == 1 ? baseline_problem(b, loaded[0].scenario->name)
                                   : fmt::format("{} is a run of scenario '{}', which this command does not run",
                                                 b.source, b.record.scenario_name);
    else if (by_scenario[i])
      problem = fmt::format("{} and {} are both baselines of scenario '{}'", by_scenario[i]->source, b.source,
                            b.record.scenario_name);
    else
      problem = baseline_problem(b, loaded[i].scenario->name);
    if (!problem.empty()) {
      fmt::print(stderr, "faultline run: --baseline: {}\n", problem);
      return false;
    }
    by_scenario[i] = &b;
    const std::string warning = baseline_warning(b, scenario_digest(loaded[i].text));
    if (!warning.empty()) fmt::print(stderr, "faultline run: warning: --baseline: {}\n", warning);
  }
  return true;
}

int cmd_cleanup(const std::string& run_id, bool all) {
  std::vector<std::string> errors;
  std::vector<std::filesystem::path> run_dirs;
  int rc = 0, found = 0;
  for (auto& [path, l] : ledgers_in_state_dir(&errors)) {
    if (!run_id.empty() && l.run_id != run_id) continue;
    if (run_id.empty() && !all && l.finished) continue;
    ++found;
    run_dirs.push_back(l.run_dir);
    if (l.harness_alive()) {
      fmt::print("run {} ({}) is still running (pid {}): not touched\n", l.run_id, l.scenario, l.harness_pid);
      continue;
    }
    fmt::print("run {} ({}), run directory {}:\n", l.run_id, l.scenario, l.run_dir);
    CleanupReport r = cleanup_run(l);
    for (const auto& d : r.done) fmt::print("  {}\n", d);
    for (const auto& e : r.failed) fmt::print("  LEFT BEHIND: {}\n", e);
    if (r.done.empty() && r.ok()) fmt::print("  nothing was left applied or running\n");
    if (!r.ok()) rc = 4;
  }
  const int unowned = run_id.empty() ? cleanup_unowned(run_dirs, rc) : 0;
  for (const auto& e : errors) fmt::print(stderr, "faultline cleanup: {}\n", e);
  if (!errors.empty()) {
    // What an unreadable ledger's run left cannot be known: never "nothing to clean up".
    fmt::print(stderr,
               "faultline cleanup: {} ledger(s) could not be read, so what their runs left is unknown; repair or "
               "inspect them, and remove each once its run's faults and processes are gone\n",
               errors.size());
    rc = 4;
  }
  if (!run_id.empty() && found == 0) {
    fmt::print(stderr, "faultline cleanup: no ledger for run '{}' in {}\n", run_id, state_dir().string());
    return rc == 4 ? 4 : 2;
  }
  if (found == 0 && unowned == 0 && errors.empty())
    fmt::print("nothing to clean up ({} holds no unresolved run)\n", state_dir().string());
  return rc;
}

int cmd_run(const RunFlags& f) {
  if (!outputs_ok("run", {{"--out", f.out, OutputKind::directory},
                          {"--json", f.json, OutputKind::file},
                          {"--junit", f.junit, OutputKind::file},
                          {"--markdown", f.markdown, OutputKind::file},
                          {"--html", f.html, OutputKind::file}}))
    return 2;
  // Validate every scenario before starting any: nothing is started when one is invalid.
  std::vector<Loaded> loaded;
  bool bad = false;
  for (const auto& file : f.files) {
    loaded.push_back(load_and_validate(file));
    bad |= !loaded.back().scenario;
  }
  if (bad) return 2;
  for (auto& l : loaded)
    if (!apply_strategies("run", *l.scenario, f.strategies)) return 2;
  std::vector<Baseline> baselines;
  std::vector<const Baseline*> baseline_of;
  if (!load_baselines(f, loaded, baselines, baseline_of)) return 2;
  std::vector<Baseline> from_history;
  std::vector<std::string> names, digests;
  for (const auto& l : loaded) names.push_back(l.scenario->name), digests.push_back(scenario_digest(l.text));
  if (!history_baselines(f.history, f.baselines, parse_tolerance(f.max_regression).value_or(0.2), names, digests,
                         from_history, baseline_of))
    return 2;
  // A run that died may have left faults applied: resolve it before anything
  // new is injected into what may be the same system.
  if (auto dead = dead_runs(); !dead.empty()) {
    for (const auto& [path, l] : dead)
      fmt::print(stderr,
                 "faultline: run {} of '{}' died without reverting (ledger {}); resolve it with\n"
                 "  faultline cleanup --run {}\n",
                 l.run_id, l.scenario, path.string(), l.run_id);
    return 2;
  }
  std::optional<RunDirLock> out_lock;
  if (!claim_out_dir(f.out, f.force, out_lock)) return 2;
  if (const int sig = early_stop_signal()) {
    fmt::print(stderr, "faultline: interrupted before the run started: nothing was started\n");
    return exit_code_for_stop_signal(sig);
  }
  if (f.force && !f.out.empty() && !run_dir_entries(f.out).empty()) {
    empty_run_dir(f.out);
    fmt::print(stderr, "faultline: --force: emptied {} (the previous run's files)\n", f.out);
  }
  int rc = 0;
  std::vector<RunRecord> done;
  for (std::size_t i = 0; i < loaded.size(); ++i) {
    if (interrupted_by_signal()) break;
    if (const int sig = early_stop_signal()) return exit_code_for_stop_signal(sig);
    const Scenario& s = *loaded[i].scenario;
    RunOptions opts;
    opts.iterations = f.iterations;
    opts.seed = f.seed;
    opts.console = console_mode(f.quiet);
    opts.color = use_color(f.no_color);
    opts.baseline = baseline_of[i];
    // Results survive a full disk: the summary's figures are printed before
    // any file is written, the record (run.json) first, every failure named;
    // the headline comes last, once it is known whether everything was saved,
    // so that a run that ends with exit 4 is never headed PASSED.
    bool summarized = false;
    std::string record_error;
    std::filesystem::path record_file;  // for the history
    opts.write_record = [&](const RunRecord& r, const std::filesystem::path& run_dir) {
      fmt::print("\n{}", render_console_body(r, opts.color));
      std::fflush(stdout);
      summarized = true;
      try {
        write_run_json(r, run_dir);
        record_file = run_dir / "run.json";
      } catch (const std::exception& e) {
        record_error = e.what();
        fmt::print(stderr, "faultline: error: the record was not written: {}\n", e.what());
      }
    };
    if (!f.out.empty()) opts.out_dir = loaded.size() == 1 ? std::filesystem::path(f.out) : std::filesystem::path(f.out) / s.name;
    done.push_back(run_scenario(s, loaded[i].text, opts));
    catch_stop_signals_early();  // the run's own handling is gone: remember a signal again
    const RunRecord& rec = done.back();
    if (!summarized) fmt::print("\n{}", render_console_body(rec, opts.color));
    int written = write_reports(f, done, opts.out_dir, loaded.size() > 1);
    if (!record_error.empty()) written = 4;
    save_to_history(f.history, rec, record_file);
    const bool unsaved = written != 0 && severity(written) > severity(rec.exit_code);
    if (unsaved)
      fmt::print(stderr, "faultline: exit {}: the results were not all saved (the errors above name each file); "
                         "the figures above are the drill's own\n", written);
    fmt::print("\n{}", render_console_headline(rec, opts.color, unsaved ? Outcome::harness_error : rec.outcome,
                                                unsaved ? written : rec.exit_code));
    // Only the JUnit document needs earlier runs, and not their samples.
    for (auto& p : done.back().probes) {
      p.samples.clear();
      p.folds.clear();
    }
    std::fflush(stdout);
    if (rec.exit_code >= 128) return rec.exit_code;
    if (severity(rec.exit_code) > severity(rc)) rc = rec.exit_code;
    if (severity(written) > severity(rc)) rc = written;
  }
  return rc;
}

/// `faultline doctor`: what this host supports, found by trying. Exit 0
/// when everything is there, 3 when something is missing.
int cmd_doctor(const std::string& hosts_file) {
  if (!hosts_file.empty()) {  // --hosts: each declared [[host]], over ssh
    Loaded l = load_and_validate(hosts_file);
    if (!l.scenario) return 2;
    if (l.scenario->hosts.empty()) {
      fmt::print(stderr, "faultline doctor: {} declares no [[host]]\n", hosts_file);
      return 2;
    }
    const auto findings = check_hosts_live(*l.scenario);
    fmt::print("{}", render_host_findings(*l.scenario, findings));
    for (const auto& f : findings)
      if (!f.ok) return 3;
    return 0;
  }
  const HostCaps caps = probe_host_caps();
  if (const int sig = early_stop_signal()) return exit_code_for_stop_signal(sig);
  fmt::print("{}", render_doctor(caps));
  for (const HostCap* c : caps.all())
    if (!c->present) return 3;
  return 0;
}

/// `faultline report`: re-renders a report from a run record alone.
int cmd_report(const std::string& arg, const std::string& format, const std::string& output) {
  if (!output.empty())
    if (const std::string why = output_path_problem(output, OutputKind::file); !why.empty()) {
      fmt::print(stderr, "faultline report: --output: {}\n", why);
      return 2;
    }
  if (const std::string why = input_file_problem(record_path(arg), kMaxRecordBytes); !why.empty()) {
    fmt::print(stderr, "faultline report: {}: {}\n", record_path(arg).string(), why);
    return 2;
  }
  RunRecord rec;
  try {
    rec = read_run_record_file(record_path(arg));
  } catch (const RecordError& e) {
    fmt::print(stderr, "faultline report: {}\n", e.what());
    return 2;
  }
  const std::string text = render_report(rec, report_format_from(format));
  const int rc = rec.partial ? 3 : 0;  // a partial record concluded nothing: never a pass
  if (output.empty()) {
    fmt::print("{}", text);
    return rc;
  }
  try {
    write_file_atomic(output, text);
  } catch (const std::exception& e) {
    fmt::print(stderr, "faultline report: {}\n", e.what());
    return 2;
  }
  return rc;
}

/// Every subcommand's arguments, filled in by parsing.
struct CliArgs {
  RunFlags run;
  std::vector<std::string> validate_files;
  std::string plan_file;
  std::optional<std::uint64_t> plan_seed;
  std::optional<int> plan_iterations;
  std::optional<std::string> plan_strategies;
  std::string init_name;
  std::string cleanup_run_id;
  bool cleanup_all = false;
  std::string report_file, report_format = "markdown", report_output;
  std::string doctor_hosts;  ///< doctor --hosts SCENARIO
};

/// The subcommands, to tell which one was given.
struct Subcommands {
  CLI::App* run = nullptr;
  CLI::App* validate = nullptr;
  CLI::App* plan = nullptr;
  CLI::App* list = nullptr;
  CLI::App* cleanup = nullptr;
  CLI::App* doctor = nullptr;
  CLI::App* init = nullptr;
  CLI::App* report = nullptr;
  CLI::App* history = nullptr;
};

/// A CLI11 check of a whole number from `lo` to `hi`, in plain words
/// (CLI11 names the flag before the message).
CLI::Validator whole_number(std::uint64_t lo, std::uint64_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& v) {
        std::string why;
        return parse_whole_number(v, lo, hi, why) ? std::string() : why;
      },
      "N");
}

constexpr std::uint64_t kMaxIterations = 2147483647;  // as the scenario's `iterations`
constexpr std::uint64_t kMaxSeed = 18446744073709551615ULL;

/// `faultline run` and its options.
CLI::App* add_run_command(CLI::App& app, RunFlags& rf) {
  auto* run = app.add_subcommand("run", "run scenarios against their staging clones and judge the thresholds");
  run->add_option("scenario", rf.files, "scenario files (TOML)")->required()->check(CLI::ExistingFile);
  run->add_option("--iterations", rf.iterations, "override the scenario's iteration count")
      ->check(whole_number(1, kMaxIterations));
  run->add_option("--seed", rf.seed, "seed for every random choice (printed and recorded)")
      ->check(whole_number(0, kMaxSeed));
  run->add_option("--out", rf.out, "run directory: service logs, run.json, report.html, junit.xml, summary.md (default runs/NAME-RUNID, run.json only)");
  run->add_option("--json", rf.json, "also write the JSON run record to this file");
  run->add_option("--junit", rf.junit, "also write JUnit XML (a testsuite per scenario) to this file");
  run->add_option("--markdown", rf.markdown, "also write the Markdown summary to this file");
  run->add_option("--html", rf.html, "also write the self-contained HTML report to this file");
  auto* baseline = run->add_option("--baseline", rf.baselines,
                                   "an earlier run.json (or run directory) of the same scenario, or history[:N] (the last N passing runs in the history): adds verdicts that fail "
                                   "when recovery time (worst, p95) or MTTR got worse than it by more than --max-regression; "
                                   "once per scenario")
                       ->allow_extra_args(false);  // one file per --baseline: a scenario after it stays a scenario
  run->add_option("--max-regression", rf.max_regression,
                  "how much worse than the baseline is still a pass, as a percentage (default 20%)")
      ->check(CLI::Validator(
          [](std::string& v) { return parse_tolerance(v) ? std::string() : "expected a percentage such as 20%"; },
          "PERCENT"))
      ->needs(baseline);
  run->add_flag("--force", rf.force,
                "empty the --out directory first when it holds an earlier run (only a faultline run directory)");
  run->add_option("--strategies", rf.strategies,
                  "compare only these [[strategy]] tables of the scenario: names separated by commas");
  add_history_run_options(*run, rf.history);
  run->add_flag("--quiet,-q", rf.quiet, "no progress, only the summary (and warnings)");
  run->add_flag("--no-color", rf.no_color, "no colour (also with NO_COLOR or CI set)");
  return run;
}

/// Every subcommand, in the order `--help` lists them.
Subcommands add_subcommands(CLI::App& app, CliArgs& a) {
  Subcommands c;
  c.run = add_run_command(app, a.run);

  c.validate = app.add_subcommand("validate", "check scenarios without starting anything");
  c.validate->add_option("scenario", a.validate_files, "scenario files (TOML)")->required();

  c.plan = app.add_subcommand("plan", "print the resolved timeline; starts and touches nothing");
  c.plan->add_option("scenario", a.plan_file, "scenario file (TOML)")->required();
  c.plan->add_option("--seed", a.plan_seed, "seed for window picks")->check(whole_number(0, kMaxSeed));
  c.plan->add_option("--iterations", a.plan_iterations, "override the iteration count")
      ->check(whole_number(1, kMaxIterations));
  c.plan->add_option("--strategies", a.plan_strategies, "plan only these [[strategy]] tables: names separated by commas");

  c.list = app.add_subcommand("list", "fault kinds, link keys and probe kinds with their parameters, units and defaults");

  c.cleanup = app.add_subcommand("cleanup", "revert what a killed run left applied, from its crash ledger");
  c.cleanup->add_option("--run", a.cleanup_run_id, "only this run id");
  c.cleanup->add_flag("--all", a.cleanup_all, "every dead run's ledger (the default when --run is not given)");

  c.doctor = app.add_subcommand("doctor", "what this host supports for network = \"namespaces\" (root, namespaces, "
                                          "nftables, tbf, netem, pidfd) and what each missing piece disables");
  c.doctor->add_option("--hosts", a.doctor_hosts,
                       "check each [[host]] of this scenario over ssh instead: reachable, root or sudo -n, nft, tc, "
                       "netem, setsid, kernel");

  c.init = app.add_subcommand("init", "write a commented starter scenario NAME.toml that validates");
  c.init->add_option("name", a.init_name, "scenario name or file")->required();

  c.report = app.add_subcommand("report", "re-render a report from a run record (run.json) alone");
  c.report->add_option("record", a.report_file, "run record: a run.json, or a run directory")->required();
  c.report->add_option("--format", a.report_format, "json, junit, markdown or html (default markdown)")
      ->check(CLI::IsMember(report_format_names()));
  c.report->add_option("--output,-o", a.report_output, "write to this file (atomically) instead of stdout");
  c.history = add_history_command(app);
  return c;
}

/// Runs the subcommand that was given; 2 when none was.
int dispatch(const Subcommands& c, const CliArgs& a) {
  if (c.run->parsed()) return cmd_run(a.run);
  if (c.validate->parsed()) return cmd_validate(a.validate_files);
  if (c.plan->parsed()) return cmd_plan(a.plan_file, a.plan_seed, a.plan_iterations, a.plan_strategies);
  if (c.list->parsed()) return cmd_list();
  if (c.init->parsed()) return cmd_init(a.init_name);
  if (c.cleanup->parsed()) return cmd_cleanup(a.cleanup_run_id, a.cleanup_all);
  if (c.doctor->parsed()) return cmd_doctor(a.doctor_hosts);
  if (c.report->parsed()) return cmd_report(a.report_file, a.report_format, a.report_output);
  if (c.history->parsed()) return run_history_command();
  return 2;
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"faultline: chaos drills that measure recovery (time to detect, RTO, MTTR, relapses)", "faultline"};
  app.footer(kExamples);
  app.set_version_flag("--version", std::string("faultline ") + FAULTLINE_VERSION);
  app.require_subcommand(1);
  CliArgs args;
  const Subcommands commands = add_subcommands(app, args);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  // Only the commands that may build a probe namespace or start a run defer
  // a stop signal (os/stop.hpp); the others end on it as they always did.
  if (!commands.run->parsed() && !commands.validate->parsed() && !commands.plan->parsed() &&
      !commands.doctor->parsed())
    release_early_stop_signals();
  try {
    return dispatch(commands, args);
  } catch (const std::exception& e) {
    fmt::print(stderr, "faultline: error: {}\n", e.what());
    return 4;
  }
}

}  // namespace faultline
