#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "fault_injectors/stress.hpp"
#include "fault_injectors/disk_full.hpp"
#include "fault_injectors/clock_skew.hpp"
#include "fault_injectors/file_io.hpp"
#include "fault_injectors/exec_fault.hpp"
#include "fault_injectors/file_corrupt.hpp"
#include "fault_injectors/net_bandwidth.hpp"
#include "fault_injectors/net_blackhole.hpp"
#include "fault_injectors/net_corrupt.hpp"
#include "fault_injectors/net_reset.hpp"
#include "fault_injectors/net_slicer.hpp"
#include "fault_injectors/net_slow_close.hpp"
#include "fault_injectors/process_kill.hpp"
#include "fault_injectors/process_pause.hpp"
#include "scenario/catalog.hpp"
#include "scenario/fault_kind.hpp"
#include "scenario/placeholders.hpp"
#include "scenario/scenario_parser.hpp"
#include "scenario/select_keys.hpp"
#include "scenario/validate.hpp"

using namespace faultline;

namespace {

std::string all_messages(const std::vector<Diagnostic>& ds) {
  std::string out;
  for (const auto& d : ds) out += format_diagnostic(d) + "\n";
  return out;
}

std::vector<std::string> names(const std::vector<KeySpec>& keys) {
  std::vector<std::string> out;
  for (const auto& k : keys) out.push_back(k.key);
  return out;
}

/// Every table of the catalog with a label, kinds included.
std::vector<std::pair<std::string, const std::vector<KeySpec>*>> all_tables() {
  std::vector<std::pair<std::string, const std::vector<KeySpec>*>> out = {
      {"top level", &top_level_keys()},     {"[[service]]", &service_keys()}, {"[[link]]", &link_keys()},
      {"[[probe]]", &probe_common_keys()},  {"[[fault]]", &fault_common_keys()},
      {"[[setup]]/[[verify]]", &step_keys()}, {"[[verify]]", &verify_keys()}, {"[thresholds]", &threshold_keys()},
      {"[[recovery]]", &recovery_keys()},     {"[[workload]]", &workload_common_keys()},
      {"[[host]]", &host_keys()},           {"[[strategy]]", &strategy_keys()},
      {"dynamic target", &target_select_keys()},
  };
  for (const auto& k : workload_kinds()) out.emplace_back("workload " + k.name, &k.keys);
  for (const auto& k : probe_kinds()) out.emplace_back("probe " + k.name, &k.keys);
  for (const auto& k : fault_kinds()) out.emplace_back("fault " + k.name, &k.keys);
  return out;
}

/// A valid TOML value for a key of the given catalog type.
std::string sample(const KeySpec& k) {
  static const std::map<std::string, std::string> by_key = {
      {"restart", "\"always\""},      {"path", "\"/x\""},          {"ports", "[\"p1\"]"},
      {"depends_on", "[\"other\"]"},  {"direction", "\"both\""},  {"distribution", "\"normal\""},
      {"mode", "\"reject\""},         {"shape", "\"ring\""},      {"on", "\"inject\""},
      {"per", "\"chunk\""}};
  if (auto it = by_key.find(k.key); it != by_key.end()) return it->second;
  static const std::map<std::string, std::string> by_type = {
      {"string", "\"sample\""},
      {"integer", "1"},
      {"bool", "true"},
      {"duration", "\"1s\""},
      {"command", "\"true\""},
      {"table of strings", "{ A = \"b\" }"},
      {"array of strings", "[\"x\"]"},
      {"probe", "{ kind = \"tcp\", port = 1 }"},
      {"signal", "\"TERM\""},
      {"duration or window", "[\"1s\", \"2s\"]"},
      {"samples, duration or table", "{ samples = 2, duration = \"1s\" }"},
      {"array of integers", "[200]"},
      {"regex", "\"a+\""},
      {"port", "1"},
      {"percent", "\"50%\""},
      {"probability", "0.5"},
      {"rate", "\"1MB/s\""},
      {"address", "\"127.0.0.1:{port.p1}\""},
      {"array of arrays of strings", "[[\"a\"], [\"b\", \"c\"]]"},
      {"count or duration", "0"},
      {"attach", "{ systemd = \"x.service\" }"},
      {"size", "\"4KiB\""},
  };
  auto it = by_type.find(k.type);
  INFO("key: ", k.key);
  REQUIRE_MESSAGE(it != by_type.end(), "no sample value for catalog type '", k.type, "'");
  return it->second;
}

/// `key = value` lines for every key except those in `skip`.
std::string lines(const std::vector<KeySpec>& keys, const std::set<std::string>& skip,
                  const std::map<std::string, std::string>& fixed = {}) {
  std::string out;
  for (const auto& k : keys) {
    if (skip.count(k.key)) continue;
    auto it = fixed.find(k.key);
    out += fmt::format("{} = {}\n", k.key, it != fixed.end() ? it->second : sample(k));
  }
  return out;
}

/// The source tree, to read scenarios/README.md from.
std::filesystem::path source_root() {
  std::vector<std::filesystem::path> candidates;
  if (const char* env = std::getenv("FAULTLINE_SOURCE_ROOT")) candidates.emplace_back(env);
  // __FILE__ is relative to the build directory under meson ("../tests/unit/...").
  candidates.push_back(std::filesystem::path(__FILE__).parent_path().parent_path().parent_path());
  candidates.emplace_back(".");
  candidates.emplace_back("..");
  for (const auto& c : candidates)
    if (std::filesystem::exists(c / "scenarios" / "README.md")) return c;
  FAIL("scenarios/README.md not found; set FAULTLINE_SOURCE_ROOT");
  return {};
}

std::string readme() {
  std::ifstream in(source_root() / "scenarios" / "README.md");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("catalog: every table lists unique, described keys") {
  for (const auto& table : all_tables()) {
    const std::string& label = table.first;  // not a binding: clang 14 cannot capture one in INFO
    const auto* keys = table.second;
    std::set<std::string> seen;
    for (const auto& k : *keys) {
      INFO(label, " key ", k.key);
      CHECK(seen.insert(k.key).second);
      CHECK_FALSE(k.key.empty());
      CHECK_FALSE(k.type.empty());
      CHECK_FALSE(k.description.empty());
      if (k.required) CHECK(k.default_value.empty());
    }
  }
  // Kind keys do not repeat the common ones.
  auto has = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  for (const auto& kind : probe_kinds())
    for (const auto& k : kind.keys) CHECK_FALSE(has(names(probe_common_keys()), k.key));
  for (const auto& kind : fault_kinds())
    for (const auto& k : kind.keys) CHECK_FALSE(has(names(fault_common_keys()), k.key));
}

TEST_CASE("catalog: the kinds") {
  std::vector<std::string> faults;
  for (const auto& k : fault_kinds()) faults.push_back(k.name);
  CHECK(faults == std::vector<std::string>{"process.kill", "process.pause", "process.restart", "exec", "net.latency",
                                           "net.bandwidth", "net.blackhole", "net.reset", "net.slow_close",
                                           "net.slicer", "net.partition", "net.corrupt", "http.abort", "http.delay",
                                           "http.replace", "file.corrupt", "disk.full", "clock.skew",
                                           "file.io", "resource.cpu", "resource.memory", "stress",
                                           "resource.io"});
  std::vector<std::string> probes;
  for (const auto& k : probe_kinds()) probes.push_back(k.name);
  CHECK(probes == std::vector<std::string>{"tcp", "http", "exec"});

  REQUIRE(find_fault_kind("process.pause") != nullptr);
  CHECK(find_fault_kind("process.pause")->reversible);
  CHECK(find_fault_kind("exec")->reversible);
  CHECK_FALSE(find_fault_kind("process.kill")->reversible);
  CHECK(find_fault_kind("process.restart")->keys.empty());
  CHECK(find_fault_kind("net.teleport") == nullptr);
  for (const auto& k : fault_kinds())
    if (k.name.starts_with("net.")) CHECK(k.reversible);
  CHECK(find_fault_kind("") == nullptr);
  REQUIRE(find_probe_kind("http") != nullptr);
  CHECK(find_probe_kind("http")->keys.size() == 7);
  CHECK(find_probe_kind("udp") == nullptr);
  for (const auto& k : fault_kinds()) CHECK_FALSE(k.summary.empty());
  for (const auto& k : probe_kinds()) CHECK_FALSE(k.summary.empty());
  CHECK(names(fault_common_keys()) ==
        std::vector<std::string>{"name", "kind", "target", "at", "duration", "repeat", "every", "injection", "env"});
}

TEST_CASE("catalog: the parser accepts every key of the catalog") {
  std::string text = lines(top_level_keys(), {"service", "link", "probe", "fault", "setup", "verify", "recovery",
                                              "workload", "thresholds", "guard", "host", "strategy"},
                           {{"network", "\"namespaces\""}});
  text += "\n[[service]]\n" + lines(service_keys(), {"attach"}, {{"name", "\"svc\""}});
  // An attached service has no command (faultline never starts it).
  text += "\n[[service]]\n" + lines(service_keys(), {"command"}, {{"name", "\"att\""}});
  text += "\n[[host]]\n" + lines(host_keys(), {}, {{"name", "\"hst\""}});
  text += "\n[[link]]\n" + lines(link_keys(), {}, {{"name", "\"ln\""}, {"protocol", "\"http\""}});
  for (const auto& kind : probe_kinds())
    text += "\n[[probe]]\n" +
            lines(probe_common_keys(), {}, {{"name", "\"p-" + kind.name + "\""}, {"kind", "\"" + kind.name + "\""}}) +
            lines(kind.keys, {});
  for (const auto& kind : fault_kinds()) {
    std::set<std::string> skip;
    if (kind.name == "exec" || kind.name == "net.partition") skip.insert("target");
    if (kind.name == "process.kill" || kind.name == "process.restart") skip.insert("duration");
    if (kind.name != "exec") skip.insert("injection");
    if (!fault_kind(kind.name)->commands) skip.insert("env");
    text += "\n[[fault]]\n" +
            lines(fault_common_keys(), skip, {{"name", "\"f-" + kind.name + "\""}, {"kind", "\"" + kind.name + "\""}}) +
            lines(kind.keys, {}, kind.name == "file.corrupt" ? std::map<std::string, std::string>{{"mode", "\"flip\""}}
                                 : std::map<std::string, std::string>{{"status", "503"}, {"hold", "\"response\""}, {"set_header", "\"A: b\""},
                                                                       {"errno", "\"EIO\""}});
  }
  text += "\n[[setup]]\n" + lines(step_keys(), {});
  text += "\n[[verify]]\n" + lines(verify_keys(), {});
  text += "\n[[recovery]]\n" + lines(recovery_keys(), {});
  for (const auto& kind : workload_kinds())
    text += "\n[[workload]]\n" +
            lines(workload_common_keys(), {}, {{"name", "\"w-" + kind.name + "\""}, {"kind", "\"" + kind.name + "\""}}) +
            lines(kind.keys, {});
  text += "\n[thresholds]\n" + lines(threshold_keys(), {});
  // A [[guard]] takes a probe's keys but steady_state.
  text += "\n[[guard]]\n" + lines(probe_common_keys(), {"steady_state"}, {{"name", "\"g\""}, {"kind", "\"tcp\""}}) +
          lines(find_probe_kind("tcp")->keys, {});

  text += "\n[[strategy]]\n" + lines(strategy_keys(), {"recovery", "verify", "thresholds"}, {{"name", "\"st\""}});
  text += "\n[[strategy.recovery]]\n" + lines(recovery_keys(), {});
  text += "\n[[strategy.verify]]\n" + lines(verify_keys(), {});
  text += "\n[strategy.thresholds]\n" + lines(threshold_keys(), {});

  auto r = parse_scenario(text, "all-keys.toml");
  INFO("text:\n", text, "\ndiagnostics:\n", all_messages(r.diagnostics));
  CHECK(r.diagnostics.empty());
  CHECK(r.scenario.has_value());
}

TEST_CASE("catalog: the parser rejects a key that is in no table of the catalog") {
  const std::string text = R"(name = "x"
bogus_key = 1
[[service]]
name = "a"
command = "true"
bogus_key = 1
ready = { kind = "tcp", port = 1, bogus_key = 1 }
[[link]]
name = "l"
to = "127.0.0.1:1"
bogus_key = 1
[[probe]]
name = "p"
kind = "http"
port = 1
bogus_key = 1
[[fault]]
kind = "exec"
apply = "true"
bogus_key = 1
[[setup]]
command = "true"
bogus_key = 1
[[verify]]
command = "true"
bogus_key = 1
[[recovery]]
command = "true"
bogus_key = 1
[[workload]]
name = "w"
kind = "exec"
write = "true"
read = "true"
bogus_key = 1
[thresholds]
bogus_key = 1
[[strategy]]
name = "st"
bogus_key = 1
)";
  auto r = parse_scenario(text, "x.toml");
  INFO(all_messages(r.diagnostics));
  REQUIRE(r.diagnostics.size() == 12);
  for (const auto& d : r.diagnostics) CHECK(d.message.rfind("unknown key 'bogus_key' in ", 0) == 0);
}

TEST_CASE("catalog: the documented defaults are the ones the parser applies") {
  auto r = parse_scenario(R"(name = "defaults"
[[service]]
name = "a"
command = "true"
[[probe]]
name = "t"
kind = "tcp"
port = 1
[[probe]]
name = "h"
kind = "http"
port = 1
[[probe]]
name = "e"
kind = "exec"
command = "true"
[[fault]]
kind = "process.kill"
target = "a"
[[fault]]
kind = "process.pause"
target = "a"
duration = "1s"
[[fault]]
kind = "exec"
apply = "true"
[[fault]]
kind = "net.latency"
latency = "1ms"
[[fault]]
kind = "net.bandwidth"
rate = "1KB/s"
[[fault]]
kind = "net.blackhole"
[[fault]]
kind = "net.reset"
[[fault]]
kind = "net.slow_close"
delay = "1s"
[[fault]]
kind = "net.slicer"
[[fault]]
kind = "net.partition"
isolate = "a"
[[fault]]
kind = "net.corrupt"
rate = 0.5
[[fault]]
kind = "file.corrupt"
target = "a"
path = "x"
mode = "delete"
[[fault]]
kind = "disk.full"
target = "a"
size = "1MiB"
[[fault]]
kind = "clock.skew"
target = "a"
duration = "1s"
offset = "+1s"
[[fault]]
kind = "file.io"
target = "a"
duration = "1s"
errno = "EIO"
[[setup]]
command = "true"
[[verify]]
command = "true"
[[recovery]]
command = "true"
[[workload]]
name = "we"
kind = "exec"
write = "true"
read = "true"
[[workload]]
name = "wt"
kind = "tcp"
port = 1
send = "x"
expect = "y"
read = "true"
)",
                          "d.toml");
  REQUIRE(r.scenario.has_value());
  const Scenario& s = *r.scenario;
  const ServiceSpec& svc = s.services.at(0);
  const auto& kill = s.faults.at(0).params.get<KillParams>();
  const auto& pause = s.faults.at(1).params.get<PauseParams>();
  const auto& exec = s.faults.at(2).params.get<ExecParams>();
  const auto& latency = s.faults.at(3).params.get<LatencyParams>();
  const auto& bandwidth = s.faults.at(4).params.get<BandwidthParams>();
  const auto& blackhole = s.faults.at(5).params.get<BlackholeParams>();
  const auto& reset = s.faults.at(6).params.get<ResetParams>();
  const auto& slow_close = s.faults.at(7).params.get<SlowCloseParams>();
  const auto& slicer = s.faults.at(8).params.get<SlicerParams>();
  const auto& partition = s.faults.at(9).params.get<PartitionParams>();
  const auto& ncorrupt = s.faults.at(10).params.get<CorruptParams>();
  const auto& corrupt = s.faults.at(11).params.get<FileCorruptParams>();
  const auto& full = s.faults.at(12).params.get<DiskFullParams>();
  const auto& skew = s.faults.at(13).params.get<ClockSkewParams>();
  const auto& io = s.faults.at(14).params.get<FileIoParams>();
  auto dir = [](NetDirection v) {
    return std::string(v == NetDirection::both ? "both" : v == NetDirection::upstream ? "upstream" : "downstream");
  };
  auto p = [](double v) { return fmt::format("{:g}", v); };
  auto d = [](Nanos n) { return format_duration(n); };
  auto b = [](bool v) { return std::string(v ? "true" : "false"); };
  auto sig = [](int n) { return n == SIGTERM ? std::string("SIGTERM") : n == SIGKILL ? std::string("SIGKILL") : std::to_string(n); };
  const std::string policy = svc.restart == RestartPolicy::never ? "never" : "other";

  // What the parser produced, in the catalog's notation, per table and key.
  const std::map<std::string, std::map<std::string, std::string>> actual = {
      {"top level",
       {{"iterations", std::to_string(s.iterations)},
        {"steady_for", d(s.steady_for)},
        {"steady_timeout", d(s.steady_timeout)},
        {"recovered_after", s.recovered_after.duration == 0ns ? std::to_string(s.recovered_after.samples) : "?"},
        {"watch", d(s.watch)},
        {"give_up_after", d(s.give_up_after)},
        {"cool_down", d(s.cool_down)},
        {"network", s.network == NetworkMode::links ? "links" : "namespaces"},
        {"subnet", s.subnet},
        {"confidence", fmt::format("{:g}%", s.confidence)},
        {"max_secondary_outage_rate", fmt::format("{:g}%", s.max_secondary_outage_rate)},
        {"guardian_lease", d(s.guardian_lease)}}},
      {"[[service]]",
       {{"ready_timeout", d(svc.ready_timeout)},
        {"restart", policy},
        {"backoff", d(svc.backoff)},
        {"backoff_max", d(svc.backoff_max)},
        {"stop_signal", sig(svc.stop_signal)},
        {"stop_grace", d(svc.stop_grace)}}},
      {"[[probe]]", {{"interval", d(s.probes.at(0).interval)}, {"steady_state", b(s.probes.at(0).steady_state)}}},
      {"probe tcp", {{"host", s.probes.at(0).host}}},
      {"probe http", {{"host", s.probes.at(1).host}, {"method", s.probes.at(1).method}, {"path", s.probes.at(1).path}}},
      {"probe exec", {{"expect_exit", std::to_string(s.probes.at(2).expect_exit)}}},
      {"[[fault]]", {{"at", d(s.faults.at(0).at_min)}, {"repeat", std::to_string(s.faults.at(0).repeat)}, {"injection", b(s.faults.at(0).injection)}}},
      {"fault process.kill", {{"signal", sig(kill.signal)}, {"group", b(kill.group)}}},
      {"fault process.pause", {{"group", b(pause.group)}}},
      {"fault exec", {{"timeout", d(exec.timeout)}}},
      {"fault net.latency",
       {{"jitter", d(latency.jitter)},
        {"distribution", latency.distribution == LatencyDistribution::uniform ? "uniform" : "normal"},
        {"direction", dir(latency.direction)},
        {"toxicity", p(latency.toxicity)}}},
      {"fault net.bandwidth", {{"direction", dir(bandwidth.direction)}, {"toxicity", p(bandwidth.toxicity)}}},
      {"fault net.blackhole", {{"direction", dir(blackhole.direction)}, {"toxicity", p(blackhole.toxicity)}}},
      {"fault net.reset", {{"after", d(reset.after)}, {"toxicity", p(reset.toxicity)}}},
      {"fault net.slow_close", {{"direction", dir(slow_close.direction)}, {"toxicity", p(slow_close.toxicity)}}},
      {"fault net.slicer",
       {{"size", std::to_string(slicer.size)},
        {"size_variation", std::to_string(slicer.size_variation)},
        {"delay", d(slicer.delay)},
        {"direction", dir(slicer.direction)},
        {"toxicity", p(slicer.toxicity)}}},
      {"fault net.partition",
       {{"mode", partition.mode == PartitionMode::drop ? "drop" : "reject"},
        {"direction", partition.one_way ? "one" : "both"}}},
      {"fault net.corrupt",
       {{"per", ncorrupt.per == CorruptParams::Per::byte ? "byte" : "chunk"},
        {"chunk", std::to_string(ncorrupt.chunk)},
        {"direction", dir(ncorrupt.direction)},
        {"toxicity", p(ncorrupt.toxicity)}}},
      {"fault file.corrupt", {{"offset", std::to_string(corrupt.offset)}, {"permanent", b(corrupt.permanent)}}},
      {"fault disk.full", {{"level", full.level}}},
      {"fault clock.skew", {{"freeze", b(skew.freeze)}}},
      {"fault file.io", {{"path", io.rule.path}, {"ops", io.ops}, {"probability", p(io.rule.probability)}}},
      // stress needs one worker of some kind, so its defaults are the
      // struct's, which the parser starts from.
      {"fault stress",
       {{"cpu", std::to_string(StressParams{}.cpu)},
        {"vm", std::to_string(StressParams{}.vm)},
        {"vm_bytes", StressParams{}.vm_bytes == (64LL << 20) ? "\"64MiB\"" : "other"},
        {"io", std::to_string(StressParams{}.io)},
        {"inside", b(StressParams{}.inside)}}},
      {"[[setup]]/[[verify]]",
       {{"timeout", d(s.setup.at(0).timeout)}, {"expect_exit", std::to_string(s.setup.at(0).expect_exit)}}},
      {"[[verify]]",
       {{"timeout", d(s.verify.at(0).timeout)},
        {"expect_exit", std::to_string(s.verify.at(0).expect_exit)},
        {"integrity", b(s.verify.at(0).integrity)}}},
      {"[[recovery]]",
       {{"on", s.recovery.at(0).on == RecoveryTrigger::detect ? "detect" : "other"},
        {"after", d(s.recovery.at(0).after)},
        {"timeout", d(s.recovery.at(0).timeout)},
        {"expect_exit", std::to_string(s.recovery.at(0).expect_exit)}}},
      {"[[workload]]",
       {{"rate", p(s.workloads.at(0).rate)},
        {"timeout", d(s.workloads.at(0).timeout)},
        {"read_timeout", d(s.workloads.at(0).read_timeout)}}},
      {"workload tcp", {{"host", s.workloads.at(1).host}}},
      {"[[host]]", {{"sudo", b(HostSpec{}.sudo)}}},
      {"dynamic target", {{"timeout", d(TargetSelect{}.timeout)}}},
  };
  int compared = 0;
  for (const auto& table : all_tables()) {
    const std::string& label = table.first;  // not a binding: clang 14 cannot capture one in INFO
    const auto* keys = table.second;
    for (const auto& k : *keys) {
      if (k.default_value.empty()) continue;
      INFO(label, " key ", k.key);
      auto table = actual.find(label);
      REQUIRE_MESSAGE(table != actual.end(), "no check for defaults of ", label);
      auto value = table->second.find(k.key);
      REQUIRE_MESSAGE(value != table->second.end(), "no check for the default of ", k.key);
      CHECK(value->second == k.default_value);
      ++compared;
    }
  }
  CHECK(compared == 82);
}

TEST_CASE("catalog: scenarios/README.md documents every key, kind and placeholder") {
  const std::string doc = readme();
  REQUIRE_FALSE(doc.empty());
  for (const auto& table : all_tables())
    for (const auto& k : *table.second) {
      INFO(table.first, " key ", k.key);  // not a binding: clang 14 cannot capture one in INFO
      CHECK(doc.find(fmt::format("| `{}` | {} |", k.key, k.type)) != std::string::npos);
    }
  for (const auto& k : fault_kinds()) CHECK(doc.find(fmt::format("### `kind = \"{}\"`", k.name)) != std::string::npos);
  for (const auto& k : probe_kinds()) CHECK(doc.find(fmt::format("### `kind = \"{}\"`", k.name)) != std::string::npos);
  for (const auto& p : builtin_placeholders()) CHECK(doc.find(fmt::format("| `{{{}}}` |", p)) != std::string::npos);
  CHECK(doc.find("| `{port.NAME}` |") != std::string::npos);
  CHECK(doc.find("| `{link.NAME}` |") != std::string::npos);
  CHECK(doc.find("| `{service.dir}` |") != std::string::npos);
  CHECK(doc.find("| `{service.name}` |") != std::string::npos);
}

TEST_CASE("catalog: the complete examples in scenarios/README.md are valid") {
  const std::string doc = readme();
  int examples = 0;
  for (std::size_t at = doc.find("```toml\n"); at != std::string::npos; at = doc.find("```toml\n", at + 1)) {
    const std::size_t begin = at + 8;
    const std::size_t end = doc.find("```", begin);
    REQUIRE(end != std::string::npos);
    const std::string block = doc.substr(begin, end - begin);
    if (block.rfind("name = ", 0) != 0) continue;  // a fragment, not a whole scenario
    ++examples;
    auto r = parse_scenario(block, "README.md example");
    INFO("example:\n", block, "\n", all_messages(r.diagnostics));
    REQUIRE(r.scenario.has_value());
    CHECK(validate(*r.scenario).empty());
  }
  CHECK(examples == 3);
}
