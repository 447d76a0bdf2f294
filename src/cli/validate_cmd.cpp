// `faultline validate` (validate_cmd.hpp). The problems of a file are found
// once and rendered in the format asked for; nothing is started or changed.
// The SARIF rules are the kinds of problem: a TOML syntax error, a missing
// capability of this host, the partition warning, and every other problem of
// the scenario (a wrong type, an unknown key, a semantic check).
#include "cli/validate_cmd.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "os/input_file.hpp"
#include "os/scenario_check.hpp"
#include "os/stop.hpp"
#include "scenario/partition_effect.hpp"

namespace faultline {

namespace {

namespace json = boost::json;

struct ValidateArgs {
  std::vector<std::string> files;
  bool strict = false;
  std::string format = "text";
};

ValidateArgs& args() {
  static ValidateArgs a;
  return a;
}

struct Problem {
  Diagnostic d;
  bool warning = false;
  std::string rule;
};

struct FileResult {
  std::string file;
  std::vector<Problem> problems;
  std::optional<Scenario> scenario;
  double ms = 0;
  bool ok() const {
    for (const auto& p : problems)
      if (!p.warning) return false;
    return true;
  }
};

/// The rule of a problem, from what it says.
std::string rule_of(const Diagnostic& d) {
  if (d.message.starts_with("TOML syntax error")) return "toml-syntax";
  if (d.message.find("which this host does not") != std::string::npos) return "host-capability";
  return "scenario";
}

FileResult check_file(const std::string& path) {
  FileResult out{path, {}, {}, 0};
  const auto t0 = std::chrono::steady_clock::now();
  if (const std::string why = input_file_problem(path, kMaxScenarioBytes); !why.empty()) {
    out.problems.push_back({{{path, 0, 0}, why, {}}, false, "scenario"});
    return out;
  }
  PartialParse p = load_scenario_partial(path);
  ParseResult& r = p.result;
  for (auto& d : every_problem(p, probe_host_caps)) out.problems.push_back({d, false, rule_of(d)});
  if (r.scenario && out.problems.empty()) {
    for (auto& w : scenario_warnings(*r.scenario)) out.problems.push_back({w, true, "partition-shared-link"});
    out.scenario = std::move(r.scenario);
  }
  out.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

struct RuleText {
  const char* id;
  const char* name;
  const char* text;
};

constexpr RuleText kRules[] = {
    {"toml-syntax", "TomlSyntax", "The file is not valid TOML."},
    {"scenario", "ScenarioProblem",
     "A key, value or relation of the scenario is wrong (unknown key, wrong type, unit or range, unknown name)."},
    {"host-capability", "HostCapability", "This host lacks a capability the scenario needs (see `faultline doctor`)."},
    {"partition-shared-link", "PartitionSharedLink",
     "A net.partition cuts more pairs of services than its groups separate, through a link shared by several clients."},
};

json::object problem_json(const Problem& p) {
  return {{"severity", p.warning ? "warning" : "error"}, {"rule", p.rule},        {"file", p.d.pos.file},
          {"line", p.d.pos.line},                       {"column", p.d.pos.column}, {"message", p.d.message},
          {"hint", p.d.hint}};
}

std::string render_json(const std::vector<FileResult>& results) {
  json::array files;
  std::size_t errors = 0, warnings = 0;
  for (const auto& r : results) {
    json::array problems;
    for (const auto& p : r.problems) {
      problems.push_back(problem_json(p));
      ++(p.warning ? warnings : errors);
    }
    files.push_back(json::object{{"file", r.file}, {"ok", r.ok()}, {"problems", std::move(problems)}});
  }
  return json::serialize(json::object{{"files", std::move(files)}, {"errors", errors}, {"warnings", warnings}}) + "\n";
}

std::string render_sarif(const std::vector<FileResult>& results) {
  json::array rules;
  for (const auto& r : kRules)
    rules.push_back(json::object{{"id", r.id},
                                 {"name", r.name},
                                 {"shortDescription", json::object{{"text", r.text}}},
                                 {"helpUri", "https://github.com/faultline/faultline/blob/main/scenarios/README.md"}});
  json::array out;
  for (const auto& r : results)
    for (const auto& p : r.problems) {
      const std::string text = p.d.hint.empty() ? p.d.message : fmt::format("{} ({})", p.d.message, p.d.hint);
      json::object region{{"startLine", std::max(p.d.pos.line, 1)}, {"startColumn", std::max(p.d.pos.column, 1)}};
      json::object physical{{"artifactLocation", json::object{{"uri", p.d.pos.file.empty() ? r.file : p.d.pos.file}}},
                            {"region", std::move(region)}};
      out.push_back(json::object{{"ruleId", p.rule},
                                 {"level", p.warning ? "warning" : "error"},
                                 {"message", json::object{{"text", text}}},
                                 {"locations", json::array{json::object{{"physicalLocation", std::move(physical)}}}}});
    }
  json::object driver{{"name", "faultline"},
                      {"version", FAULTLINE_VERSION},
                      {"informationUri", "https://github.com/faultline/faultline"},
                      {"rules", std::move(rules)}};
  json::object run{{"tool", json::object{{"driver", std::move(driver)}}}, {"results", std::move(out)}};
  json::object doc{{"version", "2.1.0"},
                   {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                   {"runs", json::array{std::move(run)}}};
  return json::serialize(doc) + "\n";
}

void print_text(const FileResult& r) {
  for (const auto& p : r.problems)
    fmt::print(stderr, "{}\n", p.warning ? format_warning(p.d) : format_diagnostic(p.d));
  if (!r.scenario) return;
  const Scenario& s = *r.scenario;
  fmt::print("{}: ok ({} service(s), {} probe(s), {} fault(s), {} iteration(s)) in {:.3f} ms\n", r.file,
             s.services.size(), s.probes.size(), s.faults.size(), s.iterations, r.ms);
}

}  // namespace

CLI::App* add_validate_command(CLI::App& app) {
  ValidateArgs& a = args();
  CLI::App* c = app.add_subcommand("validate", "check scenarios without starting anything: every problem at once");
  c->add_option("scenario", a.files, "scenario files (TOML)")->required();
  c->add_flag("--strict", a.strict, "a warning fails too (exit 2)");
  c->add_option("--format", a.format, "text (default), json or sarif (SARIF 2.1.0, for code scanning)")
      ->check(CLI::IsMember({"text", "json", "sarif"}));
  return c;
}

int run_validate_command() {
  const ValidateArgs& a = args();
  std::vector<FileResult> results;
  int rc = 0;
  for (const auto& f : a.files) {
    if (const int sig = early_stop_signal()) return exit_code_for_stop_signal(sig);
    results.push_back(check_file(f));
    const FileResult& r = results.back();
    if (!r.ok() || (a.strict && !r.problems.empty())) rc = 2;
    if (a.format == "text") print_text(r);
  }
  if (const int sig = early_stop_signal()) return exit_code_for_stop_signal(sig);
  if (a.format == "json") fmt::print("{}", render_json(results));
  if (a.format == "sarif") fmt::print("{}", render_sarif(results));
  return rc;
}

}  // namespace faultline
