#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "os/cleanup.hpp"
#include "os/procfs.hpp"
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
  Undo cont{Undo::Kind::sigcont, paused, process_start_time(paused).value(), true, {}, 1s, {}, {}, {}, {}};
  Undo cmd{Undo::Kind::command, 0, 0, true, {"touch", (dir / "reverted").string()}, 5s, {}, {}, {}, {}};
  Undo stale{Undo::Kind::sigcont, paused, process_start_time(paused).value() + 7, true, {}, 1s, {}, {}, {}, {}};  // not our process
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
  bad.faults = {{"0", "flip", "exec", "applied", Undo{Undo::Kind::command, 0, 0, true, {"false"}, 5s, {}, {}, {}, {}}}};
  save_ledger(bad);
  CleanupReport rb = cleanup_run(bad);
  CHECK_FALSE(rb.ok());
  CHECK(rb.failed[0].find("exit 1") != std::string::npos);
  CHECK_FALSE(bad.finished);
  CHECK(ledgers_in_state_dir().size() == 1);
  fs::remove_all(dir);
}
