// Attach: the find scripts run for real under /bin/sh through LocalShell
// against processes this test starts (standing in for a host's daemons),
// and the parsing of what they print.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "os/procfs.hpp"
#include "os/remote_shell.hpp"
#include "os/spawn.hpp"
#include "system/attach.hpp"

using namespace faultline;
using namespace std::chrono_literals;

namespace {

/// A sleeping process with a distinctive command line, killed at the end.
struct Daemon {
  pid_t pid = -1;
  explicit Daemon(const std::string& seconds) {
    LaunchOptions o;
    o.argv = {"sleep", seconds};
    int err = 0;
    pid = launch_process(o, err);
    REQUIRE(pid > 0);
    // Until the child has exec'd, its command line is still this test's.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (read_proc_cmdline(pid).value_or("").rfind("sleep", 0) != 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(1ms);
  }
  ~Daemon() {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    child_reaped(pid);
  }
};

std::optional<AttachedProcess> find(const AttachSpec& a, std::string& why) {
  auto out = run_sync(LocalShell().argv(find_script(a)), 20s);
  return parse_found(a, out.output, why);
}

}  // namespace

TEST_CASE("attach by pid file: the pid and its start time, as /proc says") {
  Daemon d("301.25");
  const std::string file = "/tmp/faultline-attach-" + std::to_string(::getpid()) + ".pid";
  std::ofstream(file) << d.pid << "\n";
  std::string why;
  auto p = find({AttachKind::pidfile, file}, why);
  std::remove(file.c_str());
  REQUIRE_MESSAGE(p.has_value(), why);
  CHECK(p->pid == d.pid);
  CHECK(p->start_time == process_start_time(d.pid).value_or(1));
  CHECK_FALSE(find({AttachKind::pidfile, "/nonexistent/x.pid"}, why).has_value());
  CHECK(why == "no process found by pid file /nonexistent/x.pid");
}

TEST_CASE("attach by match: the single process whose command line matches, never the script itself") {
  Daemon d("302.5");
  std::string why;
  auto p = find({AttachKind::match, "^sleep 302\\.5$"}, why);
  REQUIRE_MESSAGE(p.has_value(), why);
  CHECK(p->pid == d.pid);
  CHECK(p->start_time == process_start_time(d.pid).value_or(1));
  // A pattern that only the finding script's own command line would contain.
  CHECK_FALSE(find({AttachKind::match, "no-such-daemon-7f3a"}, why).has_value());
  CHECK(why == "no process found by command line matching /no-such-daemon-7f3a/");
  Daemon twin("302.5");
  CHECK_FALSE(find({AttachKind::match, "^sleep 302\\.5$"}, why).has_value());
  CHECK(why.rfind("2 processes found by command line matching /^sleep 302\\.5$/ (it must name one):", 0) == 0);
}

TEST_CASE("attach by systemd: MainPID of the unit; restart goes through systemctl") {
  const AttachSpec a{AttachKind::systemd, "etcd.service"};
  CHECK(find_script(a).find("systemctl show -p MainPID --value 'etcd.service'") != std::string::npos);
  CHECK(supervisor_restart_script(a) == "systemctl restart 'etcd.service'\n");
  CHECK(supervisor_restart_script({AttachKind::pidfile, "/x"}).empty());
  CHECK(supervisor_restart_script({AttachKind::match, "x"}).empty());
  std::string why;
  auto p = parse_found(a, "1234 5678\n", why);
  REQUIRE(p.has_value());
  CHECK(p->pid == 1234);
  CHECK(p->start_time == 5678);
  CHECK_FALSE(parse_found(a, "", why).has_value());
  CHECK(why == "no process found by systemd unit etcd.service");
  CHECK(describe_attach({AttachKind::match, "a+"}) == "command line matching /a+/");
}
