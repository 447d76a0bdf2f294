// The Markdown summary: the outcome in words, one row per iteration with
// "> deadline" for no recovery and the uncertainty beside each figure, MTTR
// with its distribution, availability, the verdict table, and escaping that
// keeps record text from breaking a table or injecting HTML.
#include <doctest/doctest.h>

#include "report_fixtures.hpp"
#include "reports/markdown.hpp"

using namespace faultline;

namespace {

bool contains(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

/// The lines of `md` that are table rows.
std::vector<std::string> table_rows(const std::string& md) {
  std::vector<std::string> rows;
  std::size_t start = 0;
  while (start < md.size()) {
    auto end = md.find('\n', start);
    if (end == std::string::npos) end = md.size();
    const std::string line = md.substr(start, end - start);
    if (line.rfind("| ", 0) == 0) rows.push_back(line);
    start = end + 1;
  }
  return rows;
}

/// Cells of a table row, split on unescaped '|'.
std::size_t cells(const std::string& row) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < row.size(); ++i)
    if (row[i] == '|' && (i == 0 || row[i - 1] != '\\')) ++n;
  return n - 1;
}

}  // namespace

TEST_CASE("markdown: a passing run: PASS, per-iteration figures with uncertainty, MTTR p50/p95/max/n, verdicts") {
  const std::string md = render_markdown(fixtures::passing());
  CHECK(md.rfind("## faultline: redis-kill-restart: PASS\n\n**PASS**: every threshold met (exit 0).\n", 0) == 0);
  CHECK(contains(md, "Run `20261122-120102-3fa2c1`, seed 42, 3 of 3 iteration(s) run, 6.100 s"));
  CHECK(contains(md, "| Iteration | Impact | TTD | TTR | Recovery time | Relapses | Uncertainty |"));
  CHECK(contains(md, "| 1 | yes | 49.600 ms | 160.000 ms | 209.600 ms | 0 | ± 50.000 ms |"));
  CHECK(contains(md, "| 3 | absorbed | - | - | 0.000 ms | 0 | ± 50.000 ms |"));
  CHECK(contains(md, "- **MTTR** 205.000 ms (p50 160.000 ms, p95 250.000 ms, max 250.000 ms, n = 2 episode(s))"));
  CHECK(contains(md, "- **Recurrence** 0 relapse(s), rate 0.00"));
  CHECK(contains(md, "| **combined** |"));
  CHECK(contains(md, "| Threshold | Measured | Limit | Margin | Result | Detail |"));
  CHECK(contains(md, "| rto | 299.600 ms | 2000.000 ms | +1700.400 ms | PASS | worst: iteration 2 |"));
  CHECK_FALSE(contains(md, "FAIL"));
  CHECK(contains(md, "<details><summary>Probe latency before, during and after the fault</summary>"));
  CHECK(contains(md, "| Iteration | Probe | Before | During | After |"));
  CHECK(contains(md, "| 3 | http-observed | "));
  // No emoji or other pictographs: plain words only.
  CHECK(md.find('\xF0') == std::string::npos);  // no 4-byte UTF-8 character (emoji)
}

TEST_CASE("markdown: a failing run: FAIL, '> deadline' for no recovery, relapses, failing verdicts") {
  const std::string md = render_markdown(fixtures::failing());
  CHECK(md.rfind("## faultline: redis-pause: FAIL\n\n**FAIL**: a recovery objective was missed (exit 1).\n", 0) == 0);
  CHECK(contains(md, "| 1 | yes | 49.600 ms | 150.000 ms | 199.600 ms | 1 | ± 50.000 ms |"));
  CHECK(contains(md, "| 2 | yes | 49.600 ms | not recovered | \\> 1000.000 ms | 0 | ± 50.000 ms |"));
  CHECK(contains(md, "  - 1 episode(s) not recovered"));
  CHECK(contains(md, "- **Recurrence** 1 relapse(s), rate 0.50"));
  CHECK(contains(md, "| rto | \\> 1000.000 ms | 500.000 ms | - | **FAIL** | not recovered within 1000.000 ms in iteration 2 |"));
  CHECK(contains(md, "| max\\_recurrence | 1 | 0 | -1 | **FAIL** | worst: iteration 1 |"));
  CHECK(contains(md, "| verify no-acked-write-lost | 0/1 iterations passed | all iterations | - | **FAIL** |"));
  CHECK(contains(md, "<details><summary>Fault events (2)</summary>"));
  CHECK(contains(md, "| 1 | pause-redis | process.pause | redis | 1500.300 ms | 1650.200 ms | ok |"));
}

TEST_CASE("markdown: runs with no iteration, interrupted runs and harness errors say so") {
  const std::string inc = render_markdown(fixtures::inconclusive());
  CHECK(contains(inc, "**INCONCLUSIVE**: the clone did not start or steady state was not met (exit 3)."));
  CHECK(contains(inc, "**Error:** steady state not met within 2s: redis-ping failing (connection refused)"));
  CHECK(contains(inc, "0 of 3 iteration(s) run"));
  CHECK(contains(inc, "No iteration ran, so nothing was measured."));
  CHECK(contains(inc, "No threshold was judged."));
  CHECK_FALSE(contains(inc, "| Iteration |"));

  const std::string intr = render_markdown(fixtures::interrupted());
  CHECK(contains(intr, "## faultline: redis-kill-restart: INTERRUPTED"));
  CHECK(contains(intr, "1 of 3 iteration(s) run"));
  CHECK(contains(intr, "(exit 130)"));
  const std::string unrun = render_markdown(fixtures::interrupted_before_verify());
  CHECK(contains(unrun, "| not run | all iterations | - | NOT RUN | never ran (no iteration reached verify) |"));
  CHECK_FALSE(contains(unrun, "**FAIL**"));

  const std::string harness = render_markdown(fixtures::harness_error());
  CHECK(contains(harness, "**HARNESS ERROR**: a fault could not be applied or reverted (exit 4)."));
  CHECK(contains(harness, "### Left behind"));
  CHECK(contains(harness, "- pause-redis: SIGSTOP process group 4242 (SIGCONT: No such process)"));
  CHECK(contains(harness, "| **failed**: SIGCONT: No such process |"));
}

TEST_CASE("markdown: every table row has as many cells as its header") {
  for (const auto& [name, record] : fixtures::all()) {
    const auto& fixture = name;  // clang 14 cannot capture a structured binding in doctest's message lambda
    CAPTURE(fixture);
    RunRecord r = record;
    if (!r.verdicts.empty()) r.verdicts[0].detail = "a | b <script>alert(1)</script> `x` *y*\nsecond line";
    const auto rows = table_rows(render_markdown(r));
    std::size_t expected = 0;
    for (const auto& row : rows) {
      CAPTURE(row);
      if (row.find("---") != std::string::npos) continue;  // the delimiter row
      const bool header = row.find("| Iteration") == 0 || row.find("| Probe") == 0 || row.find("| Threshold") == 0;
      if (header) expected = cells(row);
      CHECK(cells(row) == expected);
    }
  }
}

TEST_CASE("markdown: record text cannot break the table or inject HTML") {
  CHECK(markdown_escape("a | b") == "a \\| b");
  CHECK(markdown_escape("<script>") == "\\<script\\>");
  CHECK(markdown_escape("line1\nline2") == "line1 line2");
  CHECK(markdown_escape("*bold* _it_ `code` [l](u) ~s~ #h & $x$") ==
        "\\*bold\\* \\_it\\_ \\`code\\` \\[l\\](u) \\~s\\~ \\#h \\& \\$x\\$");
  CHECK(markdown_escape("bell\x07") == "bell");
  RunRecord r = fixtures::passing();
  r.scenario_name = "x</details><img src=y>";
  const std::string md = render_markdown(r);
  CHECK(contains(md, "## faultline: x\\</details\\>\\<img src=y\\>: PASS"));
  // Every '<' that is not part of the report's own <details> block is escaped.
  for (std::size_t p = md.find('<'); p != std::string::npos; p = md.find('<', p + 1))
    CHECK((md[p - 1] == '\\' || md.compare(p, 9, "<details>") == 0 || md.compare(p, 10, "</details>") == 0 ||
           md.compare(p, 9, "<summary>") == 0 || md.compare(p, 10, "</summary>") == 0));
}

TEST_CASE("markdown: the runbook and the data loss at a glance") {
  const std::string md = render_markdown(fixtures::failover());
  CHECK(md.find("### Runbook") != std::string::npos);
  CHECK(md.find("'promote replica' (detect) at 1650.000 ms, took 250.000 ms, exit 0: ok") != std::string::npos);
  CHECK(md.find("'repoint' (inject + 5000.000 ms) did not run: not triggered") != std::string::npos);
  CHECK(md.find("time to mitigate 150.000 ms, runbook duration 250.000 ms") != std::string::npos);
  CHECK(md.find("### Data loss") != std::string::npos);
  CHECK(md.find("60 writes, 52 acknowledged, 2 lost spanning 78.000 ms (recovery point)") != std::string::npos);
  CHECK(md.find("during the fault 12 writes, 8 errors (66.7 %), latency p50 4.000 ms p99 90.000 ms") != std::string::npos);
  CHECK(md.find("max\\_data\\_loss") != std::string::npos);
  // Without runbook or workload, neither section appears.
  const std::string plain = render_markdown(fixtures::passing());
  CHECK(plain.find("### Runbook") == std::string::npos);
  CHECK(plain.find("### Data loss") == std::string::npos);
}
