#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "os/ledger.hpp"
#include "os/procfs.hpp"

using namespace faultline;
namespace fs = std::filesystem;

namespace {
struct StateDir {
  fs::path path;
  StateDir() {
    std::string tmpl = (fs::temp_directory_path() / "faultline-ledger-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()));
    path = tmpl;
    ::setenv("FAULTLINE_STATE_DIR", (path / "state").c_str(), 1);
  }
  ~StateDir() { fs::remove_all(path); }
};

Ledger sample(const fs::path& run_dir) {
  Ledger l;
  l.run_id = "r1";
  l.scenario = "demo";
  l.run_dir = run_dir.string();
  l.harness_pid = ::getpid();
  l.harness_start_time = process_start_time(::getpid()).value();
  l.watchdog_pid = 42;
  l.processes = {{"redis", 1234, 99}};
  Undo cont;
  cont.kind = Undo::Kind::sigcont;
  cont.pid = 1234;
  cont.start_time = 99;
  cont.group = false;
  Undo cmd;
  cmd.kind = Undo::Kind::command;
  cmd.argv = {"sh", "-c", "echo 'quoted \"x\"'"};
  cmd.timeout = 5s;
  Undo table;
  table.kind = Undo::Kind::nft_table;
  table.netns = "fl-abc123";
  table.table = "faultline_abc123_2";
  Undo qdisc;
  qdisc.kind = Undo::Kind::qdisc;
  qdisc.qdiscs = {{"fl-abc123", "flabc123h0"}, {"fl-abc123-b", "flabc123n0"}};
  l.faults = {{"0", "freeze", "process.pause", "applied", cont},
              {"1", "flip", "exec", "applying", cmd},
              {"2", "split", "net.partition", "applied", table},
              {"3", "slow", "net.bandwidth", "applied", qdisc}};
  l.network_tag = "abc123";
  return l;
}
}  // namespace

TEST_CASE("ledger: JSON round trip keeps every field") {
  StateDir d;
  const Ledger l = sample(d.path);
  const Ledger back = ledger_from_json(ledger_to_json(l));
  CHECK(ledger_to_json(back) == ledger_to_json(l));
  CHECK(back.faults[1].undo.argv[2] == "echo 'quoted \"x\"'");
  CHECK(back.faults[0].undo.kind == Undo::Kind::sigcont);
  CHECK_FALSE(back.faults[0].undo.group);
  CHECK(back.watchdog_pid == 42);
  CHECK(back.network_tag == "abc123");
  CHECK(back.faults[2].undo.kind == Undo::Kind::nft_table);
  CHECK(back.faults[2].undo.table == "faultline_abc123_2");
  CHECK(back.faults[3].undo.qdiscs.at(1).second == "flabc123n0");
  CHECK_THROWS_WITH_AS(ledger_from_json("{\"ledger_version\": 1}"), doctest::Contains("malformed ledger"),
                       std::runtime_error);
}

TEST_CASE("ledger: a run's hosts and its control directory round trip; a ledger without them writes neither") {
  StateDir d;
  Ledger l = sample(d.path);
  CHECK(ledger_to_json(l).find("\"hosts\"") == std::string::npos);
  CHECK(ledger_to_json(l).find("ssh_control_dir") == std::string::npos);
  l.hosts = {{"h1", "/tmp/faultline-r1", {"ssh", "-o", "BatchMode=yes", "--", "10.0.0.1", "/bin/sh -c 'rm -rf x'"}},
             {"h2", "/tmp/faultline-r1", {}}};
  l.ssh_control_dir = "/tmp/flssh-abc";
  const Ledger back = ledger_from_json(ledger_to_json(l));
  CHECK(ledger_to_json(back) == ledger_to_json(l));
  REQUIRE(back.hosts.size() == 2);
  CHECK(back.hosts[0].host == "h1");
  CHECK(back.hosts[0].run_dir == "/tmp/faultline-r1");
  CHECK(back.hosts[0].cleanup.back() == "/bin/sh -c 'rm -rf x'");
  CHECK(back.ssh_control_dir == "/tmp/flssh-abc");
}

TEST_CASE("ledger: a malformed ledger names the field that is wrong") {
  StateDir d;
  std::string text = ledger_to_json(sample(d.path));
  const std::string key = "\"harness_pid\":";
  text.insert(text.find(key) + key.size(), "\"x\",\"was\":");
  CHECK_THROWS_WITH_AS(ledger_from_json(text), "malformed ledger: harness_pid: expected an integer, found a string",
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(ledger_from_json("{\"ledger_version\": 2}"), "malformed ledger: ledger_version: unknown ledger_version",
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(ledger_from_json("not json"), doctest::Contains("malformed ledger: not valid JSON"),
                       std::runtime_error);
}

TEST_CASE("ledger: a ledger written before namespace mode reads with no network") {
  StateDir d;
  Ledger l = sample(d.path);
  l.faults.resize(2);
  std::string text = ledger_to_json(l);
  for (const std::string key : {"\"network_tag\":\"abc123\",", ",\"netns\":\"\"", ",\"table\":\"\"", ",\"qdiscs\":[]"})
    for (auto at = text.find(key); at != std::string::npos; at = text.find(key)) text.erase(at, key.size());
  REQUIRE(text.find("network_tag") == std::string::npos);
  REQUIRE(text.find("qdiscs") == std::string::npos);
  const Ledger back = ledger_from_json(text);
  CHECK(back.network_tag.empty());
  CHECK(back.faults[1].undo.argv.size() == 3);
}

TEST_CASE("ledger: saved to the run directory and the state directory; finishing removes the latter") {
  StateDir d;
  Ledger l = sample(d.path / "run");
  save_ledger(l);
  CHECK(fs::exists(d.path / "run" / "ledger.json"));
  CHECK(fs::exists(state_dir() / "r1.json"));
  auto found = ledgers_in_state_dir();
  REQUIRE(found.size() == 1);
  CHECK(found[0].second.run_id == "r1");
  CHECK(found[0].second.harness_alive());  // it is us
  finish_ledger(l);
  CHECK(ledgers_in_state_dir().empty());
  std::ifstream in(d.path / "run" / "ledger.json");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(ledger_from_json(text).finished);
}

TEST_CASE("ledger: a recorded harness that is gone is not alive; a broken file is reported, not fatal") {
  StateDir d;
  Ledger l = sample(d.path / "run");
  l.harness_start_time += 1;  // the same pid, another process
  CHECK_FALSE(l.harness_alive());
  fs::create_directories(state_dir());
  std::ofstream(state_dir() / "broken.json") << "{not json";
  std::vector<std::string> errors;
  CHECK(ledgers_in_state_dir(&errors).empty());
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("broken.json") != std::string::npos);
}

TEST_CASE("ledger: a crash-safe save is read back like a durable one; finishing removes a killed writer's temporary") {
  StateDir d;
  Ledger l = sample(d.path / "run");
  save_ledger(l);
  l.faults[0].state = "reverted";
  save_ledger(l, Durability::crash_safe);
  auto found = ledgers_in_state_dir();
  REQUIRE(found.size() == 1);
  CHECK(found[0].second.faults[0].state == "reverted");
  // What a harness SIGKILLed in the middle of a save leaves beside the ledger.
  const pid_t dead = ::fork();
  REQUIRE(dead >= 0);
  if (dead == 0) ::_exit(0);
  int status = 0;
  REQUIRE(::waitpid(dead, &status, 0) == dead);
  const fs::path torn = state_dir() / (".r1.json.tmp" + std::to_string(dead));
  std::ofstream(torn) << "{\"ledger_ver";
  finish_ledger(l);
  CHECK_FALSE(fs::exists(torn));
  CHECK(fs::is_empty(state_dir()));
}

TEST_CASE("ledger: a restore, a removal and the run's mounts round trip; a ledger without mounts writes none") {
  StateDir d;
  Ledger l = sample(d.path);
  CHECK(ledger_to_json(l).find("\"mounts\"") == std::string::npos);
  Undo restore;
  restore.kind = Undo::Kind::restore;
  restore.path = "/run/x/services/redis/appendonlydir";
  restore.saved = "/run/x/saved/event-3/appendonlydir";
  Undo remove;
  remove.kind = Undo::Kind::remove;
  remove.path = "/run/x/services/redis/.faultline-fill";
  l.faults.push_back({"3", "cut", "file.corrupt", "applying", restore});
  l.faults.push_back({"4", "fill", "disk.full", "applied", remove});
  l.mounts = {"/run/x/services/redis"};
  const Ledger back = ledger_from_json(ledger_to_json(l));
  CHECK(ledger_to_json(back) == ledger_to_json(l));
  CHECK(back.faults.at(4).undo.kind == Undo::Kind::restore);
  CHECK(back.faults.at(4).undo.saved == "/run/x/saved/event-3/appendonlydir");
  CHECK(back.faults.at(5).undo.kind == Undo::Kind::remove);
  CHECK(back.mounts == std::vector<std::string>{"/run/x/services/redis"});
}

TEST_CASE("ledger: clock.skew's control files round trip; a ledger without them writes none") {
  StateDir d;
  Ledger l = sample(d.path);
  CHECK(ledger_to_json(l).find("control_files") == std::string::npos);
  l.control_files = {"/run/r1/clock/gateway.faketime", "/run/r1/clock/db.faketime"};
  const Ledger back = ledger_from_json(ledger_to_json(l));
  CHECK(back.control_files == l.control_files);
  CHECK(ledger_to_json(back) == ledger_to_json(l));
}
