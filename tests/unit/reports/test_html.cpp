// The HTML drill report: self-contained (no script, nothing fetched), one
// SVG timeline per iteration with the promised lanes, fault windows,
// episodes, relapse flags and recovery markers, and a headless Chromium
// render (Debian's chromium) to a PNG with no console message at all.
#include <doctest/doctest.h>

#include <regex>

#include "record/json_read.hpp"
#include "record/json_record.hpp"
#include "report_fixtures.hpp"
#include "reports/html.hpp"

using namespace faultline;
using fixtures::count;

namespace {


bool contains(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

/// The SVG of iteration `index`'s timeline.
std::string timeline_of(const std::string& html, int index) {
  const std::string open = "<svg class=\"timeline\" viewBox";
  const auto fig = html.find("<figure class=\"iteration\" id=\"iteration-" + std::to_string(index) + "\"");
  if (fig == std::string::npos) return "";
  const auto start = html.find(open, fig);
  return html.substr(start, html.find("</svg>", start) + 6 - start);
}

/// The <g class="lane"...> group of `probe` inside `svg`.
std::string lane_of(const std::string& svg, const std::string& probe) {
  const auto start = svg.find("data-probe=\"" + probe + "\"><text");
  if (start == std::string::npos) return "";
  return svg.substr(start, svg.find("</g>", start) - start);
}

}  // namespace

TEST_CASE("html: one self-contained file: no script, nothing to fetch, a policy that forbids fetching") {
  for (const auto& [name, record] : fixtures::all()) {
    const auto& fixture = name;  // clang 14 cannot capture a structured binding in doctest's message lambda
    CAPTURE(fixture);
    const std::string html = render_html(record);
    CHECK(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0) == 0);
    CHECK(contains(html, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"));
    CHECK_FALSE(contains(html, "<script"));
    CHECK_FALSE(contains(html, "<link"));
    CHECK_FALSE(contains(html, "<img"));
    CHECK_FALSE(contains(html, "@import"));
    CHECK_FALSE(contains(html, " src="));
    // The only URLs are the SVG namespace and in-page anchors.
    const std::regex url(R"((https?:|ftp:|file:|//)[^"' )<]*)");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), url); it != std::sregex_iterator(); ++it)
      CHECK(it->str() == "http://www.w3.org/2000/svg");
    CHECK(contains(html, "@media print"));
    CHECK(html.size() < 200'000);
  }
}

TEST_CASE("html: header with outcome and key figures, verdicts and metrics tables") {
  const std::string pass = render_html(fixtures::passing());
  CHECK(contains(pass, "<title>faultline: redis-kill-restart: PASS</title>"));
  CHECK(contains(pass, "<span class=\"badge pass\" id=\"outcome\">PASS</span>"));
  CHECK(contains(pass, "every threshold met (exit 0)"));
  CHECK(contains(pass, "<div class=\"value\">205.000 ms</div><div class=\"sub\">p50 160.000 ms, p95 250.000 ms, max 250.000 ms, n=2</div>"));
  CHECK(contains(pass, "<div class=\"value\">299.600 ms</div><div class=\"sub\">iteration 2, +/- 50.000 ms</div>"));
  CHECK(count(pass, "<tr class=\"verdict pass\"") == 5);
  CHECK(contains(pass, "<td>absorbed</td>"));
  // Probe latency before, during and after the fault: a row per iteration and probe.
  const auto lat = pass.find("<table class=\"latency-phases\">");
  REQUIRE(lat != std::string::npos);
  CHECK(count(pass.substr(lat, pass.find("</table>", lat) - lat), "<tr><td class=\"num\">") == 9);

  const std::string fail = render_html(fixtures::failing());
  CHECK(contains(fail, "<span class=\"badge fail\" id=\"outcome\">FAIL</span>"));
  CHECK(contains(fail, "<div class=\"value\">&gt; 1000.000 ms</div><div class=\"sub\">not recovered by the deadline</div>"));
  CHECK(count(fail, "<tr class=\"verdict fail\"") == 4);
  CHECK(contains(fail, "<td class=\"num bad\">&gt; 1000.000 ms</td>"));  // iteration 2's recovery time
  CHECK(contains(fail, "<td class=\"num\">not recovered</td>"));
  // Sections in reading order: verdicts, then the timelines, then the tables.
  CHECK(fail.find("id=\"verdicts\"") < fail.find("id=\"timelines\""));
  CHECK(fail.find("id=\"timelines\"") < fail.find("id=\"metrics\""));
}

TEST_CASE("html: availability's bracket in the run's table and on each iteration's figure") {
  using namespace std::chrono_literals;
  RunRecord r = fixtures::passing();
  REQUIRE_FALSE(r.iterations.empty());
  const Availability a{"combined", 95, 100, 100, 900ms, 100ms, 0ms, 20ms, 5ms};
  r.iterations[0].availability = {a};
  r.statistics.availability = {a};
  const std::string html = render_html(r);
  CHECK(contains(html, "<td class=\"num\">90.00 %</td><td class=\"num\">88.00 - 90.50 %</td>"));
  CHECK(contains(html, "<td class=\"num\" title=\"between 88.00 % and 90.50 %\">90.00 %</td>"));
}

TEST_CASE("html: a timeline per iteration: a lane per probe, fault windows, episodes, TTD/TTR, recovery markers") {
  const RunRecord r = fixtures::passing();
  const std::string html = render_html(r);
  CHECK(count(html, "<svg class=\"timeline\"") == 3);
  CHECK(count(html, "<svg class=\"latency-chart\"") == 3);
  CHECK(count(html, "<g class=\"lane\" data-probe=\"redis-ping\">") == 3);
  CHECK(count(html, "<g class=\"lane\" data-probe=\"redis-tcp\">") == 3);
  CHECK(count(html, "<g class=\"lane observed\" data-probe=\"http-observed\">") == 3);
  CHECK(count(html, "<polyline class=\"latency\" data-probe=\"redis-ping\"") == 3);
  CHECK(count(html, "<g class=\"fault-window\" data-fault=\"kill-redis\" data-kind=\"process.kill\">") == 3);
  CHECK(count(html, "<rect class=\"episode\"") == 2);  // the third iteration absorbed the fault
  CHECK(count(html, "<g class=\"recovery-marker\"") == 2);
  CHECK(count(html, "<g class=\"inject-marker\"") == 3);
  CHECK(count(html, "<g class=\"ttd\"") == 2);
  CHECK(count(html, "<g class=\"ttr\"") == 2);
  CHECK(count(html, "<g class=\"relapse\"") == 0);
  CHECK(count(html, "<g class=\"deadline-marker\"") == 0);
  CHECK(count(html, "fault absorbed: no failing sample") == 1);

  const std::string it1 = timeline_of(html, 1);
  // t_recover of iteration 1, exactly, and its label relative to t_inject.
  CHECK(contains(it1, "<g class=\"recovery-marker\" data-ns=\"" + std::to_string(r.iterations[0].t_recover->count()) + "\">"));
  CHECK(contains(it1, ">recovered +209.6 ms</text>"));
  CHECK(contains(it1, "<g class=\"ttd\" data-ns=\"49600000\">"));
  CHECK(contains(it1, ">TTR 160.000 ms</text>"));
  // Consecutive samples with the same outcome are one rect: ok, failing, ok.
  const std::string ping = lane_of(it1, "redis-ping");
  REQUIRE_FALSE(ping.empty());
  CHECK(count(ping, "<rect class=\"seg ") == 3);
  CHECK(contains(ping, "<rect class=\"seg fail\" data-samples=\"3\""));
  CHECK(contains(ping, "redis-ping: FAILED 3 samples from +49.600 ms to +199.600 ms: connection refused"));
  // Service events of the restart policy are on the timeline.
  CHECK(contains(it1, "<g class=\"service-event down\" data-service=\"redis\" data-what=\"exited\">"));
  CHECK(contains(it1, "<g class=\"service-event up\" data-service=\"redis\" data-what=\"ready\">"));
}

TEST_CASE("html: relapses are flagged, an unrecovered outage runs to the deadline marker, reverts are marked") {
  const std::string html = render_html(fixtures::failing());
  const std::string it1 = timeline_of(html, 1), it2 = timeline_of(html, 2);
  CHECK(count(it1, "<rect class=\"episode\"") == 2);
  CHECK(count(it1, "data-relapse=\"true\"") == 1);
  CHECK(count(it1, "<g class=\"relapse\"") == 1);
  CHECK(contains(it1, ">relapse</text>"));
  CHECK(count(it1, "<g class=\"ttr\"") == 2);  // the first outage and the relapse
  CHECK(count(it1, "<g class=\"revert-marker\"") == 1);
  CHECK(count(it1, "<g class=\"recovery-marker\"") == 1);
  CHECK(contains(it1, "<g class=\"fault-window\" data-fault=\"pause-redis\" data-kind=\"process.pause\">"));

  CHECK(count(it2, "<rect class=\"episode open\"") == 1);
  CHECK(contains(it2, "data-end-ns=\"\""));
  CHECK(contains(it2, ">not recovered</text>"));
  CHECK(count(it2, "<g class=\"deadline-marker\"") == 1);
  CHECK(contains(it2, ">deadline: not recovered</text>"));
  CHECK(count(it2, "<g class=\"recovery-marker\"") == 0);
  CHECK(count(it2, "<g class=\"ttr\"") == 0);
  CHECK(contains(html, "NOT recovered by the deadline: recovery time &gt; 1000.000 ms."));
}

TEST_CASE("html: a probe kept as runs draws exact transitions and run latency, the same from run.json") {
  const RunRecord r = fixtures::long_drill();
  const std::string html = render_html(r);
  // What `faultline report` draws from run.json (where the 1 ms probe is
  // kept as runs) is what the run drew from every sample.
  const RunRecord back = read_run_record(render_json(r));
  REQUIRE_FALSE(back.probes[0].runs.empty());
  CHECK(render_html(back) == html);

  const std::string it1 = timeline_of(html, 1);
  const std::string fast = lane_of(it1, "fast-tcp");
  REQUIRE_FALSE(fast.empty());
  // Runs with the same ok are one rect (refused, then reset: one failing
  // stretch), and every transition is where the sample that made it started.
  CHECK(count(fast, "<rect class=\"seg fail\"") == 3);
  CHECK(contains(fast, "<rect class=\"seg fail\" data-samples=\"300\""));
  CHECK(contains(fast, "fast-tcp: FAILED 300 samples from +9.600 ms to +309.600 ms: connection refused"));
  CHECK(contains(fast, "fast-tcp: FAILED 10 samples from +319.600 ms to +329.600 ms: connection refused"));
  CHECK(contains(fast, "fast-tcp: FAILED 100 samples from +409.600 ms to +509.600 ms: connection refused"));
  // The latency chart: p50 lines and ranges for the runs of the 1 ms probe, every sample of the 10 ms one.
  const auto chart = html.find("<svg class=\"latency-chart\"");
  const std::string latency = html.substr(chart, html.find("</svg>", chart) - chart);
  CHECK(count(latency, "<g class=\"latency-run\" data-samples=\"280\"") == 1);
  CHECK(contains(latency, "fast-tcp: FAILED 280 samples from +9.600 ms to +288.600 ms: latency min 0.800 ms, p50 0.800 ms, "
                          "max 0.800 ms"));
  CHECK(contains(latency, "run of equal outcome: p50, min..max"));
  CHECK(contains(latency, "<polyline class=\"latency\" data-probe=\"redis-ping\""));
  CHECK(contains(latency, "<polyline class=\"latency\" data-probe=\"fast-tcp\""));
  // The 10 ms probe is drawn sample by sample: no run summary of its own.
  const auto ping = latency.find("<g class=\"latency-probe\" data-probe=\"redis-ping\">");
  REQUIRE(ping != std::string::npos);
  CHECK_FALSE(contains(latency.substr(ping), "latency-run\" data-samples"));
  // Records that keep every sample have no run summary and no legend for it.
  const std::string passing = render_html(fixtures::passing());
  CHECK_FALSE(contains(passing, "<g class=\"latency-run\""));
  CHECK_FALSE(contains(passing, "run of equal outcome"));
}

TEST_CASE("html: a record of schema_version 1 renders, lanes and all") {
  const RunRecord v1 = read_run_record_file(fixtures::source_root() / "tests/fixtures/run-record-v1.json");
  const std::string html = render_html(v1);
  CHECK(count(html, "<svg class=\"timeline\"") == 2);
  CHECK(count(html, "<g class=\"lane\" data-probe=\"redis-ping\">") == 2);
  CHECK(count(html, "<g class=\"relapse\"") == 1);
  CHECK(contains(html, "(schema_version 1)"));
}

TEST_CASE("html: no iteration, interrupted and harness-error runs") {
  const std::string inc = render_html(fixtures::inconclusive());
  CHECK(contains(inc, "<span class=\"badge other\" id=\"outcome\">INCONCLUSIVE</span>"));
  CHECK(contains(inc, "steady state not met within 2s"));
  CHECK(contains(inc, "No iteration ran. The probe samples over the whole run:"));
  CHECK(count(inc, "<svg class=\"timeline\"") == 1);  // the run overview
  CHECK(count(inc, "<g class=\"lane\" data-probe=\"redis-ping\">") == 1);
  CHECK(count(inc, "<g class=\"recovery-marker\"") == 0);
  CHECK(count(inc, "<rect class=\"episode\"") == 0);
  CHECK(contains(inc, "time since the start of the run"));
  CHECK(contains(inc, "No threshold was judged."));

  const std::string intr = render_html(fixtures::interrupted());
  CHECK(contains(intr, ">INTERRUPTED</span>"));
  CHECK(contains(intr, "<div class=\"value\">1 / 3</div>"));
  CHECK(count(intr, "<svg class=\"timeline\"") == 1);
  const std::string unrun = render_html(fixtures::interrupted_before_verify());
  CHECK(contains(unrun, "<tr class=\"verdict not-run\" data-threshold=\"verify\">"));
  CHECK(contains(unrun, "<td class=\"result\">NOT RUN</td>"));

  const std::string harness = render_html(fixtures::harness_error());
  CHECK(contains(harness, ">HARNESS ERROR</span>"));
  CHECK(contains(harness, "<li class=\"error\">pause-redis: SIGSTOP process group 4242 (SIGCONT: No such process)</li>"));
  CHECK(contains(harness, "<g class=\"fault-window fault-failed\" data-fault=\"kill-redis\""));
  CHECK(contains(harness, "(NOT REVERTED)</text>"));

  RunRecord empty;
  empty.outcome = Outcome::inconclusive;
  CHECK(contains(render_html(empty), "No iteration ran and no probe sample was taken."));
}

TEST_CASE("html: record text is escaped everywhere") {
  RunRecord r = fixtures::failing();
  r.scenario_name = "<b>x</b>";
  r.probes[0].name = "p\"><script>alert(1)</script>";
  r.probes[0].samples[0].detail = "<&>";
  const std::string html = render_html(r);
  CHECK_FALSE(contains(html, "<script"));
  CHECK_FALSE(contains(html, "<b>x</b>"));
  CHECK(contains(html, "data-probe=\"p&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""));
}

TEST_CASE("html: renders in headless Chromium to a PNG with lanes, outages and markers, and no console message") {
  const std::string chromium = fixtures::find_chromium();
  if (chromium.empty() || !fixtures::have_program("python3")) {
    if (fixtures::tool_tests_skipped()) return;
    FAIL("chromium or python3 is missing (Debian packages chromium, python3): bash tests/install-deps.sh --tests");
  }
  fixtures::TempDir dir;

  // The check can fail: a page that tries to fetch under the same policy logs a console message.
  const auto bad = dir / "bad.html";
  fixtures::write_text(bad, "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" "
                            "content=\"default-src 'none'\"></head><body><img src=\"https://example.invalid/x.png\">"
                            "</body></html>");
  const auto bad_run = fixtures::headless_chromium(
      chromium, bad, dir.path, "--screenshot=" + fixtures::sh_quote((dir / "bad.png").string()) + " --window-size=400,300");
  INFO(bad_run.output);
  REQUIRE(bad_run.status == 0);
  CHECK_FALSE(fixtures::console_messages(bad_run.output).empty());

  for (const std::string name : {"failing", "inconclusive"}) {
    CAPTURE(name);
    const RunRecord r = name == "failing" ? fixtures::failing() : fixtures::inconclusive();
    const std::string html = render_html(r);
    const auto page = dir / (name + ".html");
    const auto png = dir / (name + ".png");
    fixtures::write_text(page, html);

    const auto shot = fixtures::headless_chromium(
        chromium, page, dir.path, "--screenshot=" + fixtures::sh_quote(png.string()) + " --window-size=1400,2000");
    INFO(shot.output);
    REQUIRE(shot.status == 0);
    CHECK(fixtures::console_messages(shot.output) == "");
    REQUIRE(std::filesystem::exists(png));
    CHECK(std::filesystem::file_size(png) > 50'000);  // a blank page is a few kB

    // What a person would see: the lanes' green and red, the recovery marker's blue.
    const auto stats = fixtures::png_stats(png);
    INFO(stats.output);
    REQUIRE(stats.read);
    CHECK(stats.width == 1400);
    CHECK(stats.height == 2000);
    CHECK(stats.colours > 200);
    CHECK(stats.ok > 2000);    // ok samples
    CHECK(stats.fail > 2000);  // failing samples
    if (name == "failing") CHECK(stats.recover > 100);  // the recovery marker of iteration 1

    // The DOM Chromium built holds the same lanes and markers as the text.
    const auto dom = fixtures::headless_chromium(chromium, page, dir.path, "--dump-dom");
    REQUIRE(dom.status == 0);
    CHECK(fixtures::console_messages(dom.output) == "");
    for (const char* cls : {"class=\"lane\"", "class=\"recovery-marker\"", "class=\"relapse\"", "class=\"fault-window",
                            "class=\"episode", "<polyline class=\"latency\""})
      CHECK_MESSAGE(count(dom.output, cls) == count(html, cls), cls);
  }

  // A record that keeps a probe as runs: its run summaries are valid SVG too.
  const std::string html = render_html(fixtures::long_drill());
  const auto page = dir / "long.html";
  fixtures::write_text(page, html);
  const auto dom = fixtures::headless_chromium(chromium, page, dir.path, "--dump-dom");
  INFO(dom.output.substr(0, 2000));
  REQUIRE(dom.status == 0);
  CHECK(fixtures::console_messages(dom.output) == "");
  REQUIRE(count(html, "<g class=\"latency-run\"") > 0);
  CHECK(count(dom.output, "<g class=\"latency-run\"") == count(html, "<g class=\"latency-run\""));
  CHECK(count(dom.output, "class=\"seg fail\"") == count(html, "class=\"seg fail\""));
}
