// JUnit XML from the run record (see junit.hpp for the shape). The element
// order inside <testsuite> and <testcase> follows the strictest of the
// common JUnit schemas (properties, testcases, system-out, system-err;
// skipped, error, failure, system-out), checked against
// tests/fixtures/junit.xsd by the tests.
#include "reports/junit.hpp"

#include <fmt/format.h>
#include <regex>

#include "reports/console.hpp"
#include "reports/report_text.hpp"

namespace faultline {

namespace {

/// What one <testcase> holds.
struct Case {
  std::string name;
  Nanos time{0};
  enum class Kind { passed, failure, error, skipped } kind = Kind::passed;
  std::string type;     ///< failure/error type attribute
  std::string message;  ///< failure/error/skipped message attribute
  std::string body;     ///< failure/error text
  std::string out;      ///< system-out
};

/// Seconds with millisecond precision, as JUnit readers expect ("6.210").
std::string seconds(Nanos d) {
  if (d.count() < 0) d = Nanos{0};
  return fmt::format("{:.3f}", static_cast<double>(d.count()) / 1e9);
}

std::string iteration_summary(const RunRecord& r, const IterationMetrics& m) {
  const Nanos u = m.uncertainty;
  std::string out;
  if (!m.impact && m.undetermined)
    out = fmt::format("undetermined: no trustworthy sample showed an impact (the harness was stalled or decided "
                      "samples itself; +/- {})\n", format_ms(u));
  else if (!m.impact)
    out = fmt::format("fault absorbed: no failing sample (recovery time 0.000 ms, +/- {})\n", format_ms(u));
  else
    out = fmt::format("TTD {}\n", figure_text(m.ttd, m.ttd_bracket, u));
  if (m.impact && m.recovered)
    out += fmt::format("TTR {}\nrecovery time {}\n", figure_text(m.ttr, m.ttr_bracket, u),
                       figure_text(m.recovery_time, m.recovery_bracket, u));
  else if (m.impact)
    out += fmt::format("not recovered by the deadline: recovery time {}\n", recovery_text(r, m));
  if (m.recovery_after_revert) out += fmt::format("recovery after revert {}\n", format_ms(*m.recovery_after_revert));
  if (m.impact) out += fmt::format("relapses {}\n", m.relapses);
  // Every injection and every episode of this iteration.
  RunRecord one;
  one.scenario.give_up_after = r.scenario.give_up_after;
  one.iterations = {m};
  for (const auto& f : r.faults)
    if (f.iteration == m.index) one.faults.push_back(f);
  for (const auto& l : injection_lines(one)) out += l + "\n";
  for (const auto& l : episode_lines(one)) out += l + "\n";
  if (const auto a = combined_availability(m.availability)) out += "availability " + availability_text(*a) + "\n";
  return out;
}

/// The worst recovery time over the iteration's injections; none when one did not recover.
std::optional<Nanos> worst_recovery(const IterationMetrics& m) {
  if (m.injections.empty()) return m.recovered ? m.recovery_time : std::nullopt;
  Nanos worst{0};
  for (const auto& im : m.injections) {
    if (!im.recovery_time) return std::nullopt;
    worst = std::max(worst, *im.recovery_time);
  }
  return worst;
}

Case iteration_case(const RunRecord& r, const IterationMetrics& m) {
  Case c;
  c.name = fmt::format("iteration {} recovery", m.index);
  c.time = m.observed_until - m.start;
  const auto& rto = r.scenario.thresholds.rto;
  const std::string summary = iteration_summary(r, m);
  const auto recovery = worst_recovery(m);
  if (!recovery) {
    c.kind = Case::Kind::failure;
    c.type = "not_recovered";
    c.message = rto ? fmt::format("recovery time {} (not recovered by the deadline), limit {} (rto), margin none",
                                  "> " + format_ms(r.scenario.give_up_after), format_ms(*rto))
                    : fmt::format("recovery time {} (not recovered by the deadline), limit {} (give_up_after), "
                                  "margin none",
                                  "> " + format_ms(r.scenario.give_up_after), format_ms(r.scenario.give_up_after));
    c.body = summary;
  } else if (rto && *recovery > *rto) {
    c.kind = Case::Kind::failure;
    c.type = "rto";
    c.message = fmt::format("recovery time {}, limit {} (rto), margin {}", format_ms(*recovery), format_ms(*rto),
                            format_ms(*rto - *recovery));
    c.body = summary;
  } else {
    c.out = summary;
    if (rto) c.out += fmt::format("limit {} (rto), margin +{}\n", format_ms(*rto), format_ms(*rto - *recovery));
  }
  return c;
}

Case verdict_case(const Verdict& v) {
  Case c;
  c.name = verdict_name(v);
  const std::string line = fmt::format("measured {}, limit {}, margin {}", v.measured, v.limit,
                                       v.margin.empty() ? "none" : v.margin);
  if (v.passed) {
    c.out = line + (v.detail.empty() ? "" : "\n" + v.detail) + "\n";
  } else if (v.inconclusive) {  // a lower bound within the limit: not judged (the run's error case says why)
    c.kind = Case::Kind::skipped;
    c.message = "inconclusive: " + v.detail;
  } else if (v.not_run) {  // nothing to judge: the step never ran
    c.kind = Case::Kind::skipped;
    c.message = "not run: " + v.detail;
  } else {
    c.kind = Case::Kind::failure;
    c.type = v.threshold;
    c.message = line;
    c.body = v.detail.empty() ? line + "\n" : v.detail + "\n";
  }
  return c;
}

/// The run-level error, for outcomes that are neither a pass nor a judged failure.
std::optional<Case> run_case(const RunRecord& r) {
  switch (r.outcome) {
    case Outcome::passed:
    case Outcome::failed:
      if (r.left_behind.empty()) return std::nullopt;
      break;
    default: break;
  }
  Case c;
  c.name = "run";
  c.time = r.duration;
  c.kind = Case::Kind::error;
  c.type = outcome_name(r.outcome);
  c.message = fmt::format("{} (exit {}){}", outcome_meaning(r), r.exit_code,
                          r.error.empty() ? "" : ": " + r.error);
  for (const auto& l : r.left_behind) c.body += "left behind (could not be reverted): " + l + "\n";
  return c;
}

std::vector<Case> cases_of(const RunRecord& r) {
  std::vector<Case> cases;
  if (auto c = run_case(r)) cases.push_back(std::move(*c));
  for (const auto& v : r.verdicts) cases.push_back(verdict_case(v));
  int last = 0;
  for (const auto& m : r.iterations) {
    cases.push_back(iteration_case(r, m));
    last = std::max(last, m.index);
  }
  // A strategy run (issue 17) planned one iteration per strategy per block.
  const int planned = static_cast<int>(iterations_planned(r));
  for (int i = last + 1; i <= planned; ++i) {
    Case c;
    c.name = fmt::format("iteration {} recovery", i);
    c.kind = Case::Kind::skipped;
    c.message = fmt::format("not run: the run ended {} ({})", outcome_word(r.outcome), outcome_meaning(r));
    cases.push_back(std::move(c));
  }
  return cases;
}

struct Counts {
  std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
  void add(const std::vector<Case>& cases) {
    for (const auto& c : cases) {
      ++tests;
      if (c.kind == Case::Kind::failure) ++failures;
      if (c.kind == Case::Kind::error) ++errors;
      if (c.kind == Case::Kind::skipped) ++skipped;
    }
  }
};

void property(std::string& out, std::string_view name, std::string_view value) {
  out += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", xml_escape(name), xml_escape(value));
}

/// started_at when it is an xs:dateTime JUnit readers accept, else nothing.
std::string timestamp_attr(const RunRecord& r) {
  static const std::regex iso(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)");
  if (!std::regex_match(r.started_at, iso)) return "";
  return fmt::format(" timestamp=\"{}\"", xml_escape(r.started_at));
}

void render_suite(std::string& out, const RunRecord& r, const std::vector<Case>& cases, std::size_t id) {
  Counts n;
  n.add(cases);
  const std::string name = r.scenario_name.empty() ? std::string("scenario") : r.scenario_name;
  out += fmt::format(
      "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\"{} "
      "hostname=\"{}\" id=\"{}\" package=\"faultline\">\n",
      xml_escape(name), n.tests, n.failures, n.errors, n.skipped, seconds(r.duration), timestamp_attr(r),
      xml_escape(r.host.empty() ? "localhost" : r.host), id);
  out += "    <properties>\n";
  property(out, "run_id", r.run_id);
  property(out, "seed", std::to_string(r.seed));
  property(out, "outcome", outcome_name(r.outcome));
  property(out, "exit_code", std::to_string(r.exit_code));
  property(out, "scenario_file", r.scenario_file);
  property(out, "scenario_digest", r.scenario_digest);
  property(out, "iterations_planned", std::to_string(iterations_planned(r)));
  property(out, "uncertainty", format_ms(max_uncertainty(r)));
  property(out, "faultline_version", r.faultline_version);
  property(out, "kernel", r.kernel);
  out += "    </properties>\n";
  const std::string classname = xml_escape("faultline." + name);
  for (const auto& c : cases) {
    out += fmt::format("    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"", xml_escape(c.name), classname,
                       seconds(c.time));
    if (c.kind == Case::Kind::passed && c.out.empty()) {
      out += "/>\n";
      continue;
    }
    out += ">\n";
    switch (c.kind) {
      case Case::Kind::skipped:
        out += fmt::format("      <skipped message=\"{}\"/>\n", xml_escape(c.message));
        break;
      case Case::Kind::error:
      case Case::Kind::failure:
        out += fmt::format("      <{} message=\"{}\" type=\"{}\">{}</{}>\n",
                           c.kind == Case::Kind::error ? "error" : "failure", xml_escape(c.message),
                           xml_escape(c.type), xml_escape(c.body), c.kind == Case::Kind::error ? "error" : "failure");
        break;
      case Case::Kind::passed: break;
    }
    if (!c.out.empty()) out += fmt::format("      <system-out>{}</system-out>\n", xml_escape(c.out));
    out += "    </testcase>\n";
  }
  out += fmt::format("    <system-out>{}</system-out>\n", xml_escape(render_console_summary(r, false)));
  out += "  </testsuite>\n";
}

std::string render_all(const std::vector<const RunRecord*>& runs) {
  std::vector<std::vector<Case>> all;
  Counts total;
  Nanos time{0};
  for (const RunRecord* r : runs) {
    all.push_back(cases_of(*r));
    total.add(all.back());
    time += r->duration;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"faultline\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" "
                     "time=\"{}\">\n",
                     total.tests, total.failures, total.errors, total.skipped, seconds(time));
  for (std::size_t i = 0; i < runs.size(); ++i) render_suite(out, *runs[i], all[i], i);
  out += "</testsuites>\n";
  return out;
}

}  // namespace

std::string render_junit(const std::vector<RunRecord>& runs) {
  std::vector<const RunRecord*> ptrs;
  for (const auto& r : runs) ptrs.push_back(&r);
  return render_all(ptrs);
}

std::string render_junit(const RunRecord& r) { return render_all({&r}); }

}  // namespace faultline
