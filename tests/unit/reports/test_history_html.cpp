// The history page: one recovery point and one MTTR point per run, failed
// runs marked, each label named once where it begins, links only to records
// the row still names, everything escaped.
#include <doctest/doctest.h>

#include "history_fixtures.hpp"
#include "reports/history_html.hpp"

using namespace faultline;
using fixtures::history_row;

namespace {

std::size_t count(const std::string& s, const std::string& needle) {
  std::size_t n = 0;
  for (auto i = s.find(needle); i != std::string::npos; i = s.find(needle, i + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("history html: one point per run and series, failed runs marked, labels once") {
  std::vector<RunRow> rows{history_row("r1", "drill", "v1", 1, {200ms}), history_row("r2", "drill", "v1", 2, {220ms}),
                           history_row("r3", "drill", "<v2>", 3, {std::nullopt}, false)};
  rows[1].record_path.clear();  // its record is gone
  const std::string page = render_history_html(rows, {}, false);
  CHECK(page.starts_with("<!DOCTYPE html>"));
  CHECK(count(page, "class=\"point recovery") == 3);
  CHECK(count(page, "class=\"point mttr") == 3);
  CHECK(count(page, " failed\"") == 2);  // r3's two points
  CHECK(count(page, "class=\"label-line\"") == 2);
  CHECK(page.find("&lt;v2&gt;") != std::string::npos);
  CHECK(page.find("<v2>") == std::string::npos);
  CHECK(count(page, "<a href=\"file:///runs/") == 4);  // r1 and r3, two points each
  CHECK(page.find("&gt; deadline") != std::string::npos);
  CHECK(page.find("<script") == std::string::npos);
}

TEST_CASE("history html: a run that measured nothing still has its point; findings are listed") {
  RunRow none = history_row("r1", "drill", "v1", 1, {});
  none.outcome = "inconclusive";
  const std::string page = render_history_html({none}, {{"flaky", "drill", "v1", "r1", "a & b"}}, true);
  CHECK(count(page, "class=\"point recovery") == 1);
  CHECK(page.find("<li><b>flaky</b>: a &amp; b</li>") != std::string::npos);
}

TEST_CASE("history html: an inconclusive run is marked as such, not as failed; the legend says so only then") {
  std::vector<RunRow> rows{history_row("r1", "drill", "v1", 1, {200ms}), history_row("r2", "drill", "v1", 2, {220ms}, false)};
  CHECK(render_history_html(rows, {}, false).find("inconclusive") == std::string::npos);
  rows[1].outcome = "inconclusive";
  const std::string page = render_history_html(rows, {}, false);
  CHECK(count(page, " failed\"") == 0);
  CHECK(count(page, "class=\"point recovery inconclusive\"") == 1);
  CHECK(count(page, "class=\"point mttr inconclusive\"") == 1);
  CHECK(page.find(".inconclusive{") != std::string::npos);
  CHECK(page.find("inconclusive: neither passed nor failed") != std::string::npos);
  CHECK(page.find("<td>inconclusive</td>") != std::string::npos);
  // The same page, handed on in pieces.
  std::string pieces;
  int calls = 0;
  render_history_html_to([&](std::string_view p) { pieces.append(p), ++calls; }, rows, {}, false);
  CHECK(pieces == page);
  CHECK(calls >= 1);
}
