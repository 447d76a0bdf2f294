#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iterator>

#include "os/cleanup.hpp"
#include "os/procfs.hpp"
#include "os/run_mount.hpp"
#include "os/saved_copy.hpp"
#include "os/subprocess.hpp"

using namespace faultline;
namespace fs = std::filesystem;

namespace {

/// A stopped child in its own process group, as a paused service would be.
pid_t stopped_group_leader() {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::pause();
    ::_exit(0);
  }
  ::setpgid(pid, pid);
  ::kill(pid, SIGSTOP);
  int status = 0;
  ::waitpid(pid, &status, WUNTRACED);
  return pid;
}

}  // namespace

TEST_CASE("cleanup: resumes a paused group, runs revert commands, kills the clone, resolves the ledger") {
  std::string tmpl = (fs::temp_directory_path() / "faultline-cleanup-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()));
  const fs::path dir = tmpl;
  ::setenv("FAULTLINE_STATE_DIR", (dir / "state").c_str(), 1);

  const pid_t paused = stopped_group_leader();
  REQUIRE(process_state(paused) == 'T');
  Ledger l;
  l.run_id = "dead";
  l.run_dir = (dir / "run").string();
  l.harness_pid = 1;
  l.processes = {{"svc", paused, process_start_time(paused).value()}};
  Undo cont{Undo::Kind::sigcont, paused, process_start_time(paused).value(), true, {}, 1s, {}, {}, {}, {}, {}, {}};
  Undo cmd{Undo::Kind::command, 0, 0, true, {"touch", (dir / "reverted").string()}, 5s, {}, {}, {}, {}, {}, {}};
  Undo stale{Undo::Kind::sigcont, paused, process_start_time(paused).value() + 7, true, {}, 1s, {}, {}, {}, {}, {}, {}};  // not our process
  l.faults = {{"0", "freeze", "process.pause", "applied", cont},
              {"1", "flip", "exec", "applying", cmd},
              {"2", "old", "process.pause", "reverted", stale}};
  save_ledger(l);

  CleanupReport r = cleanup_run(l);
  CHECK(r.ok());
  CHECK(fs::exists(dir / "reverted"));
  CHECK(l.finished);
  CHECK(ledgers_in_state_dir().empty());
  int status = 0;
  REQUIRE(::waitpid(paused, &status, 0) == paused);  // killed by the cleanup
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  REQUIRE(r.done.size() == 3);  // resume, revert command, kill

  // A failing revert command is reported and keeps the ledger unresolved.
  Ledger bad;
  bad.run_id = "bad";
  bad.run_dir = (dir / "run2").string();
  bad.faults = {{"0", "flip", "exec", "applied", Undo{Undo::Kind::command, 0, 0, true, {"false"}, 5s, {}, {}, {}, {}, {}, {}}}};
  save_ledger(bad);
  CleanupReport rb = cleanup_run(bad);
  CHECK_FALSE(rb.ok());
  CHECK(rb.failed[0].find("exit 1") != std::string::npos);
  CHECK_FALSE(bad.finished);
  CHECK(ledgers_in_state_dir().size() == 1);
  fs::remove_all(dir);
}

TEST_CASE("cleanup: a run's host is cleaned with its recorded command; a failing one is reported; the control directory goes") {
  std::string tmpl = (fs::temp_directory_path() / "faultline-cleanup-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()));
  const fs::path dir = tmpl;
  ::setenv("FAULTLINE_STATE_DIR", (dir / "state").c_str(), 1);
  // A local shell stands in for `ssh HOST /bin/sh -c SCRIPT`.
  fs::create_directories(dir / "on-host" / "pids");
  std::string ctl = "/tmp/flssh-XXXXXX";
  REQUIRE(::mkdtemp(ctl.data()));
  Ledger l;
  l.run_id = "hosts";
  l.run_dir = (dir / "run").string();
  l.harness_pid = 1;
  l.hosts = {{"h1", (dir / "on-host").string(), {"sh", "-c", "rm -rf \"$0\" && ! test -e \"$0\"", (dir / "on-host").string()}}};
  l.ssh_control_dir = ctl;
  save_ledger(l);
  CleanupReport r = cleanup_run(l);
  CHECK(r.ok());
  CHECK_FALSE(fs::exists(dir / "on-host"));
  CHECK_FALSE(fs::exists(ctl));
  REQUIRE(r.done.size() == 1);
  CHECK(r.done[0] == "host 'h1': the run's services stopped, " + (dir / "on-host").string() + " removed");
  CHECK(l.finished);

  // A host that cannot be reached keeps the ledger unresolved, with ssh's last word.
  Ledger bad;
  bad.run_id = "unreachable";
  bad.run_dir = (dir / "run2").string();
  bad.hosts = {{"h2", "/tmp/faultline-unreachable", {"sh", "-c", "echo 'ssh: connect to host h2 port 22: No route to host' >&2; exit 255"}}};
  save_ledger(bad);
  CleanupReport rb = cleanup_run(bad);
  CHECK_FALSE(rb.ok());
  REQUIRE(rb.failed.size() == 1);
  CHECK(rb.failed[0] == "host 'h2': /tmp/faultline-unreachable (exit 255: ssh: connect to host h2 port 22: No route to host)");
  CHECK_FALSE(bad.finished);
  fs::remove_all(dir);
}

TEST_CASE("cleanup: restores saved originals and removes fillers after the processes, then unmounts the run's mounts") {
  std::string tmpl = (fs::temp_directory_path() / "faultline-cleanup-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()));
  const fs::path dir = tmpl;
  ::setenv("FAULTLINE_STATE_DIR", (dir / "state").c_str(), 1);
  fs::create_directories(dir / "svc");
  { std::ofstream(dir / "svc" / "a.aof") << "the original bytes"; }
  save_copy(dir / "svc" / "a.aof", dir / "saved" / "event-0" / "a.aof");
  { std::ofstream(dir / "svc" / "a.aof") << "damaged"; }
  { std::ofstream(dir / "svc" / "filler") << "xxxx"; }
  Ledger l;
  l.run_id = "files";
  l.run_dir = (dir / "run").string();
  l.harness_pid = 1;
  Undo restore;
  restore.kind = Undo::Kind::restore;
  restore.path = (dir / "svc" / "a.aof").string();
  restore.saved = (dir / "saved" / "event-0" / "a.aof").string();
  Undo never;  // in the ledger, but inject died before the copy existed: nothing to restore
  never.kind = Undo::Kind::restore;
  never.path = (dir / "svc" / "untouched").string();
  never.saved = (dir / "saved" / "event-9" / "untouched").string();
  Undo filler;
  filler.kind = Undo::Kind::remove;
  filler.path = (dir / "svc" / "filler").string();
  l.faults = {{"0", "cut", "file.corrupt", "applied", restore},
              {"1", "never", "file.corrupt", "applying", never},
              {"2", "fill", "disk.full", "applied", filler}};
  const bool root = ::geteuid() == 0;
  if (root) {
    fs::create_directories(dir / "mnt");
    l.mounts = {(dir / "mnt").string()};
    mount_run_tmpfs(dir / "mnt", 1 << 20);
    REQUIRE(is_mount_point(dir / "mnt"));
  }
  save_ledger(l);
  CleanupReport r = cleanup_run(l);
  INFO(fmt::format("{}", fmt::join(r.failed, "\n")));
  CHECK(r.ok());
  std::ifstream in(dir / "svc" / "a.aof");
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "the original bytes");
  CHECK_FALSE(fs::exists(dir / "svc" / "filler"));
  CHECK_FALSE(fs::exists(dir / "svc" / "untouched"));
  CHECK_FALSE(fs::exists(dir / "saved" / "event-0" / "a.aof"));  // dropped once restored
  if (root) CHECK_FALSE(is_mount_point(dir / "mnt"));
  CHECK(l.finished);
}

TEST_CASE("cleanup: clock.skew's control files and their directory are removed; already gone is fine") {
  const fs::path dir = fs::temp_directory_path() / ("faultline-cleanup-clock-" + std::to_string(::getpid()));
  fs::create_directories(dir / "run" / "clock");
  ::setenv("FAULTLINE_STATE_DIR", (dir / "state").c_str(), 1);
  const fs::path control = dir / "run" / "clock" / "svc.faketime";
  std::FILE* f = std::fopen(control.c_str(), "w");
  REQUIRE(f);
  std::fputs("+172800 x1\n", f);
  std::fclose(f);
  Ledger l;
  l.run_id = "clock";
  l.run_dir = (dir / "run").string();
  l.harness_pid = 1;
  l.control_files = {control.string(), (dir / "run" / "clock" / "gone.faketime").string()};
  save_ledger(l);
  CleanupReport r = cleanup_run(l);
  CHECK(r.ok());
  CHECK_FALSE(fs::exists(control));
  CHECK_FALSE(fs::exists(dir / "run" / "clock"));
  REQUIRE(r.done.size() == 1);
  CHECK(r.done[0] == "clock.skew: 2 control file(s) removed");
  CHECK(l.finished);
  ::unsetenv("FAULTLINE_STATE_DIR");
  fs::remove_all(dir);
}
