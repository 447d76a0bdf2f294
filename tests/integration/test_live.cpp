// The console as a person sees it, on a real terminal: faultline runs in a
// tmux pane (a pseudo-terminal of 120 x 40), and the screen is read with
// `tmux capture-pane`. No sleep decides when to look: the scenario's exec
// fault captures the pane from its own revert command, i.e. while the fault
// is still held and the live view shows it, and the test waits on a tmux
// channel that the pane signals when faultline has exited.
//
//   live on a terminal   the view (phase, iteration, fault countdown, health
//                        strips, elapsed) redrawn in place, coloured, and
//                        erased at the end so the summary follows the events
//   NO_COLOR             the same view without colour
//   CI set               plain timestamped lines, no view, no colour
//   --quiet              the summary only
#include <doctest/doctest.h>

#include <unistd.h>

#include "../unit/report_fixtures.hpp"
#include "harness.hpp"

namespace fs = std::filesystem;
using fixtures::run_command;
using fixtures::sh_quote;
using itest::read_file;
using itest::TempDir;
using itest::write_file;

namespace {

bool has(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

/// Fails (or, with FAULTLINE_SKIP_TOOL_TESTS=1, skips) when tmux is missing.
bool tmux_present() {
  if (fixtures::have_program("tmux")) return true;
  if (!fixtures::tool_tests_skipped()) FAIL("tmux is missing: bash tests/install-deps.sh --tests");
  return false;
}

/// A tmux server of our own (its own socket), killed at the end.
struct Tmux {
  std::string socket = "faultline-live-" + std::to_string(::getpid());
  fs::path conf;
  explicit Tmux(const TempDir& dir) : conf(dir / "tmux.conf") {
    // Panes stay after their command exits, so that the last screen can be read.
    write_file(conf, "set -g remain-on-exit on\nset -g history-limit 5000\n");
  }
  ~Tmux() { run_command("tmux -L " + socket + " kill-server"); }
  std::string tmux() const { return "tmux -L " + socket + " -f " + sh_quote(conf.string()) + " "; }

  /// Runs `command` in a new 120 x 40 session; returns once the command has
  /// signalled the channel `name` (it must end with `tmux wait-for -S name`).
  fixtures::CommandResult run(const std::string& name, const std::string& command) const {
    auto started = run_command(tmux() + "new-session -d -x 120 -y 40 -s " + name + " " + sh_quote(command));
    if (started.status != 0) return started;
    return run_command("timeout 120 " + tmux() + "wait-for " + name);
  }
  /// The whole pane, scrollback included.
  std::string screen(const std::string& session) const {
    return run_command(tmux() + "capture-pane -p -S - -t " + session).output;
  }
};

/// One iteration against the flaky server: an exec fault held for 1 s whose
/// revert saves the screen (plain and with colour sequences) into the run dir.
std::string scenario() {
  return fmt::format(R"(name = "live"
iterations = 1
steady_for = "200ms"
watch = "100ms"
give_up_after = "5s"
[[service]]
name = "app"
command = ["{server}", "--port", "{{port.app}}", "--mode", "refuse"]
ports = ["app"]
[service.ready]
kind = "tcp"
port = "{{port.app}}"
[[probe]]
name = "http"
kind = "http"
port = "{{port.app}}"
interval = "50ms"
[[fault]]
name = "hold"
kind = "exec"
apply = ["true"]
revert = ["sh", "-c", "tmux capture-pane -p -t \"$TMUX_PANE\" > '{{run.dir}}/screen.txt' && tmux capture-pane -p -e -t \"$TMUX_PANE\" > '{{run.dir}}/screen-e.txt'"]
at = "100ms"
duration = "1s"
)",
                     fmt::arg("server", itest::flaky_server_bin()));
}

/// The pane's command: faultline with `env` and `args`, its exit code saved, then the channel signalled.
std::string pane_command(const TempDir& dir, const std::string& name, const std::string& env, const std::string& args) {
  return fmt::format("cd {} && env -u CI -u NO_COLOR TERM=xterm-256color {} {} run live.toml --out {} {}; echo $? > {}.exit; "
                     "tmux wait-for -S {}",
                     sh_quote(dir.path.string()), env, sh_quote(itest::faultline_bin()), name, args, name, name);
}

/// Runs the pane `name` and returns the name of the run the test judges: a
/// run that ended inconclusive (exit 3) with harness stalls in its record
/// saw nothing to judge (as itest::faultline_judged) and is run once more
/// as `name`-again.
std::string live_run(const Tmux& t, const TempDir& dir, const std::string& name, const std::string& env,
                     const std::string& args) {
  const auto done = t.run(name, pane_command(dir, name, env, args));
  INFO(done.output);
  REQUIRE(done.status == 0);
  if (read_file(dir / (name + ".exit")) != "3\n" || !fs::exists(dir / name / "run.json")) return name;
  const auto rec = itest::read_json(dir / name / "run.json");
  const auto* stalls = rec.as_object().if_contains("stalls");
  if (rec.at("outcome").as_string() != "inconclusive" || !stalls || stalls->as_array().empty()) return name;
  MESSAGE(name << ": inconclusive with the harness starved; run once more");
  const std::string again = name + "-again";
  REQUIRE(t.run(again, pane_command(dir, again, env, args)).status == 0);
  return again;
}

}  // namespace

TEST_CASE("live: on a terminal the view is redrawn in place, coloured, and gives way to the summary") {
  if (!tmux_present()) return;
  TempDir dir;
  write_file(dir / "live.toml", scenario());
  Tmux t(dir);
  const std::string run1 = live_run(t, dir, "run1", "", "");
  CHECK(read_file(dir / (run1 + ".exit")) == "0\n");

  // While the fault was held: every part of the view.
  const std::string held = read_file(dir / run1 / "screen.txt");
  INFO("screen while the fault was held:\n" << held);
  CHECK(has(held, "faultline  live  run "));
  CHECK(has(held, "elapsed "));
  CHECK(has(held, "iteration 1/1  fault timeline"));
  CHECK((has(held, "fault    reverts in ") || has(held, "fault    reverting")));
  CHECK(has(held, "hold (exec)"));
  CHECK(has(held, "\u2584\u2584\u2584\u2584"));  // the http probe's ok samples
  CHECK(has(held, "  ok\n"));
  CHECK(has(held, "] inject hold: "));  // the event lines scroll above the view
  const std::string colored = read_file(dir / run1 / "screen-e.txt");
  CHECK(has(colored, "\033[32m"));

  // After the run: the events, then the summary; the view is gone.
  const std::string after = t.screen(run1);
  INFO("screen after the run:\n" << after);
  CHECK(has(after, "] inject hold: "));
  CHECK(has(after, "] revert hold"));
  CHECK(has(after, "live: PASSED (exit 0)"));
  CHECK_FALSE(has(after, "elapsed "));
  CHECK_FALSE(has(after, "last samples, newest right"));
  CHECK(after.find("] revert hold") < after.find("live: PASSED"));
}

TEST_CASE("live: NO_COLOR keeps the view without colour; CI gives plain lines; --quiet the summary only") {
  if (!tmux_present()) return;
  TempDir dir;
  write_file(dir / "live.toml", scenario());
  Tmux t(dir);

  const std::string nocolor = live_run(t, dir, "nocolor", "NO_COLOR=1", "");
  const std::string plain_view = read_file(dir / nocolor / "screen-e.txt");
  INFO("NO_COLOR:\n" << plain_view);
  CHECK(has(plain_view, "iteration 1/1  fault timeline"));
  CHECK(has(plain_view, "\u2584"));
  CHECK_FALSE(has(plain_view, "\033[3"));  // no foreground colour at all

  const std::string ci_run = live_run(t, dir, "ci", "CI=true", "");
  const std::string ci = read_file(dir / ci_run / "screen-e.txt");
  INFO("CI:\n" << ci);
  CHECK(has(ci, "[    0.000 s] run "));
  CHECK(has(ci, "] inject hold: "));
  CHECK_FALSE(has(ci, "elapsed "));
  CHECK_FALSE(has(ci, "\033["));
  CHECK(has(t.screen(ci_run), "live: PASSED (exit 0)"));

  const std::string quiet = live_run(t, dir, "quiet", "", "--quiet");
  CHECK(read_file(dir / (quiet + ".exit")) == "0\n");
  const std::string quiet_held = read_file(dir / quiet / "screen.txt");
  INFO("--quiet:\n" << quiet_held);
  CHECK_FALSE(has(quiet_held, "elapsed "));
  CHECK_FALSE(has(quiet_held, "inject hold"));
  const std::string quiet_after = t.screen(quiet);
  CHECK(has(quiet_after, "live: PASSED (exit 0)"));
  CHECK_FALSE(has(quiet_after, "] inject hold"));
}
