// The wording and escaping every report shares: outcome words, "> deadline"
// for an iteration that did not recover, verdict names, relative times, and
// XML escaping that always yields valid UTF-8 without forbidden characters.
#include <doctest/doctest.h>

#include "record/partial_record.hpp"
#include "report_fixtures.hpp"
#include "reports/console.hpp"
#include "reports/html.hpp"
#include "reports/junit.hpp"
#include "reports/markdown.hpp"
#include "reports/report_text.hpp"

using namespace faultline;

TEST_CASE("report_text: a line per link that corrupted data, none otherwise") {
  RunRecord r = fixtures::failing();
  LinkStats quiet, damaged;
  quiet.name = "a";
  quiet.bytes_upstream = 10;
  damaged.name = "repl";
  damaged.bytes_upstream = 100;
  damaged.bytes_downstream = 2000;
  damaged.corrupted_downstream = 7;
  r.links = {quiet};
  CHECK(link_damage_lines(r).empty());
  r.links = {quiet, damaged};
  const auto lines = link_damage_lines(r);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "link 'repl': 0 byte(s) corrupted upstream (of 100), 7 downstream (of 2000)");
}

namespace {

/// A run whose service came back but served damaged data: its integrity
/// check failed in iteration 2, after a permanent file.corrupt.
RunRecord served_damaged_data() {
  RunRecord r = fixtures::failing();
  StepOutcome intact, damaged, other;
  intact.phase = damaged.phase = other.phase = "verify";
  intact.name = damaged.name = "rows intact";
  intact.integrity = damaged.integrity = true;
  intact.iteration = 1;
  intact.ok = true;
  damaged.iteration = 2;
  damaged.exit_code = 1;
  damaged.output = "count 0, expected 1000\nmore";
  other.name = "log";
  other.iteration = 1;
  other.ok = true;
  r.steps.push_back(intact);
  r.steps.push_back(damaged);
  r.steps.push_back(other);
  FaultEvent f;
  f.iteration = 2;
  f.fault = "zero-control";
  f.kind = "file.corrupt";
  f.target = "db";
  DataDamage d;
  d.path = "data/global/pg_control";
  d.mode = "zero";
  d.files = 1;
  d.bytes_changed = 512;
  d.offsets = {"pg_control@0"};
  d.permanent = true;
  f.damage = d;
  r.faults.push_back(f);
  r.verdicts.push_back(Verdict{"integrity", "rows intact", false, "1/2 iterations intact", "all iterations", "",
                               "the data served was not intact in iteration 2: exit 1: count 0, expected 1000"});
  return r;
}

}  // namespace

TEST_CASE("report_text: integrity checks beside data loss, one line per run; other verify steps are not listed") {
  const auto lines = integrity_lines(served_damaged_data());
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "iteration 1: integrity check 'rows intact': intact");
  CHECK(lines[1] == "iteration 2: integrity check 'rows intact': NOT INTACT (exit 1) - count 0, expected 1000");
  CHECK(integrity_lines(fixtures::failing()).empty());
  CHECK(verdict_name(served_damaged_data().verdicts.back()) == "integrity rows intact");
}

TEST_CASE("report_text: what each data fault did: mode, path, bytes changed, cut or added, offsets") {
  RunRecord r = served_damaged_data();
  auto lines = fault_damage_lines(r);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] ==
        "iteration 2: 'zero-control' (file.corrupt) on db: zero data/global/pg_control: 512 byte(s) changed in 1 "
        "file(s) at pg_control@0 (permanent)");
  DataDamage& d = *r.faults.back().damage;
  d = DataDamage{};
  d.path = "a.aof";
  d.mode = "truncate";
  d.files = 1;
  d.bytes_cut = 13;
  d.offsets = {"a.aof@100", "a.aof@200"};
  d.offsets_truncated = true;
  lines = fault_damage_lines(r);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "iteration 2: 'zero-control' (file.corrupt) on db: truncate a.aof: 13 byte(s) cut in 1 file(s) at "
                    "a.aof@100, a.aof@200, ...");
  d = DataDamage{};
  d.mode = "flip";
  d.path = "x";
  d.files = 1;
  d.bits = 3;
  d.bytes_changed = 2;
  CHECK(fault_damage_lines(r).at(0).find("flip x: 3 bit(s) flipped, 2 byte(s) changed in 1 file(s)") != std::string::npos);
  CHECK(fault_damage_lines(fixtures::failing()).empty());
}

TEST_CASE("reports: the integrity verdict and the data damage in the console, Markdown, JUnit and HTML") {
  const RunRecord r = served_damaged_data();
  const std::string console = render_console_summary(r, false);
  CHECK(console.find("data integrity") != std::string::npos);
  CHECK(console.find("NOT INTACT (exit 1)") != std::string::npos);
  CHECK(console.find("data damaged by faults") != std::string::npos);
  CHECK(console.find("FAIL  integrity 'rows intact'") != std::string::npos);
  CHECK(console.find("the data served was not intact in iteration 2") != std::string::npos);
  const std::string md = render_markdown(r);
  CHECK(md.find("### Data integrity") != std::string::npos);
  CHECK(md.find("### Data damaged by faults") != std::string::npos);
  CHECK(md.find("| integrity rows intact |") != std::string::npos);
  const std::string junit = render_junit(r);
  CHECK(junit.find("name=\"integrity rows intact\"") != std::string::npos);
  CHECK(junit.find("type=\"integrity\"") != std::string::npos);
  const std::string html = render_html(r);
  CHECK(html.find("Data integrity") != std::string::npos);
  CHECK(html.find("Data damaged by faults") != std::string::npos);
  CHECK(html.find("data-threshold=\"integrity\"") != std::string::npos);
}

TEST_CASE("report_text: outcome words and meanings") {
  CHECK(outcome_word(Outcome::passed) == "PASS");
  CHECK(outcome_word(Outcome::failed) == "FAIL");
  CHECK(outcome_word(Outcome::inconclusive) == "INCONCLUSIVE");
  CHECK(outcome_word(Outcome::harness_error) == "HARNESS ERROR");
  CHECK(outcome_word(Outcome::interrupted) == "INTERRUPTED");
  CHECK(outcome_word(Outcome::usage_error) == "USAGE ERROR");
  CHECK(outcome_meaning(Outcome::failed) == "a recovery objective was missed");
}

TEST_CASE("report_text: a partial record never reads as concluded, and counts the iterations that ended") {
  const RunRecord live = fixtures::strategies();
  CHECK(outcome_meaning(live) == outcome_meaning(live.outcome));
  CHECK(iterations_run(live) == live.iterations.size());
  const RunRecord p = make_partial_record(live, 3);
  CHECK(outcome_meaning(p).starts_with("the harness ended before concluding"));
  CHECK(outcome_meaning(p).find("after every fault was reverted") == std::string::npos);
  CHECK(iterations_run(p) == 3);
  CHECK(iterations_planned(live) == live.iteration_strategies.size());
  CHECK(iterations_planned(fixtures::passing()) == static_cast<std::size_t>(fixtures::passing().scenario.iterations));
}

TEST_CASE("report_text: recovery time is a figure, 0 when absorbed, '> deadline' when not recovered") {
  const RunRecord p = fixtures::passing();
  CHECK(recovery_text(p, p.iterations[0]) == "209.600 ms");
  CHECK(impact_text(p.iterations[0]) == "yes");
  CHECK(recovery_text(p, p.iterations[2]) == "0.000 ms");
  CHECK(impact_text(p.iterations[2]) == "absorbed");
  const RunRecord f = fixtures::failing();
  CHECK(recovery_text(f, f.iterations[1]) == "> 1000.000 ms");
  CHECK(max_uncertainty(f) == Nanos(50ms));
  CHECK(ms_or_dash(std::nullopt) == "-");
  CHECK(ms_or_dash(Nanos(1'234'567)) == "1.235 ms");
}

TEST_CASE("report_text: relative times and verdict names") {
  CHECK(relative_ms(Nanos(1'500'000), 1) == "+1.5 ms");
  CHECK(relative_ms(Nanos(-200'000'000), 0) == "-200 ms");
  CHECK(relative_ms(Nanos(-10'000), 1) == "0.0 ms");  // rounds to zero: no sign
  CHECK(relative_ms(Nanos(0), 0) == "0 ms");
  Verdict v;
  v.threshold = "rto";
  v.scope = "run";
  CHECK(verdict_name(v) == "rto");
  v.scope = "iteration 2";
  CHECK(verdict_name(v) == "rto (iteration 2)");
  v.threshold = "verify";
  v.scope = "no-acked-write-lost";
  CHECK(verdict_name(v) == "verify no-acked-write-lost");
}

TEST_CASE("report_text: a phase's latency is p50 / p99 with the count, '-' without ok samples") {
  CHECK(latency_text(LatencySummary{}) == "-");
  CHECK(latency_text(LatencySummary{40, Nanos(3'120'000), Nanos(9'800'000)}) == "3.120 / 9.800 ms (n=40)");
}

TEST_CASE("report_text: combined availability only when samples were taken") {
  CHECK_FALSE(combined_availability({}).has_value());
  CHECK_FALSE(combined_availability({{"combined", 0, 0}}).has_value());
  const auto a = combined_availability({{"p", 1, 2}, {"combined", 3, 4}});
  REQUIRE(a.has_value());
  CHECK(a->percent() == doctest::Approx(75.0));
}

TEST_CASE("report_text: availability with its bracket where the samples leave room, and the unknown time") {
  using namespace std::chrono_literals;
  Availability a{"combined", 95, 100, 100, 900ms, 100ms, 0ms};
  CHECK(availability_text(a) == "90.00 % of the observed time, 95.00 % of 100 ticks ok");
  a.up_uncertain = 20ms;
  a.down_uncertain = 5ms;
  a.unknown = 35ms;
  CHECK(availability_text(a) ==
        "90.00 % of the observed time, between 88.00 % and 90.50 % (35.000 ms unknown), 95.00 % of 100 ticks ok");
}

TEST_CASE("report_text: the latency tables only when an iteration has a latency summary") {
  RunRecord r = fixtures::passing();
  CHECK_FALSE(any_latency(fixtures::inconclusive()));
  for (auto& m : r.iterations) m.latency.clear();
  CHECK_FALSE(any_latency(r));
  r.iterations.back().latency.push_back({"p", {}, {}, {}});
  CHECK(any_latency(r));
}

TEST_CASE("report_text: xml_escape escapes markup, keeps UTF-8, replaces what XML forbids") {
  CHECK(xml_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;");
  CHECK(xml_escape("tab\tnl\ncr\r") == "tab\tnl\ncr\r");
  CHECK(xml_escape("bell\x07") == "bell\xEF\xBF\xBD");
  CHECK(xml_escape(std::string("nul\0x", 5)) == "nul\xEF\xBF\xBDx");
  CHECK(xml_escape("caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80") == "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80");
  CHECK(xml_escape("\xEF\xBF\xBE") == "\xEF\xBF\xBD");  // U+FFFE is not an XML character
}

TEST_CASE("report_text: valid_utf8 replaces every ill-formed sequence with U+FFFD") {
  const std::string r = "\xEF\xBF\xBD";
  CHECK(valid_utf8("plain") == "plain");
  CHECK(valid_utf8("\xC3(") == r + "(");              // a lead byte without its continuation
  CHECK(valid_utf8("\x80") == r);                     // a lone continuation byte
  CHECK(valid_utf8("\xC0\xAF") == r + r);             // overlong encoding
  CHECK(valid_utf8("\xED\xA0\x80") == r + r + r);     // a surrogate
  CHECK(valid_utf8("\xF4\x90\x80\x80") == r + r + r + r);  // beyond U+10FFFF
  CHECK(valid_utf8("\xE2\x9C") == r);                 // truncated at the end
  CHECK(valid_utf8("ok \xF0\x9F\x98\x80") == "ok \xF0\x9F\x98\x80");
}

TEST_CASE("report_text: figures with their brackets, every episode and injection, the harness's warnings") {
  CHECK(figure_text(1807ms, Bracket{1350ms, 1810ms}, 100ms) == "1807.000 ms, between 1350.000 ms and 1810.000 ms");
  CHECK(figure_text(1807ms, Bracket{1750ms, 1850ms}, 100ms) == "1807.000 ms +/- 100.000 ms");
  CHECK(figure_text(std::nullopt, std::nullopt, 100ms) == "-");

  const RunRecord r = fixtures::starved();
  const auto episodes = episode_lines(r);
  // The first injection's outage, the relapse after the action, the second injection's outage.
  REQUIRE(episodes.size() == 3);
  CHECK(episodes[0].find("iteration 1 episode 1 after 'kill-redis (1/2)'") == 0);
  CHECK(episodes[1].find("iteration 1 episode 2 RELAPSE after 'kill-redis (1/2)'") == 0);
  CHECK(episodes[2].find("iteration 1 episode 3 after 'kill-redis (2/2)'") == 0);
  const auto injections = injection_lines(r);
  REQUIRE(injections.size() == 3);
  CHECK(injections[0].find("iteration 1 injection 'kill-redis (1/2)'") == 0);
  CHECK(injections[1].find("iteration 1 injection 'kill-redis (2/2)'") == 0);
  CHECK(injections[2].find("iteration 1 action 'write-key'") == 0);
  const auto warnings = harness_warnings(r);
  REQUIRE(warnings.size() == 2);
  CHECK(warnings[0].find("did not run on schedule 1 time(s), 400.000 ms in all") != std::string::npos);
  CHECK(warnings[1].find("1 sample(s) were decided by the harness") != std::string::npos);
  CHECK(harness_warnings(fixtures::passing()).empty());

  // A span of stalls (record/stall_spans.hpp) counts each of its stalls and
  // their time, and names its longest one within the span.
  RunRecord spans = r;
  spans.stalls.push_back(HarnessStall{Nanos(5'000'000'000), Nanos(6'000'000'000), "p", 40, 120ms, 9ms});
  const auto span_warnings = harness_warnings(spans);
  REQUIRE(!span_warnings.empty());
  CHECK(span_warnings[0].find("did not run on schedule 41 time(s), 520.000 ms in all; the longest 400.000 ms from") !=
        std::string::npos);
  spans.stalls[1].longest = 500ms;
  spans.stalls[1].stalled = 600ms;
  CHECK(harness_warnings(spans)[0].find("the longest 500.000 ms within 40 stalls from 5000.000 ms to 6000.000 ms "
                                        "(probe 'p')") != std::string::npos);
}

TEST_CASE("report_text: an iteration no trustworthy sample showed an impact in is 'unknown', never 'absorbed'") {
  RunRecord p = fixtures::passing();
  IterationMetrics& m = p.iterations[2];
  REQUIRE(!m.impact);
  m.undetermined = true;
  CHECK(impact_text(m) == "unknown");
}

TEST_CASE("reports: a verify no iteration reached is NOT RUN in the console, never FAIL") {
  const std::string console = render_console_summary(fixtures::interrupted_before_verify(), false);
  INFO(console);
  CHECK(console.find("NOT RUN  verify 'data intact'") != std::string::npos);
  CHECK(console.find("never ran (no iteration reached verify)") != std::string::npos);
  CHECK(console.find("FAIL  verify") == std::string::npos);
}
