// The live console view: its state follows the runner's reports, its
// rendering is a pure function of that state (checked as text: phase,
// iteration, countdowns, health strips, elapsed time, colour or none, never
// wider than the terminal nor taller than it), and LiveConsole redraws it in
// place with events scrolling above. The end-to-end check on a real terminal
// is tests/integration/test_live.cpp.
#include <doctest/doctest.h>

#include <cstdio>

#include "run/live_view.hpp"

using namespace faultline;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

/// Display columns of a rendered line: escape sequences take none.
std::size_t visible_columns(const std::string& line) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\033') {
      while (i < line.size() && line[i] != 'm') ++i;
      continue;
    }
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) ++n;
  }
  return n;
}

RunRecord record() {
  RunRecord r;
  r.scenario_name = "redis-kill-restart";
  r.run_id = "20261122-120102-3fa2c1";
  r.scenario.iterations = 3;
  ProbeSpec ping;
  ping.name = "redis-ping";
  ProbeSpec web;
  web.name = "web";
  web.steady_state = false;
  ProbeSpec late;
  late.name = "late";
  r.scenario.probes = {ping, web, late};
  return r;
}

Sample sample(bool ok, std::string detail = "") { return Sample{0ms, 1ms, ok, std::move(detail)}; }

/// Iteration 2, observing, one fault held and one kill; redis-ping failing after 30 ok samples.
LiveState observing() {
  LiveState s;
  s.begin(record());
  s.enter_phase(2000ms, 2, "fault timeline", std::nullopt, "");
  s.fault_applied(2100ms, 4, "pause-redis (process.pause redis)", 3700ms);
  s.fault_applied(2200ms, 5, "kill-redis (process.kill redis)", std::nullopt);
  s.enter_phase(2300ms, 2, "observing recovery", 7200ms, "deadline");
  for (int i = 0; i < 30; ++i) s.add_sample(0, sample(true));
  for (int i = 0; i < 5; ++i) s.add_sample(0, sample(false, "connection refused"));
  for (int i = 0; i < 12; ++i) s.add_sample(1, sample(true));
  s.now = 2500ms;
  return s;
}

}  // namespace

TEST_CASE("live view: phase, iteration, fault countdowns, health strips and elapsed time, as text") {
  LiveStyle style;
  style.width = 100;
  const std::string text = join(render_live_view(observing(), style));
  const std::string ok = "\u2584", fail = "\u2588";
  std::string ping_strip = std::string(5, ' ');
  for (int i = 0; i < 30; ++i) ping_strip += ok;
  for (int i = 0; i < 5; ++i) ping_strip += fail;
  std::string web_strip = std::string(28, ' ');
  for (int i = 0; i < 12; ++i) web_strip += ok;
  const std::string header = "faultline  redis-kill-restart  run 20261122-120102-3fa2c1";  // 57 columns
  const std::string expected =
      header + std::string(100 - 57 - 13, ' ') + "elapsed 2.5 s\n"  // right-aligned to 100 columns
      "iteration 2/3  observing recovery, deadline in 4.7 s\n"
      "fault    reverts in 1.2 s      pause-redis (process.pause redis)\n"
      "fault    injected 0.3 s ago    kill-redis (process.kill redis), nothing to revert\n"
      "probes               last samples, newest right                now\n"
      "         redis-ping  " + ping_strip + "  FAILING: connection refused\n"
      "         web         " + web_strip + "  ok (observed)\n"
      "         late        " + std::string(40, ' ') + "  no sample yet\n";
  CHECK(text == expected);
  CHECK_FALSE(contains(text, "\033"));  // no colour unless asked for
}

TEST_CASE("live view: before the first iteration, with nothing applied, and past a countdown") {
  LiveState s;
  s.begin(record());
  s.enter_phase(0ms, 0, "starting the clone", std::nullopt, "");
  const auto lines = render_live_view(s, LiveStyle{});
  REQUIRE(lines.size() >= 3);
  CHECK(lines[1] == "starting the clone");
  CHECK(lines[2] == "fault    none applied");
  // A countdown that has run out is not shown; an overdue revert says "reverting".
  LiveState late = observing();
  late.now = 8000ms;
  const auto l = render_live_view(late, LiveStyle{});
  CHECK(l[1] == "iteration 2/3  observing recovery");
  CHECK(contains(l[2], "reverting"));
}

TEST_CASE("live view: colour paints ok green, failing red, faults yellow; the shapes differ without it") {
  LiveStyle style;
  style.color = true;
  style.width = 120;
  const std::string text = join(render_live_view(observing(), style));
  CHECK(contains(text, "\033[32m\u2584"));
  CHECK(contains(text, "\033[31m\u2588"));
  CHECK(contains(text, "\033[31mFAILING\033[0m: connection refused"));
  CHECK(contains(text, "\033[33;1mpause-redis (process.pause redis)\033[0m"));
  CHECK(contains(text, "\033[1mfaultline  redis-kill-restart"));
}

TEST_CASE("live view: never wider than the terminal, never taller; cut colour is reset") {
  for (bool color : {false, true}) {
    CAPTURE(color);
    LiveStyle style;
    style.color = color;
    style.width = 40;
    for (const auto& line : render_live_view(observing(), style)) {
      CAPTURE(line);
      CHECK(visible_columns(line) <= 40);
      if (color && contains(line, "\033[")) CHECK(line.ends_with("\033[0m"));
    }
  }
  LiveState many;
  RunRecord r = record();
  r.scenario.probes.clear();
  for (int i = 0; i < 30; ++i) {
    ProbeSpec p;
    p.name = "probe-" + std::to_string(i);
    r.scenario.probes.push_back(p);
  }
  many.begin(r);
  LiveStyle small;
  small.height = 12;
  const auto lines = render_live_view(many, small);
  CHECK(lines.size() == 11);
  CHECK(lines.back() == "         ... and 24 more probe(s)");
}

TEST_CASE("live view: fit_columns counts characters, not bytes or escape sequences") {
  CHECK(fit_columns("abcdef", 3) == "abc");
  CHECK(fit_columns("abc", 3) == "abc");
  CHECK(fit_columns("\u2584\u2584\u2584\u2584", 2) == "\u2584\u2584");
  CHECK(fit_columns("\033[32mabcdef\033[0m", 2) == "\033[32mab\033[0m");
  CHECK(fit_columns("\033[1mab\033[0m", 2) == "\033[1mab\033[0m");
  CHECK(fit_columns("", 0) == "");
}

TEST_CASE("live state: strips keep the last samples; faults leave on revert or with their iteration") {
  LiveState s = observing();
  for (int i = 0; i < 100; ++i) s.add_sample(0, sample(true));
  CHECK(s.probes[0].recent.size() == kStripLength);
  CHECK(s.probes[0].samples == 135);
  CHECK(s.probes[0].failing_detail.empty());
  s.add_sample(7, sample(true));  // an unknown probe is ignored
  REQUIRE(s.faults.size() == 2);
  s.fault_reverted(3700ms, 4);
  REQUIRE(s.faults.size() == 1);
  CHECK(s.faults[0].id == 5);
  s.enter_phase(3800ms, 2, "cool-down", 4300ms, "ends");
  CHECK(s.faults.size() == 1);  // the kill belongs to this iteration still
  s.enter_phase(4300ms, 3, "steady-state gate", 34300ms, "gives up");
  CHECK(s.faults.empty());
  CHECK(s.now == 4300ms);
}

TEST_CASE("live console: events scroll above the view, which is erased and redrawn in place, and gone at the end") {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  REQUIRE(out);
  REQUIRE(err);
  auto read_all = [](std::FILE* f) {
    std::fflush(f);
    std::rewind(f);
    std::string s;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) s.append(buf, n);
    return s;
  };
  {
    LiveConsole c(false, out, err);
    CHECK(c.refresh_interval() > Nanos{0});
    c.begin(record());
    c.phase(10ms, 0, "starting the clone", std::nullopt, "");
    c.event(60ms, "clone ready");
    c.sample(0, sample(true));
    c.event(70ms, "another");
    c.tick(100ms);
    c.warning(120ms, "something odd");
    c.end(150ms);
    CHECK(c.state().probes[0].samples == 1);
  }
  const std::string o = read_all(out);
  // Not a terminal: 80 columns, 24 lines; the view is 7 lines (header, phase,
  // fault, probe header, three probes).
  const std::string erase = "\033[7A\r\033[J";
  // Nothing is drawn before the first event line (never from the top-left corner).
  CHECK(o.starts_with("[    0.060 s] clone ready\nfaultline  redis-kill-restart"));
  CHECK(contains(o, erase + "faultline  redis-kill-restart"));
  CHECK(contains(o, erase + "[    0.070 s] another\nfaultline  redis-kill-restart"));
  CHECK(contains(o, "elapsed 0.1 s"));
  CHECK(o.ends_with(erase));  // the end erases the view: the summary follows the event lines
  CHECK(read_all(err) == "[    0.120 s] something odd\n");
  std::fclose(out);
  std::fclose(err);
}
