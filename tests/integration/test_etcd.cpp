// The etcd drills across hosts (issue 14): scenarios/etcd-leader-kill.toml
// and scenarios/etcd-leader-partition.toml, as shipped apart from their
// [[host]] tables, run against three test hosts (ssh_hosts.hpp: network
// namespaces, each with its own sshd, reached only through ssh), one etcd
// member (etcd-server from Debian) per host, started over ssh by the run.
// Each drill picks the current leader at injection with a dynamic target
// and must pass; its counter-case, one change the test makes, must fail the
// verdict named in the scenario's header (exit 1). Nothing of a run may be
// left: no etcd of the run on the machine (the hosts share its process
// table), no ssh master, no run directory on the hosts.
//
// Root only (namespaces, sshd). Each run takes about 10-20 s.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "harness.hpp"
#include "ssh_hosts.hpp"

using namespace itest;

namespace {

/// The drill `file` of scenarios/, its [[host]] tables (each up to the next
/// blank line) replaced by the test hosts' own, and each `changes` key
/// replaced by its value (every occurrence; each must occur).
std::string drill_on(const SshHosts& hosts, const std::string& file,
                     const std::map<std::string, std::string>& changes = {}) {
  std::string text = read_file(source_root() / "scenarios" / file);
  for (std::size_t at; (at = text.find("[[host]]\n")) != std::string::npos;) {
    std::size_t end = text.find("\n\n", at);
    REQUIRE(end != std::string::npos);
    text.erase(at, end + 2 - at);
  }
  text += "\n" + hosts.toml_hosts();
  for (const auto& [from, to] : changes) {
    const auto& wanted = from;  // clang 14 cannot capture a structured binding in doctest's message lambda
    REQUIRE_MESSAGE(text.find(wanted) != std::string::npos, "the drill lacks: ", wanted);
    for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) text.replace(at, from.size(), to);
  }
  return text;
}

/// What the run `run_id` left: etcd processes of the run (the test hosts
/// share this machine's process table), ssh masters toward the hosts, the
/// run's directory there (their file system is this one). "" = nothing.
std::string left_by(const SshHosts& hosts, const std::string& run_id) {
  std::string out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string cmd = read_file(e.path() / "cmdline");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.starts_with("etcd ") && cmd.find("faultline-" + run_id) != std::string::npos) out += "etcd: " + cmd + "\n";
    if (cmd.starts_with("ssh ") && cmd.find("ControlMaster=yes") != std::string::npos &&
        cmd.find(hosts.subnet().substr(0, hosts.subnet().size() - 4)) != std::string::npos)
      out += "master: " + cmd + "\n";
  }
  if (fs::exists("/tmp/faultline-" + run_id)) out += "directory /tmp/faultline-" + run_id + "\n";
  return out;
}

/// Runs `text` as a drill and reads its record; says how long it took.
boost::json::value run_drill(const TempDir& dir, const std::string& name, const std::string& text, int expect_code) {
  write_file(dir / (name + ".toml"), text);
  const auto t0 = std::chrono::steady_clock::now();
  Result r = itest::faultline_judged(dir, {"run", (dir / (name + ".toml")).string(), "--out", (dir / name).string()});
  MESSAGE(name, ": exit ", r.code, " in ", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), " s");
  INFO(name, "\n", r.out, r.err);
  CHECK(r.code == expect_code);
  REQUIRE(fs::exists(dir / name / "run.json"));
  return read_json(dir / name / "run.json");
}

/// The verdict `threshold` of a record; fails the test when there is none.
const boost::json::object& verdict(const boost::json::value& rec, std::string_view threshold) {
  const boost::json::object* v = find_verdict(rec, threshold);
  REQUIRE_MESSAGE(v != nullptr, "no verdict ", threshold);
  return *v;
}

/// How many outages of the drill's one iteration began after the heal (the
/// partition's revert): a relapse, or the first outage when the clients'
/// failover hid the election during the split.
int outages_after_heal(const boost::json::value& rec) {
  // The heal began at the revert's start: the revert returns only after its
  // command came back over ssh, and the step-down it causes can begin
  // before that (the iteration's revert_ns is that return). An outage whose
  // start bracket reaches past the heal's start may have begun with it.
  const std::int64_t heal = rec.at("faults").at(0).at("revert_start_ns").as_int64();
  const auto& it = rec.at("iterations").at(0).as_object();
  int n = 0;
  for (const auto& e : it.at("episodes").as_array()) {
    const auto& b = e.at("start_bracket_ns");
    const std::int64_t latest = b.is_array() ? b.as_array().at(1).as_int64() : e.at("start_ns").as_int64();
    if (latest >= heal) ++n;
  }
  return n;
}

/// The episodes and the heal, for a failure's message.
std::string episodes_and_heal(const boost::json::value& rec) {
  const auto& f = rec.at("faults").at(0);
  std::string out = fmt::format("heal from {} to {} ns; episodes:", f.at("revert_start_ns").as_int64(),
                                f.at("revert_ns").as_int64());
  for (const auto& e : rec.at("iterations").at(0).at("episodes").as_array())
    out += " " + boost::json::serialize(e.at("start_bracket_ns")) + " to " + boost::json::serialize(e.at("end_ns"));
  for (const auto& v : rec.at("verdicts").as_array())
    out += fmt::format("; {} {}", boost::json::serialize(v.at("threshold")), boost::json::serialize(v.at("measured")));
  return out;
}

/// The one fault event of a drill: its target was chosen as the leader.
std::string chosen_leader(const boost::json::value& rec) {
  const auto& faults = rec.at("faults").as_array();
  REQUIRE(faults.size() == 1);
  const auto& f = faults[0].as_object();
  CHECK(f.at("ok").as_bool());
  REQUIRE(f.contains("selected"));
  CHECK(f.at("selected").as_string() == "leader");
  const std::string target(f.at("target").as_string());
  CHECK((target == "etcd1" || target == "etcd2" || target == "etcd3"));
  return target;
}

}  // namespace

TEST_CASE("etcd drill: the leader, chosen at injection, is killed; a new one is elected and writes resume within the "
          "rto; every member has the same revision; with an rto below the election timeout it fails") {
  SshHosts::sweep_stale();
  SshHosts hosts(3);
  TempDir dir;
  const std::string text = drill_on(hosts, "etcd-leader-kill.toml");
  write_file(dir / "plan.toml", text);
  Result plan = itest::faultline(dir, {"plan", (dir / "plan.toml").string()});
  INFO(plan.out, plan.err);
  CHECK(plan.code == 0);
  CHECK(plan.out.find("SIGKILL to the process group of 'SELECTED'; SELECTED = the first of [etcd1, etcd2, etcd3] "
                      "where `etcdctl --endpoints=http://{service.addr}:2379") != std::string::npos);
  CHECK(plan.out.find("chosen at injection") != std::string::npos);

  const auto rec = run_drill(dir, "kill", text, 0);
  const std::string leader = chosen_leader(rec);
  MESSAGE("killed the leader ", leader, "; recovery ", verdict(rec, "rto").at("measured").as_string());
  CHECK(verdict(rec, "rto").at("passed").as_bool());
  CHECK(verdict(rec, "max_recurrence").at("passed").as_bool());
  CHECK(verdict(rec, "verify").at("passed").as_bool());
  // The member that was killed was the one chosen, and its policy restarted it.
  bool killed = false, restarted = false;
  for (const auto& e : rec.at("service_events").as_array()) {
    if (e.at("service").as_string() != leader) continue;
    const std::string what(e.at("what").as_string());
    killed = killed || what == "exited";
    restarted = restarted || what == "restarting";
  }
  CHECK(killed);
  CHECK(restarted);
  CHECK(left_by(hosts, std::string(rec.at("run_id").as_string())) == "");

  // Counter-case: no follower campaigns before one election timeout (500 ms)
  // has passed without a heartbeat, so writes cannot resume within 400 ms.
  const auto counter = run_drill(dir, "counter", drill_on(hosts, "etcd-leader-kill.toml", {{"rto = \"3s\"", "rto = \"400ms\""}}), 1);
  chosen_leader(counter);
  CHECK_FALSE(verdict(counter, "rto").at("passed").as_bool());
  CHECK(verdict(counter, "verify").at("passed").as_bool());
  CHECK(left_by(hosts, std::string(counter.at("run_id").as_string())) == "");
}

TEST_CASE("etcd drill: the leader, chosen at injection, is isolated for 5 s; the majority keeps writing, the old leader "
          "rejoins and every member has the same revision; without pre-vote the heal disrupts the cluster") {
  SshHosts::sweep_stale();
  SshHosts hosts(3);
  TempDir dir;
  const auto rec = run_drill(dir, "partition", drill_on(hosts, "etcd-leader-partition.toml"), 0);
  chosen_leader(rec);
  MESSAGE("recovery ", verdict(rec, "rto").at("measured").as_string());
  INFO(episodes_and_heal(rec));
  CHECK(verdict(rec, "rto").at("passed").as_bool());
  CHECK(verdict(rec, "max_recurrence").at("passed").as_bool());
  CHECK(outages_after_heal(rec) == 0);
  CHECK(verdict(rec, "verify").at("passed").as_bool());
  CHECK(left_by(hosts, std::string(rec.at("run_id").as_string())) == "");

  // Counter-case: etcd 3.4's default, no pre-vote: the isolated member's
  // raised term makes the majority's leader step down at the heal, an
  // outage after it. When the split itself cost a failed write, that outage
  // is a relapse (max_recurrence fails); when the client's failover hid the
  // majority's election, it is the iteration's first outage and recovery
  // comes only after the heal, past the rto (rto fails). Either way exit 1.
  // With election timeouts of 1000 ms and a 10 s split, not the drill's
  // 500 ms and 5 s: the heal's outage lasts until a member's randomized
  // election timer fires, and at 500 ms (up to 1 s) it can fit between two
  // samples of the failover client, each up to 3 x 200 ms when every member
  // fails (the drill's header says so). The CI run of 965c780 saw no
  // outage after the heal; its record is gone, so whether it was that is
  // not known. At 1000 ms the cut-off member needs the 10 s to be sure of a
  // term above the new leader's (only a higher term deposes it): it steps
  // down within 2 s and campaigns every 1 to 2 s, so it reaches T+4 at
  // least, against T+1 (T+2 after a split vote) for the new leader. Watched
  // 20 s from recovery: the step-down came within 1.3 s of the heal in
  // every run.
  const auto counter = run_drill(dir, "counter",
                                 drill_on(hosts, "etcd-leader-partition.toml",
                                          {{"--pre-vote=true", "--pre-vote=false"},
                                           {"\"--election-timeout\", \"500\"", "\"--election-timeout\", \"1000\""},
                                           {"duration = \"5s\"", "duration = \"10s\""},
                                           {"watch = \"9s\"", "watch = \"20s\""}}),
                                 1);
  chosen_leader(counter);
  MESSAGE("counter-case: ", episodes_and_heal(counter));
  CHECK(outages_after_heal(counter) >= 1);
  CHECK_FALSE((verdict(counter, "max_recurrence").at("passed").as_bool() && verdict(counter, "rto").at("passed").as_bool()));
  CHECK(verdict(counter, "verify").at("passed").as_bool());
  CHECK(left_by(hosts, std::string(counter.at("run_id").as_string())) == "");
}

TEST_CASE("dynamic target: none or two candidates matching stops the run with the fault not applied (exit 4); an "
          "unknown candidate is refused at validation (exit 2, file:line:col)") {
  TempDir dir;
  auto scenario = [](const std::string& select) {
    return fmt::format(R"(name = "select"
steady_for = "0s"
[[service]]
name = "a"
command = "exec sleep 60"
[[service]]
name = "b"
command = "exec sleep 60"
[[probe]]
name = "up"
kind = "exec"
command = "true"
[[fault]]
name = "kill"
kind = "process.kill"
at = "100ms"
target = {{ select = "{}", among = ["a", "b"], as = "leader" }}
)",
                       select);
  };
  for (const auto& [select, why] : std::vector<std::pair<std::string, std::string>>{
           {"exit 1", "no candidate for the dynamic target (the leader): `exit 1` succeeded for none of [a, b]; a: exit 1; b: exit 1"},
           {"true", "the dynamic target (the leader) is ambiguous: `true` succeeded for 2 candidates (a, b)"}}) {
    write_file(dir / "s.toml", scenario(select));
    fs::remove_all(dir / "run");
    Result r = itest::faultline(dir, {"run", (dir / "s.toml").string(), "--out", (dir / "run").string()});
    INFO(r.out, r.err);
    CHECK(r.code == 4);
    CHECK((r.out + r.err).find(why) != std::string::npos);
    const auto rec = read_json(dir / "run" / "run.json");
    const auto& f = rec.at("faults").as_array().at(0).as_object();
    CHECK_FALSE(f.at("ok").as_bool());
    CHECK(f.at("inject_ns").is_null());  // never applied
    CHECK(leftover_processes(rec).empty());
  }
  const std::string bad = scenario("true");
  write_file(dir / "bad.toml", std::string(bad).replace(bad.find("[\"a\", \"b\"]"), 10, "[\"a\", \"c\"]"));
  Result v = itest::faultline(dir, {"validate", (dir / "bad.toml").string()});
  CHECK(v.code == 2);
  CHECK(v.err.find((dir / "bad.toml").string() + ":17:43: error: ") != std::string::npos);
  CHECK(v.err.find("dynamic target of fault 'kill': 'c' is not a declared service") != std::string::npos);
}
