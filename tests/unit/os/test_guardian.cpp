// The guardian on this machine (LocalShell stands in for a host): it reverts
// once when the controller says so, when its lease is not renewed (a hung
// controller: the event loop not run), at its duration cap, and at once
// when the controller's end of its stdin is closed (a SIGKILLed
// controller); renewals keep it; nothing of it is left running afterwards.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "../async_support.hpp"
#include "os/clock.hpp"
#include "os/fd.hpp"
#include "os/guardian.hpp"
#include "os/subprocess.hpp"

using namespace faultline;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using faultline::testing::run_sync;

namespace {

/// A scratch directory with the file a revert script appends to.
struct Scratch {
  fs::path dir;
  Scratch() {
    char tmpl[] = "/tmp/fl-guardian-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  ~Scratch() { fs::remove_all(dir); }
  fs::path marks() const { return dir / "reverted"; }
  /// How many times the revert script ran.
  int reverts() const {
    std::ifstream in(marks());
    int n = 0;
    for (std::string l; std::getline(in, l);) ++n;
    return n;
  }
  GuardianSpec spec(Nanos lease, Nanos cap = Nanos::zero()) const {
    GuardianSpec s;
    s.id = "test-" + dir.filename().string();
    s.revert = "echo once >> '" + marks().string() + "'";
    s.lease = lease;
    s.cap = cap;
    s.log = dir / "guardian.log";
    return s;
  }
};

/// Whether a process whose command line holds `marker` runs on this machine.
bool marker_running(const std::string& marker) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::ifstream in(e.path() / "cmdline");
    std::string cmd((std::istreambuf_iterator<char>(in)), {});
    if (cmd.find(marker) != std::string::npos && cmd.find("pgrep") == std::string::npos) return true;
  }
  return false;
}

/// Polls `pred` until it holds or `timeout` passes; returns how long it took, or nullopt.
template <typename Pred>
std::optional<Nanos> time_until(Pred pred, Nanos timeout) {
  const auto start = SteadyClock::now();
  while (!pred()) {
    if (SteadyClock::now() - start >= timeout) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
  return SteadyClock::now() - start;
}

}  // namespace

TEST_CASE("parse_guardian_end reads only its last line") {
  auto e = parse_guardian_end("reverted lease 0");
  REQUIRE(e);
  CHECK(e->reason == "lease");
  CHECK(e->revert_status == 0);
  CHECK(e->reverted());
  CHECK(parse_guardian_end("reverted controller 3")->revert_status == 3);
  CHECK_FALSE(parse_guardian_end("reverted controller 3")->reverted());
  CHECK_FALSE(parse_guardian_end("armed 42"));
  CHECK_FALSE(parse_guardian_end("reverted  0"));
  CHECK_FALSE(parse_guardian_end("reverted lease x"));
}

TEST_CASE("the script carries its marker, its lease and its revert script quoted") {
  GuardianSpec s;
  s.id = "run1-3";
  s.revert = "nft delete table inet 'fl x'";
  s.lease = 5s;
  s.cap = 1500ms;
  const auto text = guardian_script(s);
  CHECK(text.find(guardian_marker("run1-3")) != std::string::npos);
  CHECK(text.find("lease=500 cap=150") != std::string::npos);
  CHECK(text.find(shell_quote(s.revert)) != std::string::npos);
}

TEST_CASE("the controller's revert runs the revert script once and ends the guardian") {
  Scratch tmp;
  asio::io_context io;
  LocalShell here("h1");
  auto g = run_sync(io, Guardian::start(io.get_executor(), here, tmp.spec(2s), 5s));
  CHECK(g->remote_pid() > 0);
  CHECK(g->host() == "h1");
  CHECK(marker_running(guardian_marker(tmp.spec(2s).id)));
  CHECK(tmp.reverts() == 0);
  auto end = run_sync(io, g->revert(5s));
  CHECK(end.reason == "controller");
  CHECK(end.revert_status == 0);
  CHECK(tmp.reverts() == 1);
  CHECK_FALSE(marker_running(guardian_marker(tmp.spec(2s).id)));
  CHECK_FALSE(g->renew());
}

TEST_CASE("renewals keep the guardian past its lease") {
  Scratch tmp;
  asio::io_context io;
  LocalShell here;
  auto g = run_sync(io, Guardian::start(io.get_executor(), here, tmp.spec(600ms), 5s));
  io.restart();
  io.run_for(2s);  // more than three leases, renewed every 200 ms
  CHECK(tmp.reverts() == 0);
  auto end = run_sync(io, g->revert(5s));
  CHECK(end.reason == "controller");
  CHECK(tmp.reverts() == 1);
}

TEST_CASE("a hung controller: the guardian reverts on its own within lease + 1 s") {
  Scratch tmp;
  asio::io_context io;
  LocalShell here;
  const auto lease = 1s;
  auto g = run_sync(io, Guardian::start(io.get_executor(), here, tmp.spec(lease), 5s));
  // The event loop does not run: no renewal goes out, as in a SIGSTOPped harness.
  const auto took = time_until([&] { return tmp.reverts() > 0; }, 5s);
  REQUIRE(took);
  CHECK(*took <= lease + 1s);
  CHECK(time_until([&] { return !marker_running(guardian_marker(tmp.spec(lease).id)); }, 2s));
  // The controller's revert afterwards learns why, and reverts nothing twice.
  auto end = run_sync(io, g->revert(5s));
  CHECK(end.reason == "lease");
  CHECK(end.revert_status == 0);
  CHECK(tmp.reverts() == 1);
}

TEST_CASE("the duration cap ends the fault even while the lease is renewed") {
  Scratch tmp;
  asio::io_context io;
  LocalShell here;
  auto g = run_sync(io, Guardian::start(io.get_executor(), here, tmp.spec(5s, 700ms), 5s));
  const auto start = SteadyClock::now();
  io.restart();
  while (tmp.reverts() == 0 && SteadyClock::now() - start < 5s) io.run_for(50ms);
  CHECK(tmp.reverts() == 1);
  CHECK(SteadyClock::now() - start < 700ms + 1s);
  auto end = run_sync(io, g->revert(5s));
  CHECK(end.reason == "duration");
  CHECK(tmp.reverts() == 1);
}

TEST_CASE("a controller whose end of the pipe closes (SIGKILLed) is healed at once, nothing left") {
  Scratch tmp;
  asio::io_context io;
  int in[2];
  REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
  UniqueFd in_r(in[0]), in_w(in[1]);
  SpawnOptions opts;
  opts.argv = LocalShell().argv(guardian_script(tmp.spec(30s)));
  opts.in_fd = in_r.get();
  auto child = Child::spawn(io.get_executor(), opts);
  in_r.reset();
  CHECK(time_until([&] { return marker_running(guardian_marker(tmp.spec(30s).id)); }, 2s));
  // What the kernel does to a SIGKILLed controller's descriptors.
  in_w.reset();
  const auto took = time_until([&] { return tmp.reverts() > 0; }, 5s);
  REQUIRE(took);
  CHECK(*took < 1s);  // EOF reverts at once, not after the 30 s lease
  auto st = run_sync(io, child->wait());
  CHECK(st.success());
  // Neither the reader subshell nor a sleeper outlives it.
  CHECK(time_until([&] { return processes_in_group(child->pgid()).empty(); }, 1s));
  CHECK(tmp.reverts() == 1);
}

TEST_CASE("a failing revert script is reported with its status") {
  Scratch tmp;
  asio::io_context io;
  LocalShell here;
  auto spec = tmp.spec(2s);
  spec.revert = "echo cannot >&2; exit 3";
  auto g = run_sync(io, Guardian::start(io.get_executor(), here, spec, 5s));
  auto end = run_sync(io, g->revert(5s));
  CHECK(end.reason == "controller");
  CHECK(end.revert_status == 3);
  CHECK_FALSE(end.reverted());
  std::ifstream log(spec.log);
  std::string text((std::istreambuf_iterator<char>(log)), {});
  CHECK(text.find("cannot") != std::string::npos);
}

namespace {
/// A host whose shell cannot run anything (as when ssh cannot connect).
struct DeadShell final : RemoteShell {
  std::string name = "db9";
  const std::string& host() const override { return name; }
  std::vector<std::string> argv(const std::string&) const override { return {"/bin/sh", "-c", "echo refused; exit 255"}; }
};
}  // namespace

TEST_CASE("a guardian that cannot start is an error naming the host") {
  Scratch tmp;
  asio::io_context io;
  DeadShell dead;
  try {
    run_sync(io, Guardian::start(io.get_executor(), dead, tmp.spec(2s), 5s));
    FAIL("started");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    CHECK(what.find("host 'db9'") != std::string::npos);
    CHECK(what.find("exit 255") != std::string::npos);
    CHECK(what.find("refused") != std::string::npos);
  }
}
